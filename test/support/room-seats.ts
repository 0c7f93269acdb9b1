// A Room under test without a network: members ("seats") that record what the room sends them, and a
// history whose appends the test holds until it lets each one succeed or fail.
import { decodeServerMessage, type ServerMessage } from '../../lib/chat/messages.ts';
import type { Member, Room } from '../../lib/chat/room.ts';
import type { RoomHistory, StoredMessage } from '../../lib/history/room.ts';

/** One append the test holds: it settles only when the test says so. */
export interface HeldAppend { m: StoredMessage; succeed: () => void; fail: (err: Error) => void }

/**
 * Makes every append on `history` wait for the test: each call is listed in the returned array, and goes on
 * to the real append (`succeed`) or rejects (`fail`) when the test decides.
 */
export function holdAppends(history: RoomHistory): HeldAppend[] {
  const held: HeldAppend[] = [];
  const real = history.append.bind(history);
  history.append = (m: StoredMessage) => new Promise<void>((resolve, reject) => {
    held.push({ m, succeed: () => { real(m).then(resolve, reject); }, fail: reject });
  });
  return held;
}

/** A member and everything the room sent it, decoded. */
export interface Seat { member: Member; got: ServerMessage[] }

/** A new member `name` in `room` (claimed, not yet admitted), recording what it is sent. */
export function seat(room: Room, name: string): Seat {
  const got: ServerMessage[] = [];
  const member = room.newMember({ name, key: name.toLowerCase(), address: '127.0.0.1:1', keysFp: `fp-${name}`, send: (m) => { got.push(Buffer.isBuffer(m) ? decodeServerMessage(m) : m); } });
  room.members.set(member.key, member);
  return { member, got };
}

/** Members `names`, admitted and announced; what they were sent so far is forgotten. */
export async function seats(room: Room, names: string[]): Promise<Seat[]> {
  const out: Seat[] = [];
  for (const name of names) {
    const s = seat(room, name);
    await room.admit(s.member, 0);
    out.push(s);
  }
  room.flushAnnouncements();
  for (const s of out) s.got.length = 0;
  return out;
}

/** What `s` was sent of type `t`. */
export function received<T extends ServerMessage['t']>(s: Seat, t: T): Array<Extract<ServerMessage, { t: T }>> {
  return s.got.filter((m): m is Extract<ServerMessage, { t: T }> => m.t === t);
}
