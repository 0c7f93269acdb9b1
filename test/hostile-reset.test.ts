// The stateless reset token of a connection must never reach anyone before that connection exists:
// whoever holds it can end the session at will. A sealed datagram for a connection id whose handshake is
// being signed gets nothing back, and an id whose token was already sent cannot start a connection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { generateRsaKeyPair, type RsaKeyPair } from '../lib/keyfile.ts';
import { ServerEndpoint } from '../lib/net/server-endpoint.ts';
import { makeEphemeral } from '../lib/session/keys.ts';
import { encodePacket } from '../lib/wire.ts';
import { RawPeer } from './support/raw-peer.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let identity: RsaKeyPair;
const open: Array<{ close(): unknown }> = [];

test.before(async () => { identity = await generateRsaKeyPair(2048); });
test.after.each(async () => { for (const x of open.splice(0)) await x.close(); });

/** A sealed-looking datagram for `connId`, large enough that a RESET (smaller than what came in) may answer it. */
function sealedGarbage(connId: Buffer): Buffer {
  return encodePacket({ type: 'sealed', connId, pn: 7, body: randomBytes(200) });
}

async function setup(): Promise<{ ep: ServerEndpoint; peer: RawPeer }> {
  const ep = new ServerEndpoint({ identity });
  const { port } = await ep.bind('127.0.0.1', 0);
  const peer = await RawPeer.open(port);
  open.push(peer, ep);
  return { ep, peer };
}

test('while its handshake is being signed, a sealed datagram for the connection id gets no RESET', async () => {
  const { ep, peer } = await setup();
  // Slow signatures down (as a busy server's are), so the datagram surely arrives while signing.
  const signing = (ep as unknown as { signing: { run<T>(fn: () => Promise<T>): Promise<T> } }).signing;
  const run = signing.run.bind(signing);
  signing.run = async (fn) => { await sleep(300); return run(fn); };
  const eph = makeEphemeral();
  const connId = randomBytes(8);
  const retry = peer.next(connId, (p) => p.type === 'retry', 2_000);
  peer.hello(connId, eph.publicRaw);
  const r = await retry;
  if (r?.type !== 'retry') throw new Error('no RETRY');
  const resets: Buffer[] = [];
  peer.on(connId, (p) => { if (p.type === 'reset') resets.push(Buffer.from(p.token)); });
  peer.hello(connId, eph.publicRaw, Buffer.from(r.cookie));
  await sleep(50);
  peer.send(sealedGarbage(connId));
  await sleep(500);
  assert.is(ep.connectionCount, 1, 'the handshake went on');
  assert.is(resets.length, 0, 'no reset token was revealed');
  assert.is(ep.dropped.handshake_pending, 1);
});

test('a connection id whose reset token was sent cannot become a connection', async () => {
  const { ep, peer } = await setup();
  const connId = randomBytes(8);
  const reset = peer.next(connId, (p) => p.type === 'reset', 2_000);
  peer.send(sealedGarbage(connId));
  assert.ok((await reset)?.type === 'reset', 'an unknown id gets a RESET (the server may have restarted)');
  const o = await peer.handshake({ connId, ms: 1_000 });
  assert.not.ok(o.ok, 'no SERVER_HELLO for that id');
  assert.is(ep.connectionCount, 0);
  assert.is(ep.dropped.reset_revealed, 1);
});

test.run();
