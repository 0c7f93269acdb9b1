// Joins and leaves reach each member batched in `presence` messages: one shared encoding for everyone who
// was already in the room, and for those who joined during the batch only what happened after them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoomHistory } from '../lib/history/room.ts';
import { decodeServerMessage, PRESENCE_PER_MESSAGE, type ServerMessage } from '../lib/chat/messages.ts';
import { Room, type Member } from '../lib/chat/room.ts';

const dirs: string[] = [];
const rooms: RoomHistory[] = [];

interface Seat { member: Member; got: Buffer[] }

async function makeRoom(): Promise<Room> {
  const dir = await mkdtemp(join(tmpdir(), 'obrolan-room-'));
  dirs.push(dir);
  const history = await RoomHistory.open(dir, { onWarning: () => {} });
  rooms.push(history);
  return new Room(history, { message: () => {}, log: () => {} });
}

function seat(room: Room, name: string): Seat {
  const got: Buffer[] = [];
  const member = room.newMember({ name, key: name.toLowerCase(), address: '127.0.0.1:1', keysFp: `fp-${name}`, send: (m) => { got.push(Buffer.isBuffer(m) ? m : Buffer.from(JSON.stringify(m))); } });
  room.members.set(member.key, member);
  return { member, got };
}

/** What a seat received that is about presence, decoded: one entry per message. */
function presence(s: Seat): Array<Extract<ServerMessage, { t: 'presence' }>['events']> {
  return s.got.map(decodeServerMessage).flatMap((m) => (m.t === 'presence' ? [m.events] : []));
}

/** A room where Ana is in and has heard nothing yet. */
async function roomWithAna(): Promise<{ room: Room; ana: Seat }> {
  const room = await makeRoom();
  const ana = seat(room, 'Ana');
  await room.admit(ana.member, 0);
  room.flushAnnouncements();
  ana.got.length = 0;
  return { room, ana };
}

const joined = (name: string) => ({ t: 'join', user: { name, keys: `fp-${name}` } });

test.after(async () => {
  for (const h of rooms) await h.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('joins in one batch reach an earlier member as one presence message, in order', async () => {
  const { room, ana } = await roomWithAna();
  const others = ['Budi', 'Citra', 'Dewi'].map((n) => seat(room, n));
  await Promise.all(others.map((s) => room.admit(s.member, 0)));
  room.flushAnnouncements();
  assert.equal(presence(ana), [[joined('Budi'), joined('Citra'), joined('Dewi')]]);
});

test('a member who joined during the batch hears only the later joins, never its own', async () => {
  const room = await makeRoom();
  const [budi, citra, dewi] = ['Budi', 'Citra', 'Dewi'].map((n) => seat(room, n));
  for (const s of [budi!, citra!, dewi!]) await room.admit(s.member, 0);
  room.flushAnnouncements();
  assert.equal(presence(budi!), [[joined('Citra'), joined('Dewi')]]);
  assert.equal(presence(citra!), [[joined('Dewi')]]);
  assert.equal(presence(dewi!), []);
});

test('a leave in the same batch as a join keeps their order', async () => {
  const { room, ana } = await roomWithAna();
  const budi = seat(room, 'Budi');
  await room.admit(budi.member, 0);
  room.remove(budi.member, 'quit');
  room.flushAnnouncements();
  assert.equal(presence(ana), [[joined('Budi'), { t: 'leave', user: 'Budi' }]]);
});

test('a large batch is split into presence messages of at most PRESENCE_PER_MESSAGE events', async () => {
  const { room, ana } = await roomWithAna();
  const n = PRESENCE_PER_MESSAGE + 5;
  const many = Array.from({ length: n }, (_, i) => seat(room, `u${i}`));
  await Promise.all(many.map((s) => room.admit(s.member, 0)));
  room.flushAnnouncements();
  const parts = presence(ana);
  assert.equal(parts.map((p) => p.length), [PRESENCE_PER_MESSAGE, 5]);
  assert.equal(parts.flat().map((e) => (e.t === 'join' ? e.user.name : '')), many.map((s) => s.member.name));
});

test('a client refuses a presence message with something other than joins and leaves', () => {
  const bad = Buffer.from(JSON.stringify({ t: 'presence', events: [{ t: 'msg', m: {} }] }));
  assert.throws(() => decodeServerMessage(bad), (e: Error & { code?: string }) => e.code === 'bad_message');
  const tooMany = Buffer.from(JSON.stringify({ t: 'presence', events: Array.from({ length: PRESENCE_PER_MESSAGE + 1 }, () => ({ t: 'leave', user: 'x' })) }));
  assert.throws(() => decodeServerMessage(tooMany), (e: Error & { code?: string }) => e.code === 'bad_message');
});

test.run();
