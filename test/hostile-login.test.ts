// A peer that completes the handshake and never logs in: it is closed at the login deadline, and until
// then it can make the server hold only a small budget, however it orders its fragments.
// The endpoint runs over real UDP on 127.0.0.1 with a fake clock for its deadlines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LOGIN_DEADLINE_MS, PRELOGIN_BUFFER_BYTES, PRELOGIN_MAX_DATAGRAMS, PRELOGIN_RECEIVE_WINDOW } from '../lib/constants.ts';
import { generateRsaKeyPair, type RsaKeyPair } from '../lib/keyfile.ts';
import type { AdmissionLimits } from '../lib/net/admission.ts';
import { endpointWithPeer, RawPeer, type Outcome } from './support/raw-peer.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let identity: RsaKeyPair;
let clock = 1_000_000;
const open: Array<{ close(): unknown }> = [];

test.before(async () => { identity = await generateRsaKeyPair(2048); });
test.after.each(async () => { for (const x of open.splice(0)) await x.close(); });

const endpoint = (admission: Partial<AdmissionLimits> = {}) => endpointWithPeer(identity, () => clock, open, admission);

async function session(peer: RawPeer): Promise<Extract<Outcome, { ok: true }>> {
  const s = await peer.handshake();
  if (!s.ok) throw new Error(`handshake refused: ${s.why}`);
  return s;
}

test('a connection that never logs in is closed at the login deadline, not before', async () => {
  const { ep, peer, conns } = await endpoint();
  await session(peer);
  await sleep(50);
  assert.is(ep.connectionCount, 1);
  clock += LOGIN_DEADLINE_MS - 1;
  ep.sweepLogins();
  assert.is(ep.connectionCount, 1, 'still there 1 ms before the deadline');
  clock += 1;
  ep.sweepLogins();
  assert.is(ep.connectionCount, 0, 'closed at the deadline');
  assert.not.ok(conns[0]!.alive);
  assert.is(ep.dropped.login_deadline, 1);
  assert.is(ep.preLoginCount, 0);
});

test('a connection that logged in is not closed at the deadline', async () => {
  const { ep, peer, conns } = await endpoint();
  await session(peer);
  await sleep(50);
  ep.markLoggedIn(conns[0]!);
  assert.is(ep.preLoginCount, 0);
  clock += 2 * LOGIN_DEADLINE_MS;
  ep.sweepLogins();
  assert.is(ep.connectionCount, 1);
  assert.ok(conns[0]!.alive);
});

test('holding back fragment 0 before login: the server keeps at most its small budget, then closes the connection', async () => {
  const { ep, peer, conns } = await endpoint();
  const s = await session(peer);
  await sleep(50);
  const receiver = (conns[0]!.channel as unknown as { receiver: { heldBytes: number; bufferedFrames: number } }).receiver;
  let most = 0;
  // 300 fragments of 1,000 bytes, all but the first: without a budget the server would keep 300 kB.
  for (let seq = 1; seq <= 300 && conns[0]!.alive; seq++) {
    peer.sendFrames(s, [{ type: 'data', seq, first: false, last: seq === 300, data: Buffer.alloc(1000, seq) }]);
    if (seq % 10 === 0) { await sleep(10); most = Math.max(most, receiver.heldBytes); }
  }
  const until = Date.now() + 3_000;
  while (conns[0]!.alive && Date.now() < until) await sleep(20);
  assert.ok(most <= PRELOGIN_BUFFER_BYTES, `held ${most} bytes`);
  assert.ok(receiver.bufferedFrames <= PRELOGIN_RECEIVE_WINDOW, `held ${receiver.bufferedFrames} fragments`);
  assert.not.ok(conns[0]!.alive, 'closed for going over its budget');
  assert.is(ep.dropped.prelogin_budget, 1);
  assert.is(ep.preLoginCount, 0);
});

