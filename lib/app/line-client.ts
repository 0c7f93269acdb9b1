// `client.ts --no-ui`: one command per stdin line, events on stdout (text, or JSON lines with --json).
import { createInterface } from 'node:readline';
import type { ChatMessage } from '../chat/types.ts';
import { EXIT } from './cli.ts';
import { ChatClient } from '../chat/client.ts';
import { ChatError } from '../errors.ts';
import type { KeysAhead } from '../e2e/keys-ahead.ts';
import { showControls, wrapRows } from '../visible-text.ts';
import { fileCommand, showFileEvents } from './line-files.ts';

export interface LineOptions {
  host: string; port: number; password: string; username: string; historyDir: string; json: boolean;
  /** Keys being made since the program started (lib/e2e/keys-ahead.ts). */
  keysAhead?: KeysAhead;
  /** Files (issue 19): where received files go, the largest sent or accepted. */
  downloads?: string; maxFile?: number;
}

const LOGIN_REFUSED = new Set(['wrong_password', 'name_taken', 'bad_name', 'rate_limited']);

/** Indent of the rows after the first when a line is wrapped for a terminal: the width of "[HH:MM] ". */
const ROW_INDENT = ' '.repeat(8);

/**
 * One event as text for a person, ending in a newline: control characters from peers shown as symbols
 * and newlines as ⏎ (lib/visible-text.ts), so the event is one line and can neither clear the screen nor
 * forge another. On a terminal `columns` wide, the line is wrapped here with every later row indented,
 * so a text padded to the terminal's width cannot start a row with a forged "[09:30] alice: …".
 */
export function printableLine(text: string, columns?: number): string {
  const line = showControls(text);
  if (!columns || columns < 20) return `${line}\n`;
  return `${wrapRows(line, columns - 1, columns - 1 - ROW_INDENT.length).join(`\n${ROW_INDENT}`)}\n`;
}

/** Logs in, then runs stdin commands until /quit or end of input; resolves with the exit code. */
export async function runLineClient(o: LineOptions): Promise<number> {
  const out = (type: string, fields: Record<string, unknown>, text: string): void => {
    process.stdout.write(o.json ? JSON.stringify({ type, ...fields }) + '\n' : printableLine(text, process.stdout.isTTY ? process.stdout.columns : undefined));
  };
  const client = new ChatClient({ host: o.host, port: o.port, historyDir: o.historyDir, ...(o.keysAhead ? { keysAhead: o.keysAhead } : {}), onProgress: (t) => process.stderr.write(showControls(t) + '\n'),
    ...(o.downloads !== undefined ? { downloads: o.downloads } : {}), ...(o.maxFile !== undefined ? { maxFile: o.maxFile } : {}) });
  showFileEvents(client, out);
  client.on('ready', () => out('ready', { user: client.name, server: client.server, fingerprint: client.serverFingerprint, verified: client.verified },
    `* joined ${client.server} as ${client.name}${client.verified === 'password' ? ` — server key ${client.serverFingerprint} verified by the room password` : ''}`));
  client.on('message', (m: ChatMessage) => out('message', { id: m.id, seq: m.seq, from: m.from, text: m.text, encrypted: m.encrypted, ts: m.ts, ...(m.to ? { to: m.to } : {}) },
    `[${new Date(m.ts).toTimeString().slice(0, 5)}] ${m.to ? `(to ${m.to}) ` : ''}${m.from}${m.encrypted ? ' 🔒' : ''}: ${m.text}`));
  client.on('delivered', (d: { id: string; seq: number }) => out('delivered', d, `  ✓ delivered #${d.seq}`));
  client.on('join', (e: { user: string }) => out('join', e, `* ${e.user} joined`));
  client.on('leave', (e: { user: string }) => out('leave', e, `* ${e.user} left`));
  client.on('error', (e: { code: string; message: string }) => out('error', e, `! ${e.message}`));
  client.on('warning', (w: string) => out('warning', { message: w }, `* ${w}`));

  const refused = await login(client, o);
  if (refused !== undefined) {
    await client.close();
    return refused;
  }
  return new Promise<number>((resolve) => {
    let chain = Promise.resolve();
    let done = false;
    const finish = async (): Promise<void> => {
      if (done) return;
      done = true;
      await chain;
      // Files being sent or received finish first (or end: cancelled, declined, failed).
      while (client.files.busy > 0 && client.state !== 'closed') await new Promise((r) => setTimeout(r, 50));
      const ok = await client.drain();
      if (!ok) out('error', { code: 'timeout', message: `${client.unacked} messages were not confirmed by the server` }, '! some messages were not confirmed');
      await client.close();
      resolve(EXIT.OK);
    };
    const rl = createInterface({ input: process.stdin, terminal: false });
    rl.on('line', (line) => {
      if (done) return;
      if (line.trim() === '/quit') { rl.close(); return; }
      chain = chain.then(() => command(client, line, out));
    });
    rl.on('close', () => void finish());
    process.once('SIGINT', () => { rl.close(); });
    process.once('SIGTERM', () => { rl.close(); });
  });
}

