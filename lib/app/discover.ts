// `client.ts --discover` (list the rooms on this LAN) and `--room NAME` (find one room's address by name).
import { EXIT } from './cli.ts';
import { NO_ROOMS_ADVICE } from '../net/discovery.ts';
import { searchRooms, type FoundRoom, type SearchOptions } from '../net/discovery-socket.ts';

export interface DiscoverOptions { json: boolean; waitMs: number; search?: (o: SearchOptions) => Promise<FoundRoom[]>; targets?: SearchOptions['targets'] }

/** Prints one line per room as it answers; resolves with 0 when any answered, 1 when none did. */
export async function runDiscover(o: DiscoverOptions, out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const rooms = await (o.search ?? searchRooms)({
    waitMs: o.waitMs, ...(o.targets ? { targets: o.targets } : {}),
    onRoom: (r) => out((o.json ? JSON.stringify(roomLine(r)) : textLine(r)) + '\n'),
  });
  if (rooms.length > 0) return EXIT.OK;
  err(`${NO_ROOMS_ADVICE.join('\n')}\n(waited ${o.waitMs} ms; --wait MS waits longer)\n`);
  return EXIT.FAILED;
}

/** The JSON line of one room (the stable shape scripts read). */
export function roomLine(r: FoundRoom): { type: 'room'; name: string; host: string; port: number; fingerprint: string; users: number } {
  return { type: 'room', name: r.name, host: r.host, port: r.port, fingerprint: r.fingerprint, users: r.users };
}

function textLine(r: FoundRoom): string {
  return `${JSON.stringify(r.name)}  ${r.host}:${r.port}  ${r.users} ${r.users === 1 ? 'member' : 'members'}  ${r.fingerprint}`;
}

/** A room-name lookup that failed: the message is for people, exit 1. */
export class RoomNotFound extends Error {
  override readonly name = 'RoomNotFound';
}

/**
 * Finds the one room called `name` (exact, after NFC; else case-insensitive). Throws RoomNotFound when
 * none or several answered with that name, saying what to do.
 */
export async function findRoom(name: string, waitMs: number, o: Pick<DiscoverOptions, 'search' | 'targets'> = {}): Promise<FoundRoom> {
  const rooms = await (o.search ?? searchRooms)({ waitMs, ...(o.targets ? { targets: o.targets } : {}) });
  const want = name.normalize('NFC');
  let match = rooms.filter((r) => r.name === want);
  if (match.length === 0) match = rooms.filter((r) => r.name.toLowerCase() === want.toLowerCase());
  if (match.length === 1) return match[0]!;
  if (match.length > 1) {
    throw new RoomNotFound(`${match.length} rooms on this LAN are called "${name}": ${match.map((r) => `${r.host}:${r.port} (${r.fingerprint})`).join(', ')} — pick one with --host ADDR --port N`);
  }
  if (rooms.length === 0) throw new RoomNotFound(`no room called "${name}": ${NO_ROOMS_ADVICE.join('\n')}`);
  throw new RoomNotFound(`no room called "${name}" on this LAN; rooms that answered: ${rooms.map((r) => `"${r.name}" at ${r.host}:${r.port}`).join(', ')} — check the name; a room on another subnet does not answer: give its address with --host ADDR`);
}

/** For `--no-ui --room NAME`: the room's address, or the exit code after saying (stderr, and stdout with --json) why not. */
export async function roomAddress(name: string, waitMs: number, json: boolean): Promise<{ host: string; port: number } | number> {
  try {
    const r = await findRoom(name, waitMs);
    return { host: r.host, port: r.port };
  } catch (err) {
    if (!(err instanceof RoomNotFound)) throw err;
    if (json) process.stdout.write(JSON.stringify({ type: 'error', code: 'no_such_room', message: err.message }) + '\n');
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT.FAILED;
  }
}
