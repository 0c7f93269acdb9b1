// "Delivered" means stored: the room acknowledges a message to its sender only once the history append has
// resolved, and a failed append reaches the sender as store_failed (never as delivered), with nothing sent to
// the others. Checked in the Room with members that record what they are sent, and over the wire with a
// ChatServer whose history append is held by the test. Also the room's own too_large refusal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { MAX_MESSAGE_BYTES } from '../lib/constants.ts';
import { Room } from '../lib/chat/room.ts';
import { RoomHistory } from '../lib/history/room.ts';
import { joinClient, type Recorder, removeDir, startServer, tempDir, waitFor } from './support/chat-harness.ts';
import { holdAppends, received, type Seat, seats } from './support/room-seats.ts';

let dir = '';
let dirs = 0;
const cleanup: Array<() => Promise<unknown>> = [];

test.before(async () => { dir = await tempDir('obrolan-room-ack-'); });
test.after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  await removeDir(dir);
});

async function makeRoom(): Promise<{ room: Room; history: RoomHistory }> {
  const history = await RoomHistory.open(join(dir, `room-${dirs++}`), { onWarning: () => {} });
  cleanup.push(() => history.close());
  return { room: new Room(history, { message: () => {}, log: () => {} }), history };
}

/** Lets pending promise callbacks and timers of this turn run. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

test('sends no delivered while the append is pending, and store_failed with the id when it fails; the others get nothing', async () => {
  const { room, history } = await makeRoom();
  const held = holdAppends(history);
  const [ani, budi] = await seats(room, ['ani', 'budi']) as [Seat, Seat];
  room.submit(ani.member, 'm1', { text: 'hello' });
  await waitFor(() => held.length === 1, 2_000, 'the append to start');
  await settle();
  assert.equal(ani.got, [], 'nothing (no delivered) reaches the sender while the append is pending');
  assert.equal(budi.got, [], 'nothing reaches the others while the append is pending');

  held[0]!.fail(new Error('disk full (test)'));
  await settle();
  assert.equal(received(ani, 'delivered'), [], 'never delivered');
  const errors = received(ani, 'error');
  assert.is(errors.length, 1, 'one error');
  assert.is(errors[0]!.code, 'store_failed');
  assert.is(errors[0]!.id, 'm1', 'the error names the message');
  assert.equal(budi.got, [], 'the others never see a message that was not stored');
  assert.is(room.lastSeq, 0, 'nothing counts as stored');

  // Trying again works, and takes the seq the failed one would have had: room order stays gap-free.
  room.submit(ani.member, 'm1', { text: 'hello' });
  await waitFor(() => held.length === 2, 2_000, 'the second append');
  held[1]!.succeed();
  await waitFor(() => received(ani, 'delivered').length === 1, 2_000, 'delivered after the retry');
  assert.equal(received(ani, 'delivered'), [{ t: 'delivered', id: 'm1', seq: 1 }]);
  assert.equal(received(budi, 'msg').map((m) => [m.m.seq, m.m.text]), [[1, 'hello']]);
  assert.is(history.lastSeq, 1, 'stored once');
});

test('sends delivered only after the append resolves, and then the message to the others', async () => {
  const { room, history } = await makeRoom();
  const held = holdAppends(history);
  const [ani, budi] = await seats(room, ['ani', 'budi']) as [Seat, Seat];
  room.submit(ani.member, 'a', { text: 'first' });
  room.submit(ani.member, 'b', { text: 'second' });
  await waitFor(() => held.length === 2, 2_000, 'both appends to start');
  await settle();
  assert.equal(ani.got, [], 'no delivered before either append resolves');
  assert.equal(budi.got, []);
  held[0]!.succeed();
  await waitFor(() => received(ani, 'delivered').length === 1, 2_000, 'the first delivered');
  await settle();
  assert.equal(received(ani, 'delivered'), [{ t: 'delivered', id: 'a', seq: 1 }], 'only the stored one is acknowledged');
  assert.is(history.lastSeq, 1, 'what was acknowledged is in the history');
  held[1]!.succeed();
  await waitFor(() => received(ani, 'delivered').length === 2, 2_000, 'the second delivered');
  assert.is(history.lastSeq, 2);
  assert.equal(received(budi, 'msg').map((m) => m.m.text), ['first', 'second']);
});

test('refuses a message too large to relay with too_large and its id, and stores nothing', async () => {
  const { room, history } = await makeRoom();
  const [ani, budi] = await seats(room, ['ani', 'budi']) as [Seat, Seat];
  // An envelope just under the channel's message limit: relayed with seq, sender and time it would not fit.
  room.submit(ani.member, 'big', { env: { pad: 'x'.repeat(MAX_MESSAGE_BYTES - 80) } });
  room.submit(ani.member, 'small', { text: 'fits' });
  await waitFor(() => received(ani, 'delivered').length === 1, 2_000, 'the small one delivered');
  const errors = received(ani, 'error');
  assert.equal(errors.map((e) => [e.code, e.id]), [['too_large', 'big']]);
  assert.equal(received(ani, 'delivered'), [{ t: 'delivered', id: 'small', seq: 1 }], 'the refused one took no seq');
  assert.is(history.lastSeq, 1, 'only the small one is stored');
  assert.equal(received(budi, 'msg').map((m) => m.m.id), ['small']);
});

test('over the wire: a client whose message cannot be stored is told store_failed, never delivered, and can send again', async () => {
  const { server, port } = await startServer(join(dir, 'wire-server'));
  cleanup.push(() => server.stop());
  // The server's history is private; the test reaches it to hold its appends.
  const held = holdAppends(server['history']);
  const clients: Recorder[] = [];
  for (const name of ['ani', 'budi']) {
    const r = await joinClient(port, join(dir, 'wire', name), name);
    cleanup.push(() => r.client.close());
    clients.push(r);
  }
  const [ani, budi] = clients as [Recorder, Recorder];
  ani.client.send('not this time');
  await waitFor(() => held.length === 1, 10_000, 'the server to start storing');
  await new Promise((r) => setTimeout(r, 300)); // a delivered sent early would have arrived by now
  assert.equal(ani.delivered, [], 'no delivered while the append is pending');
  assert.is(ani.client.unacked, 1, 'still waiting for the server');

  held[0]!.fail(new Error('disk full (test)'));
  await waitFor(() => ani.errors.length === 1, 10_000, 'the error to reach the sender');
  assert.is(ani.errors[0]!.code, 'store_failed');
  assert.match(ani.errors[0]!.message, /try again/);
  assert.is(ani.client.unacked, 0, 'the client no longer waits for it');
  assert.equal(ani.delivered, []);

  ani.client.send('second try');
  await waitFor(() => held.length === 2, 10_000, 'the second append');
  held[1]!.succeed();
  await waitFor(() => ani.delivered.length === 1 && budi.messages.length === 1, 10_000, 'the second try delivered and shown');
  assert.equal(budi.texts(), ['second try'], 'the others saw only what was stored');
  assert.is(ani.delivered[0]!.seq, 1, 'room order is gap-free');
});

test.run();
