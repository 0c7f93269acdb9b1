// Resent after a lost ack, stored once: the room de-duplicates messages by (sender, id), so a client that
// never heard `delivered` and sends its message again in a new session gets the first seq back, and nobody
// is shown the message twice.
//
// A client that rejoins is sent what it missed, its own messages included, and takes its own message in
// that replay as delivered; it sends again only what the replay did not cover. So here the sender stays
// away (its acks and everything else from the server dropped by a UDP proxy) while more than REPLAY_MAX
// messages are stored after its own: its own message is not in the replay, and the resend reaches the room.
// The Room-level tests below cover the other two moments a resend can arrive in a new session: while the
// first copy is still being stored, and while flood control still held it when the old session ended.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { REPLAY_MAX } from '../lib/constants.ts';
import { Room } from '../lib/chat/room.ts';
import type { ChatMessage } from '../lib/chat/types.ts';
import { RoomHistory } from '../lib/history/room.ts';
import { joinClient, type Recorder, removeDir, startServer, tempDir, waitFor } from './support/chat-harness.ts';
import { holdAppends, received, type Seat, seat, seats } from './support/room-seats.ts';
import { UdpProxy } from './support/udp-proxy.ts';

let dir = '';
const cleanup: Array<() => Promise<unknown> | void> = [];

test.before(async () => { dir = await tempDir('obrolan-resend-'); });
test.after(async () => {
  for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {});
  await removeDir(dir);
});

test('a message whose delivered was lost is resent after a reconnect and stored and shown once, with one seq, everywhere', async () => {
  // Flood control off, so the messages that push ani's out of the replay are stored in a moment.
  const { server, port } = await startServer(join(dir, 'server'), { flood: { ratePerS: 100_000, burst: 100_000 } });
  cleanup.push(() => server.stop());
  const stored: ChatMessage[] = [];
  server.on('message', (m: ChatMessage) => stored.push(m));

  // Ani reaches the server through the proxy; while `blackout` holds, nothing from the server reaches ani.
  const proxy = await UdpProxy.start(port);
  cleanup.push(() => proxy.close());
  let blackout = false;
  proxy.capturing = false;
  proxy.hook = (d) => (blackout && d.dir === 'down' ? null : undefined);

  const join1 = async (name: string, p: number): Promise<Recorder> => {
    const r = await joinClient(p, join(dir, name), name);
    cleanup.push(() => r.client.close());
    return r;
  };
  const ani = await join1('ani', proxy.port);
  const budi = await join1('budi', port);
  const citra = await join1('citra', port);
  await waitFor(() => ani.client.users().length === 3, 10_000, 'everyone in the room');

  blackout = true;
  const id = ani.client.send('said once');
  await waitFor(() => budi.texts().includes('said once') && citra.texts().includes('said once'), 10_000, 'the message stored and shown to the others');
  const seq = stored.find((m) => m.id === id)!.seq;

  // While ani hears nothing, more than a replay's worth of messages is stored after its own.
  const later = REPLAY_MAX + 1;
  for (let i = 0; i < later; i++) budi.client.send(`later ${i}`);
  await waitFor(() => budi.delivered.length === later, 20_000, `budi's ${later} messages stored`);
  assert.equal(ani.delivered, [], 'ani never heard its delivered');
  assert.is(ani.client.unacked, 1, 'ani still holds its message');

  // Ani's link gives up on the silent server; from its first reconnect attempt on, the proxy lets all through.
  await waitFor(() => ani.client.state === 'reconnecting', 30_000, 'ani to notice the dead link');
  blackout = false;
  await waitFor(() => ani.client.state === 'connected' && ani.client.unacked === 0, 20_000, 'ani back and its message acknowledged');
  await new Promise((r) => setTimeout(r, 300)); // a second copy would show up now

  assert.ok(ani.warnings.some((w) => /older messages were missed/.test(w)), `the replay did not cover ani's message, so it was resent: ${ani.warnings.join(' | ')}`);
  assert.equal(stored.filter((m) => m.id === id).map((m) => m.seq), [seq], 'the room stored it once');
  assert.equal(ani.delivered.filter((d) => d.id === id), [{ id, seq }], 'ani was told once, with the first seq');
  for (const r of [budi, citra]) {
    const copies = r.messages.filter((m) => m.text === 'said once');
    assert.equal(copies.map((m) => [m.id, m.seq]), [[id, seq]], `${r.client.name} was shown it once, with the same seq`);
  }
  assert.is(stored.length, 1 + later, 'nothing else was stored');
});

