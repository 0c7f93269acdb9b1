// Forcing RSA signatures in bulk: a cookie starts one handshake for one connection id, each address has a
// rate of new handshakes beyond which it gets a RETRY, and recent logins keep priority when the server is
// busy. The Admission rules are checked with a fake clock; the endpoint over real UDP on 127.0.0.1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { generateRsaKeyPair, type RsaKeyPair } from '../lib/keyfile.ts';
import { Admission, type AdmissionLimits } from '../lib/net/admission.ts';
import { makeEphemeral } from '../lib/session/keys.ts';
import { endpointWithPeer, RawPeer } from './support/raw-peer.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let identity: RsaKeyPair;
let clock = 5_000_000;
const open: Array<{ close(): unknown }> = [];
const LIMITS: AdmissionLimits = { preLoginMax: 100, preLoginPerIp: 100, handshakeRatePerS: 2, handshakeBurst: 3, newcomerRatePerS: 1_000, newcomerBurst: 1_000, busyQueue: 4, recentLoginMs: 60_000, maxAddresses: 100 };

test.before(async () => { identity = await generateRsaKeyPair(2048); });
test.after.each(async () => { for (const x of open.splice(0)) await x.close(); });

const endpoint = (admission: Partial<AdmissionLimits> = {}) => endpointWithPeer(identity, () => clock, open, admission);

test('the bucket gives a burst, then its rate; a login gives the token back', () => {
  const a = new Admission(LIMITS);
  const t = 1_000;
  assert.equal([1, 2, 3, 4].map(() => a.check('10.0.0.5', t, 0)), ['sign', 'sign', 'sign', 'handshake_rate']);
  assert.is(a.check('10.0.0.6', t, 0), 'sign', 'another address has its own bucket');
  assert.is(a.check('10.0.0.5', t + 499, 0), 'handshake_rate');
  assert.is(a.check('10.0.0.5', t + 500, 0), 'sign', '2 per second: one more after 500 ms');
  a.opened('10.0.0.5');
  a.loggedIn('10.0.0.5', t + 500);
  assert.is(a.check('10.0.0.5', t + 500, 0), 'sign', 'the login refunded its token');
});

test('when the signing queue is long, only addresses that logged in recently are signed for', () => {
  const a = new Admission(LIMITS);
  a.opened('10.0.0.1');
  a.loggedIn('10.0.0.1', 0);
  assert.is(a.check('10.0.0.2', 1_000, LIMITS.busyQueue), 'signing_queue');
  assert.is(a.check('10.0.0.1', 1_000, LIMITS.busyQueue), 'sign');
  assert.is(a.check('10.0.0.1', 1_000 + LIMITS.recentLoginMs, LIMITS.busyQueue + 1), 'signing_queue', 'the priority fades');
});