async function login(client: ChatClient, o: LineOptions): Promise<number | undefined> {
  try {
    await client.connect();
    await client.authenticate(o.password);
    await client.join(o.username);
    return undefined;
  } catch (err) {
    if (!(err instanceof ChatError)) {
      // Not a refusal but a local failure (e.g. the history dir cannot be written): say it plainly.
      process.stderr.write(`error: ${showControls((err as Error).message)}\n`);
      return EXIT.FAILED;
    }
    const line = JSON.stringify({ type: 'error', code: err.code, message: err.message });
    if (o.json) process.stdout.write(line + '\n');
    process.stderr.write(`error: ${showControls(err.message)}\n`);
    if (err.code === 'server_key_changed') return EXIT.SERVER_KEY_CHANGED;
    if (LOGIN_REFUSED.has(err.code)) return EXIT.LOGIN_REFUSED;
    return EXIT.FAILED;
  }
}

async function command(client: ChatClient, line: string, out: (type: string, f: Record<string, unknown>, text: string) => void): Promise<void> {
  try {
    if (line === '/users') {
      const users = client.users();
      const keys = Object.fromEntries(users.map((u) => [u, client.e2e.state(u)]));
      out('users', { users, keys }, `* in the room: ${users.map((u) => `${u}${KEY_MARK[keys[u]!]}`).join(', ')}`);
    } else if (line.startsWith('/enc ')) {
      await client.sendEncrypted(line.slice(5));
    } else if (line.startsWith('/msg ')) {
      const m = /^\/msg\s+(\S+)\s+([\s\S]+)$/.exec(line);
      if (!m) throw new ChatError('bad_arguments', 'usage: /msg USER TEXT');
      await client.sendDirect(m[1]!, m[2]!);
    } else if (/^\/(verify|trust)(\s|$)/.test(line)) {
      await keyCommand(client, line, out);
    } else if (await fileCommand(client, line, out)) {
      // a file command (lib/app/line-files.ts)
    } else if (line.startsWith('/') && !line.startsWith('//')) {
      throw new ChatError('bad_arguments', `unknown command ${line.split(' ')[0]} — commands: /enc TEXT, /msg USER TEXT, /send [USER] PATH, /accept ID, /decline ID, /cancel ID, /users, /verify USER [yes], /trust USER, /quit`);
    } else if (line.length > 0) {
      client.send(line.startsWith('//') ? line.slice(1) : line);
    }
  } catch (err) {
    if (!(err instanceof ChatError)) throw err;
    out('error', { code: err.code, message: err.message }, `! ${err.message}`);
  }
}

/** How a user's key state shows after the name in plain lines (issue 15). */
const KEY_MARK: Record<string, string> = { new: '', verified: ' ✓', changed: ' (keys changed!)', unknown: ' (no keys)' };

/** /verify USER shows both fingerprints and the safety number; /verify USER yes marks them verified; /trust USER accepts them. */
async function keyCommand(client: ChatClient, line: string, out: (type: string, f: Record<string, unknown>, text: string) => void): Promise<void> {
  const m = /^\/(verify|trust)\s+(\S+)(?:\s+(\S+))?\s*$/.exec(line);
  if (!m || (m[3] !== undefined && (m[1] !== 'verify' || m[3] !== 'yes'))) throw new ChatError('bad_arguments', 'usage: /verify USER [yes], /trust USER');
  const [, cmd, user] = m as unknown as [string, string, string];
  if (cmd === 'verify' && m[3] === undefined) {
    const s = client.e2e.safety(user);
    out('verify', { user, state: s.state, mine: s.mine, theirs: s.theirs, safetyNumber: s.number },
      `* keys of ${user}: ${s.state}\n  yours:  ${s.mine}\n  theirs: ${s.theirs}\n  safety number (read it aloud together): ${s.number}\n  if it matches on both screens: /verify ${user} yes`);
    return;
  }
  await client.e2e.accept(user, cmd === 'verify');
  const state = client.e2e.state(user);
  out('trust', { user, state }, `* keys of ${user} are now ${state === 'verified' ? 'verified' : 'accepted (not verified)'}`);
}