let rooms = 0;
async function makeRoom(flood?: { ratePerS: number; burst: number }): Promise<{ room: Room; history: RoomHistory }> {
  const history = await RoomHistory.open(join(dir, `room-${rooms++}`), { onWarning: () => {} });
  cleanup.push(() => history.close());
  return { room: new Room(history, { message: () => {}, log: () => {} }, flood), history };
}

/** Ani's session ends and ani comes back in a new one (as the server does when a client reconnects). */
async function replaceAni(room: Room, old: Seat): Promise<Seat> {
  room.remove(old.member, 'replaced by a new connection');
  const again = seat(room, 'ani');
  await room.admit(again.member, 0);
  again.got.length = 0;
  return again;
}

/** The ids and seqs of the room messages `s` was sent. */
const msgs = (s: Seat): Array<[string, number]> => received(s, 'msg').map((m) => [m.m.id, m.m.seq]);

test('in the Room: a resend from a new session while the first copy is still being stored is not stored again', async () => {
  const { room, history } = await makeRoom();
  const held = holdAppends(history);
  const [ani, budi] = await seats(room, ['ani', 'budi']) as [Seat, Seat];
  room.submit(ani.member, 'r1', { text: 'slow to store' });
  await waitFor(() => held.length === 1, 2_000, 'the append to start');

  const ani2 = await replaceAni(room, ani);
  room.submit(ani2.member, 'r1', { text: 'slow to store' });
  await new Promise((r) => setTimeout(r, 50));
  assert.is(held.length, 1, 'the resend started no second append');
  assert.equal(ani2.got, [], 'and is not answered before the first copy is stored');

  held[0]!.succeed();
  await waitFor(() => history.lastSeq === 1 && msgs(budi).length === 1, 2_000, 'the first copy stored');
  assert.equal(msgs(budi), [['r1', 1]], 'the others get it once');
  // The new session hears of it as a room message from itself, which its client takes as delivered.
  assert.equal(msgs(ani2), [['r1', 1]], 'the new session is told, with the seq');

  room.submit(ani2.member, 'r1', { text: 'slow to store' });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(received(ani2, 'delivered'), [{ t: 'delivered', id: 'r1', seq: 1 }], 'a resend after storing is answered with the same seq');
  assert.is(held.length, 1, 'and not stored again');
  assert.equal(msgs(budi), [['r1', 1]]);
});

test('in the Room: a message flood control still held when its session ended is stored once when it is resent', async () => {
  const { room, history } = await makeRoom({ ratePerS: 1, burst: 1 });
  const [ani, budi] = await seats(room, ['ani', 'budi']) as [Seat, Seat];
  room.submit(ani.member, 'q1', { text: 'at once' });
  room.submit(ani.member, 'q2', { text: 'held by flood control' });
  await waitFor(() => received(ani, 'delivered').length === 1, 2_000, 'the first one stored');
  assert.ok(received(ani, 'notice').length > 0, 'the second one is held by flood control');

  // The session ends before flood control lets q2 through; the client resends what was not acknowledged.
  const ani2 = await replaceAni(room, ani);
  room.submit(ani2.member, 'q2', { text: 'held by flood control' });
  await waitFor(() => received(ani2, 'delivered').length === 1, 3_000, 'the resent message stored and acknowledged');
  assert.equal(received(ani2, 'delivered'), [{ t: 'delivered', id: 'q2', seq: 2 }]);
  await new Promise((r) => setTimeout(r, 1_200)); // past the old session's flood delay: nothing more
  assert.equal(msgs(budi), [['q1', 1], ['q2', 2]], 'the others get each once');
  assert.is(history.lastSeq, 2, 'each stored once');
});

test.run();