test('addresses without a recent login share one bucket of new handshakes; recent and exempt addresses do not use it', () => {
  const a = new Admission({ ...LIMITS, newcomerRatePerS: 4, newcomerBurst: 2 }, ['127.0.0.1']);
  a.opened('10.0.0.1');
  a.loggedIn('10.0.0.1', 0);
  const t = 1_000;
  assert.equal(['10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip) => a.check(ip, t, 0)), ['sign', 'sign', 'newcomer_rate']);
  assert.is(a.check('10.0.0.1', t, 0), 'sign', 'an address with a recent login is not a newcomer');
  assert.is(a.check('127.0.0.1', t, 0), 'sign', 'nor is an exempt one');
  assert.is(a.check('10.0.0.4', t + 249, 0), 'newcomer_rate');
  assert.is(a.check('10.0.0.4', t + 250, 0), 'sign', '4 per second: one more after 250 ms');
  const b = new Admission({ ...LIMITS, newcomerRatePerS: 0.001, newcomerBurst: 4 });
  assert.equal([1, 2, 3, 4].map(() => b.check('10.0.0.7', t, 0)), ['sign', 'sign', 'sign', 'handshake_rate']);
  assert.is(b.check('10.0.0.8', t, 0), 'sign', 'an address refused for its own rate took no shared token');
  assert.is(b.check('10.0.0.9', t, 0), 'newcomer_rate');
});

test('the global budget before login leaves room for recent addresses; exempt addresses have no per-address limit', () => {
  const a = new Admission({ ...LIMITS, preLoginMax: 2, preLoginPerIp: 1 }, ['127.0.0.1']);
  a.opened('10.0.0.1');
  a.loggedIn('10.0.0.1', 0);
  a.opened('10.0.0.3');
  a.opened('10.0.0.4');
  assert.is(a.check('10.0.0.3', 10, 0), 'prelogin_per_ip');
  assert.is(a.check('10.0.0.5', 10, 0), 'prelogin_full');
  assert.is(a.check('10.0.0.1', 10, 0), 'sign');
  for (let i = 0; i < 10; i++) assert.is(a.check('127.0.0.1', 10, 0), 'sign');
});

test('a cookie starts one handshake: after CLOSE the same cookie and connection id get a RETRY, not a signature', async () => {
  const { ep, peer } = await endpoint();
  const eph = makeEphemeral();
  const first = await peer.handshake({ eph });
  assert.ok(first.ok);
  if (!first.ok) return;
  peer.sendFrames(first, [{ type: 'close', code: 0, reason: 'bye' }]);
  await sleep(100);
  assert.is(ep.connectionCount, 0, 'the CLOSE ended it');
  const again = await peer.handshake({ eph, connId: first.connId, cookie: first.cookie, ms: 1_000 });
  assert.not.ok(again.ok, 'no second signature for one cookie');
  assert.is(ep.dropped.cookie_reused, 1);
  assert.is(peer.received.server_hello, 1);
});

test('a cookie does not start a handshake for another connection id', async () => {
  const { ep, peer } = await endpoint();
  const eph = makeEphemeral();
  const connId = randomBytes(8);
  const retry = peer.next(connId, (p) => p.type === 'retry', 2_000);
  peer.hello(connId, eph.publicRaw);
  const r = await retry;
  assert.ok(r?.type === 'retry');
  if (r?.type !== 'retry') return;
  const other = await peer.handshake({ eph, connId: randomBytes(8), cookie: Buffer.from(r.cookie), ms: 1_000 });
  assert.not.ok(other.ok);
  assert.is(ep.dropped.bad_cookie, 1);
  assert.is(peer.received.server_hello ?? 0, 0);
});

test('beyond its rate an address gets a RETRY instead of a signature, and is served again as tokens come back', async () => {
  const { ep, peer } = await endpoint({ handshakeBurst: 3, handshakeRatePerS: 1 });
  const oks: boolean[] = [];
  for (let i = 0; i < 5; i++) {
    const o = await peer.handshake({ ms: 1_000 });
    oks.push(o.ok);
    if (o.ok) peer.sendFrames(o, [{ type: 'close', code: 0, reason: 'bye' }]); // frees its place at once
  }
  assert.equal(oks, [true, true, true, false, false]);
  assert.is(ep.dropped.handshake_rate, 2);
  clock += 1_000;
  assert.ok((await peer.handshake()).ok, 'one second later, one more');
});

test('beyond the newcomers\' shared rate a HELLO gets no answer at all, and the address is served once a token is back', async () => {
  const { ep, peer } = await endpoint({ newcomerBurst: 1, newcomerRatePerS: 1 });
  const first = await peer.handshake({ ms: 1_000 });
  assert.ok(first.ok);
  const second = await peer.handshake({ ms: 300 });
  assert.equal([second.ok, second.ok ? '' : second.why], [false, 'timeout'], 'silence, not a RETRY');
  assert.is(ep.dropped.newcomer_rate, 1);
  assert.equal(peer.received, { retry: 2, server_hello: 1 }, 'only the two cookie round trips were answered');
  clock += 1_000;
  assert.ok((await peer.handshake({ ms: 1_000 })).ok, 'one second later, one more');
});

test('an honest handshake costs one cookie round trip and one signature', async () => {
  const { peer } = await endpoint();
  assert.ok((await peer.handshake()).ok);
  assert.equal(peer.received, { retry: 1, server_hello: 1 });
});

test.run();