test(`more than ${PRELOGIN_MAX_DATAGRAMS} datagrams before login close the connection, the ones over the count unopened`, async () => {
  const { ep, peer, conns } = await endpoint();
  const s = await session(peer);
  await sleep(50);
  const opened = (): number => (conns[0] as unknown as { opener: { stats: { opened: number } } }).opener.stats.opened;
  // Pings only: nothing for the channel to hold, so only the count of datagrams can end this.
  for (let i = 0; i < PRELOGIN_MAX_DATAGRAMS; i++) peer.sendFrames(s, [{ type: 'ping' }]);
  const until = Date.now() + 2_000;
  while (opened() < PRELOGIN_MAX_DATAGRAMS && Date.now() < until) await sleep(10);
  assert.is(opened(), PRELOGIN_MAX_DATAGRAMS);
  assert.ok(conns[0]!.alive, 'the budget itself is allowed');
  for (let i = 0; i < 3; i++) peer.sendFrames(s, [{ type: 'ping' }]);
  while (conns[0]!.alive && Date.now() < until + 2_000) await sleep(10);
  assert.not.ok(conns[0]!.alive, 'closed for going over its budget');
  assert.is(opened(), PRELOGIN_MAX_DATAGRAMS, 'the datagram over the count was not opened');
  assert.is(ep.dropped.prelogin_budget, 1);
  assert.is(ep.preLoginCount, 0);
});

test('after login the full receive window applies', async () => {
  const { ep, peer, conns } = await endpoint();
  const s = await session(peer);
  await sleep(50);
  ep.markLoggedIn(conns[0]!);
  const receiver = (conns[0]!.channel as unknown as { receiver: { bufferedFrames: number } }).receiver;
  for (let seq = 1; seq <= 40; seq++) peer.sendFrames(s, [{ type: 'data', seq, first: false, last: false, data: Buffer.alloc(1000) }]);
  const until = Date.now() + 5_000;
  while (receiver.bufferedFrames < 40 && Date.now() < until) await sleep(20);
  assert.is(receiver.bufferedFrames, 40);
  assert.ok(conns[0]!.alive);
});

test('a message longer than the budget before login is never delivered, and ends the connection', async () => {
  const { ep, peer, conns } = await endpoint();
  const s = await session(peer);
  await sleep(50);
  const got: Buffer[] = [];
  conns[0]!.on('message', (m: Buffer) => got.push(m));
  const pieces = Math.ceil((PRELOGIN_BUFFER_BYTES + 1) / 1000) + 1;
  for (let seq = 0; seq < pieces; seq++) {
    peer.sendFrames(s, [{ type: 'data', seq, first: seq === 0, last: seq === pieces - 1, data: Buffer.alloc(1000) }]);
    await sleep(2);
  }
  const until = Date.now() + 3_000;
  while (conns[0]!.alive && Date.now() < until) await sleep(20);
  assert.is(got.length, 0);
  assert.not.ok(conns[0]!.alive);
  assert.is(ep.dropped.prelogin_budget, 1);
});

test('one address holds at most its share of connections before login; a login frees a place', async () => {
  const { ep, peer, conns } = await endpoint({ preLoginPerIp: 3, handshakeBurst: 100 });
  const outcomes = [];
  for (let i = 0; i < 5; i++) outcomes.push(await peer.handshake());
  assert.equal(outcomes.map((o) => o.ok), [true, true, true, false, false]);
  assert.is(ep.dropped.prelogin_per_ip, 2);
  assert.is(ep.preLoginCount, 3);
  ep.markLoggedIn(conns[0]!);
  assert.ok((await peer.handshake()).ok, 'after a login the address may start one more');
});

test('beyond the global budget before login, new handshakes are refused', async () => {
  const { ep, peer } = await endpoint({ preLoginMax: 2, handshakeBurst: 100 });
  const outcomes = [];
  for (let i = 0; i < 3; i++) outcomes.push(await peer.handshake());
  assert.equal(outcomes.map((o) => o.ok), [true, true, false]);
  assert.is(ep.dropped.prelogin_full, 1);
});

test.run();
