// Obrolan client: `npx tsx client.ts` opens the chat window; `--no-ui` is a line mode for scripts. See --help.
import { CLIENT_HELP, CliError, EXIT, parseClientArgs } from './lib/app/cli.ts';
import { DEFAULT_PORT } from './lib/constants.ts';

async function main(): Promise<number> {
  let args;
  try {
    args = parseClientArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    process.stderr.write(`error: ${err.message}\n(see npx tsx client.ts --help)\n`);
    return EXIT.BAD_ARGUMENTS;
  }
  if (args.help) {
    process.stdout.write(CLIENT_HELP);
    return EXIT.OK;
  }
  if (args.discover) {
    const { runDiscover } = await import('./lib/app/discover.ts');
    return runDiscover({ json: args.json, waitMs: args.waitMs });
  }
  // The end-to-end keys (two RSA-3072 pairs, about a second of work) of a name that has none yet: the window
  // starts them at once, while its form is filled in; the line client joins without them and makes them
  // then. They are saved under the name once it is known, unless that name has keys already, which win
  // (lib/e2e/keys-ahead.ts). A name given on the command line whose keys exist needs none made.
  const { keysAheadFor } = await import('./lib/e2e/keys-ahead.ts');
  if (args.noUi) {
    const missing = (['host', 'password', 'username'] as const).filter((k) => !args[k] && !(k === 'host' && args.room !== undefined));
    if (missing.length) {
      process.stderr.write(`error: --no-ui needs ${missing.map((m) => (m === 'host' ? '--host (or --room NAME)' : `--${m}`)).join(', ')}\n(see npx tsx client.ts --help)\n`);
      return EXIT.BAD_ARGUMENTS;
    }
    const keysAhead = keysAheadFor(args.historyDir, args.username!, undefined, false); // made once joined: nobody types here
    let target = { host: args.host!, port: args.port ?? DEFAULT_PORT };
    if (args.room !== undefined) {
      const { roomAddress } = await import('./lib/app/discover.ts');
      const found = await roomAddress(args.room, args.waitMs, args.json);
      if (typeof found === 'number') return found;
      target = found;
    }
    const { runLineClient } = await import('./lib/app/line-client.ts');
    return runLineClient({ ...target, password: args.password!, username: args.username!, historyDir: args.historyDir, json: args.json, ...(keysAhead ? { keysAhead } : {}),
      ...(args.downloads !== undefined ? { downloads: args.downloads } : {}), ...(args.maxFile !== undefined ? { maxFile: args.maxFile } : {}) });
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('error: the chat window needs a terminal, and this input or output is not one: run it in a terminal, or use --no-ui for the line mode (see --help)\n');
    return EXIT.BAD_ARGUMENTS;
  }
  const keysAhead = keysAheadFor(args.historyDir, args.username);
  const { runClientWindow } = await import('./lib/ui/client-app.ts');
  return runClientWindow({ historyDir: args.historyDir, ...(keysAhead ? { keysAhead } : {}),
    ...(args.host !== undefined ? { host: args.host } : {}), ...(args.port !== undefined ? { port: args.port } : {}),
    ...(args.password !== undefined ? { password: args.password } : {}), ...(args.username !== undefined ? { username: args.username } : {}),
    ...(args.downloads !== undefined ? { downloads: args.downloads } : {}), ...(args.maxFile !== undefined ? { maxFile: args.maxFile } : {}) });
}

main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`error: ${err.stack ?? err.message}\n`);
  process.exit(EXIT.FAILED);
});
