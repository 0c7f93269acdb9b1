// Command-line flags of server.ts and client.ts: node:util parseArgs, environment fallbacks, --help text.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { join } from 'node:path';
import { DEFAULT_PORT } from '../constants.ts';

/** Exit codes shared by both programs. */
export const EXIT = { OK: 0, FAILED: 1, BAD_ARGUMENTS: 2, LOGIN_REFUSED: 3, SERVER_KEY_CHANGED: 4 } as const;

/** A wrong flag or value: print the message, exit 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface ServerArgs { help: boolean; headless: boolean; json: boolean; host: string; port?: number; password?: string; historyDir: string; retentionDays?: number }
export interface ClientArgs { help: boolean; noUi: boolean; json: boolean; host?: string; port?: number; password?: string; username?: string; historyDir: string }

export const SERVER_HELP = `Obrolan server — a LAN chatroom over UDP.

usage: npx tsx server.ts [flags]          opens the server window; press Start
       npx tsx server.ts --headless --password S [flags]

  --host ADDR          address to listen on (default 0.0.0.0: every interface; env OBROLAN_HOST)
  --port N             UDP port, 0 picks a free one (default ${DEFAULT_PORT}; env OBROLAN_PORT)
  --password S         the room's password (env OBROLAN_PASSWORD, which keeps it out of shell history)
  --history-dir DIR    where history and keys live (default: history/ beside server.ts; env OBROLAN_HISTORY_DIR)
  --retention-days N   delete room history older than N days at start (default: keep everything)
  --headless           no window: log to stdout; prints "listening on HOST:PORT"
  --json               with --headless: one JSON object per line
  -h, --help           this text

In a window the flags prefill the form. Ctrl-C (or SIGTERM) tells clients, saves history and exits 0.
`;

export const CLIENT_HELP = `Obrolan client — join a LAN chatroom.

usage: npx tsx client.ts [flags]          opens the chat window (login form first)
       npx tsx client.ts --no-ui --host H --password S --username U [flags]

  --host ADDR          the server's IP address (env OBROLAN_HOST)
  --port N             the server's UDP port (default ${DEFAULT_PORT}; env OBROLAN_PORT)
  --password S         the room's password (env OBROLAN_PASSWORD)
  --username U         your name in the room, 1–32 characters (env OBROLAN_USERNAME)
  --history-dir DIR    where your history and keys live (default: history/ beside client.ts; env OBROLAN_HISTORY_DIR)
  --no-ui              line mode: read stdin, one line each:
                         TEXT             send TEXT to the room
                         /enc TEXT        send TEXT encrypted end to end
                         /msg USER TEXT   direct message (always encrypted)
                         /users           list who is in the room (with each one's key state)
                         /verify USER     show both key fingerprints and the safety number to compare
                         /verify USER yes mark USER's keys verified (you compared the safety number)
                         /trust USER      accept USER's changed keys without comparing
                         /quit            leave (after every sent message is delivered)
  --json               with --no-ui: one JSON object per line on stdout, each with a "type":
                         ready, message, delivered, join, leave, users, verify, trust, error
  -h, --help           this text

Exit codes: 0 done; 1 failed (e.g. server unreachable); 2 bad arguments;
3 login refused (wrong_password, name_taken); 4 the server's key changed.
`;

const ROOT = new URL('..', import.meta.url).pathname;

function port(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new CliError(`--port must be a number from 0 to 65535, got "${v}"`);
  return n;
}

function parse(argv: string[], options: ParseArgsConfig['options']): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new CliError((err as Error).message.replace(/^TypeError \[\w+\]: /, ''));
  }
}

const COMMON = {
  host: { type: 'string' }, port: { type: 'string' }, password: { type: 'string' },
  'history-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
} as const;

/** Parses server.ts flags. Throws CliError. */
export function parseServerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServerArgs {
  const v = parse(argv, { ...COMMON, headless: { type: 'boolean' }, 'retention-days': { type: 'string' } });
  const a: ServerArgs = {
    help: v.help === true, headless: v.headless === true, json: v.json === true,
    host: (v.host as string | undefined) ?? env.OBROLAN_HOST ?? '0.0.0.0',
    historyDir: (v['history-dir'] as string | undefined) ?? env.OBROLAN_HISTORY_DIR ?? join(ROOT, 'history'),
  };
  const p = port((v.port as string | undefined) ?? env.OBROLAN_PORT);
  if (p !== undefined) a.port = p;
  const pw = (v.password as string | undefined) ?? env.OBROLAN_PASSWORD;
  if (pw !== undefined) a.password = pw;
  if (v['retention-days'] !== undefined) {
    const d = Number(v['retention-days']);
    if (!Number.isInteger(d) || d < 1) throw new CliError('--retention-days must be a whole number of days, at least 1');
    a.retentionDays = d;
  }
  if (a.json && !a.headless) throw new CliError('--json goes with --headless');
  return a;
}

/** Parses client.ts flags. Throws CliError. */
export function parseClientArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ClientArgs {
  const v = parse(argv, { ...COMMON, username: { type: 'string' }, 'no-ui': { type: 'boolean' } });
  const a: ClientArgs = {
    help: v.help === true, noUi: v['no-ui'] === true, json: v.json === true,
    historyDir: (v['history-dir'] as string | undefined) ?? env.OBROLAN_HISTORY_DIR ?? join(ROOT, 'history'),
  };
  const host = (v.host as string | undefined) ?? env.OBROLAN_HOST;
  if (host !== undefined) a.host = host;
  const p = port((v.port as string | undefined) ?? env.OBROLAN_PORT);
  if (p !== undefined) a.port = p;
  const pw = (v.password as string | undefined) ?? env.OBROLAN_PASSWORD;
  if (pw !== undefined) a.password = pw;
  const user = (v.username as string | undefined) ?? env.OBROLAN_USERNAME;
  if (user !== undefined) a.username = user;
  if (a.json && !a.noUi) throw new CliError('--json goes with --no-ui');
  return a;
}
