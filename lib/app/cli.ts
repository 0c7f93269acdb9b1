// Command-line flags of server.ts and client.ts: node:util parseArgs, environment fallbacks, --help text.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { join } from 'node:path';
import { DEFAULT_PORT, DISCOVERY_PORT, DISCOVERY_WAIT_MS } from '../constants.ts';

/** Exit codes shared by both programs. */
export const EXIT = { OK: 0, FAILED: 1, BAD_ARGUMENTS: 2, LOGIN_REFUSED: 3, SERVER_KEY_CHANGED: 4 } as const;

/** A wrong flag or value: print the message, exit 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface ServerArgs { help: boolean; headless: boolean; json: boolean; host: string; port?: number; password?: string; historyDir: string; retentionDays?: number; roomName?: string; maxFile?: number }
export interface ClientArgs { help: boolean; noUi: boolean; json: boolean; host?: string; port?: number; password?: string; username?: string; historyDir: string;
  /** Rooms on this LAN: --discover lists them, --room NAME joins one by name; --wait MS how long to listen. */
  discover: boolean; room?: string; waitMs: number;
  /** Files (issue 19): where received files are saved, and the largest sent or accepted. */
  downloads?: string; maxFile?: number }

export const SERVER_HELP = `Obrolan server — a LAN chatroom over UDP.

usage: npx tsx server.ts [flags]          opens the server window; press Start
       npx tsx server.ts --headless --password S [flags]

  --host ADDR          address to listen on (default 0.0.0.0: every interface;
                       env OBROLAN_HOST)
  --port N             UDP port, 0 picks a free one (default ${DEFAULT_PORT};
                       env OBROLAN_PORT)
  --password S         the room's password (env OBROLAN_PASSWORD, which keeps it
                       out of shell history)
  --room-name NAME     the room's name, shown to clients looking for rooms on
                       the LAN (default: this machine's host name;
                       env OBROLAN_ROOM). Discovery answers on UDP ${DISCOVERY_PORT}.
  --history-dir DIR    where history and keys live (default: history/ beside
                       server.ts; env OBROLAN_HISTORY_DIR)
  --retention-days N   delete room history older than N days at start
                       (default: keep everything)
  --max-file SIZE      largest file relayed, in bytes or with K, M, G
                       (default 2G)
  --headless           no window: log to stdout; prints "listening on HOST:PORT"
  --json               with --headless: one JSON object per line
  -h, --help           this text

In a window the flags prefill the form. Ctrl-C (or SIGTERM) tells clients,
saves history and exits 0. --headless prints counters every minute and on
SIGUSR1.
`;

export const CLIENT_HELP = `Obrolan client — join a LAN chatroom.

usage: npx tsx client.ts [flags]        opens the chat window (rooms on this LAN
                                        first)
       npx tsx client.ts --no-ui (--host H | --room NAME) --password S
                         --username U [flags]
       npx tsx client.ts --discover [--json] [--wait MS]

  --host ADDR          the server's IP address (env OBROLAN_HOST)
  --port N             the server's UDP port (default ${DEFAULT_PORT}; env OBROLAN_PORT)
  --password S         the room's password (env OBROLAN_PASSWORD)
  --room NAME          with --no-ui: join the room of that name found on this
                       LAN (instead of --host)
  --discover           list the rooms on this LAN (one line each) and exit: 0 if
                       any answered, 1 if none
  --wait MS            how long --discover and --room listen for answers
                       (default ${DISCOVERY_WAIT_MS} ms)
  --username U         your name in the room, 1–32 characters
                       (env OBROLAN_USERNAME)
  --history-dir DIR    where your history and keys live (default: history/
                       beside client.ts; env OBROLAN_HISTORY_DIR)
  --no-ui              line mode: read stdin, one line each:
                         TEXT             send TEXT to the room
                         /enc TEXT        send TEXT encrypted end to end
                         /msg USER TEXT   direct message (always encrypted)
                         /users           who is in the room, with key states
                         /verify USER     both key fingerprints and the safety
                                          number to compare
                         /verify USER yes mark USER's keys verified (compared)
                         /trust USER      accept USER's changed keys as they are
                         /send USER PATH  offer a file to USER, end-to-end
                                          encrypted (/send PATH: to everyone;
                                          folders cannot be sent yet)
                         /accept ID, /decline ID   answer a file offer (no
                                          ID: the only offer waiting)
                         /cancel ID       stop a file transfer (either side)
                         /quit            leave when every message is stored
  --downloads DIR      where received files are saved (default: downloads/
                       in the history dir)
  --max-file SIZE      largest file sent or accepted, in bytes or with K, M, G
                       (default 2G)
  --json               with --no-ui: one JSON object per line on stdout, each
                       with a "type": ready, message, delivered, join, leave,
                       users, verify, trust, error, file_offer, file_progress,
                       file_done, file_failed
                       with --discover: {"type":"room","name","host","port",
                       "fingerprint","users"}
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

function waitMs(v: string | undefined): number {
  if (v === undefined) return DISCOVERY_WAIT_MS;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 60_000) throw new CliError(`--wait must be a number of milliseconds from 1 to 60000, got "${v}"`);
  return n;
}

/** A size such as 2G, 500M, 64K or 1048576, in bytes. */
function size(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(v);
  const n = m ? Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new CliError(`--max-file must be a size such as 2G, 500M or 1048576, got "${v}"`);
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
  const v = parse(argv, { ...COMMON, headless: { type: 'boolean' }, 'retention-days': { type: 'string' }, 'room-name': { type: 'string' }, 'max-file': { type: 'string' } });
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
  const room = (v['room-name'] as string | undefined) ?? env.OBROLAN_ROOM;
  if (room !== undefined) {
    if (/[\p{Cc}]/u.test(room) || room.trim() === '') throw new CliError('--room-name must be a non-empty name without control characters');
    a.roomName = room.trim();
  }
  const maxFile = size(v['max-file'] as string | undefined);
  if (maxFile !== undefined) a.maxFile = maxFile;
  if (a.json && !a.headless) throw new CliError('--json goes with --headless');
  return a;
}

/** Parses client.ts flags. Throws CliError. */
export function parseClientArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ClientArgs {
  const v = parse(argv, { ...COMMON, username: { type: 'string' }, 'no-ui': { type: 'boolean' },
    discover: { type: 'boolean' }, room: { type: 'string' }, wait: { type: 'string' }, downloads: { type: 'string' }, 'max-file': { type: 'string' } });
  const a: ClientArgs = {
    help: v.help === true, noUi: v['no-ui'] === true, json: v.json === true, discover: v.discover === true,
    waitMs: waitMs(v.wait as string | undefined),
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
  if (v.room !== undefined) a.room = v.room as string;
  if (v.downloads !== undefined) a.downloads = v.downloads as string;
  const maxFile = size(v['max-file'] as string | undefined);
  if (maxFile !== undefined) a.maxFile = maxFile;
  if (a.json && !a.noUi && !a.discover) throw new CliError('--json goes with --no-ui or --discover');
  if (a.discover && a.noUi) throw new CliError('--discover lists rooms and exits: leave out --no-ui');
  if (a.room !== undefined && v.host !== undefined) throw new CliError('give --room NAME or --host ADDR, not both');
  return a;
}
