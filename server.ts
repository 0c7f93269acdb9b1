// Obrolan server: `npx tsx server.ts` opens the window; `--headless` runs without one. See --help.
import { CliError, EXIT, parseServerArgs, SERVER_HELP } from './lib/app/cli.ts';
import { DEFAULT_PORT } from './lib/constants.ts';
import { capYoungGeneration } from './lib/app/young-generation.ts';

async function main(): Promise<number> {
  // Before anything allocates much: keep V8's young generation small, or a login ramp grows it to 32 MB for good.
  capYoungGeneration();
  let args;
  try {
    args = parseServerArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    process.stderr.write(`error: ${err.message}\n(see npx tsx server.ts --help)\n`);
    return EXIT.BAD_ARGUMENTS;
  }
  if (args.help) {
    process.stdout.write(SERVER_HELP);
    return EXIT.OK;
  }
  if (args.headless) {
    if (!args.password) {
      process.stderr.write('error: --password is required with --headless (or set OBROLAN_PASSWORD)\n');
      return EXIT.BAD_ARGUMENTS;
    }
    const { runHeadlessServer } = await import('./lib/app/headless-server.ts');
    return runHeadlessServer({ host: args.host, port: args.port ?? DEFAULT_PORT, password: args.password, historyDir: args.historyDir, json: args.json,
      ...(args.retentionDays ? { retentionDays: args.retentionDays } : {}), ...(args.roomName ? { roomName: args.roomName } : {}),
      ...(args.maxFile ? { maxFile: args.maxFile } : {}) });
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('error: the server window needs a terminal, and this input or output is not one: run it in a terminal, or use --headless (see --help)\n');
    return EXIT.BAD_ARGUMENTS;
  }
  const { runServerWindow } = await import('./lib/ui/server-app.ts');
  return runServerWindow({ host: args.host, historyDir: args.historyDir,
    ...(args.port !== undefined ? { port: args.port } : {}), ...(args.password !== undefined ? { password: args.password } : {}),
    ...(args.roomName !== undefined ? { roomName: args.roomName } : {}) });
}

main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`error: ${err.stack ?? err.message}\n`);
  process.exit(EXIT.FAILED);
});
