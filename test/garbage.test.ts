// Garbage resistance over real UDP: seeded random datagrams, and corrupted copies of live clients'
// datagrams sent from their own addresses, must all be dropped and counted, leave every session up,
// leave the room delivering exactly once, and leave the server's memory bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { HEADER_BYTES, LARGE_DATAGRAM_MAX_BYTES } from '../lib/constants.ts';
import type { ChatServer } from '../lib/chat/server.ts';
import { PacketType } from '../lib/wire.ts';
import { joinClient, type Recorder, removeDir, startServer, tempDir, testKeys, waitFor } from './support/chat-harness.ts';
import { GateRelay } from './support/gate-relay.ts';
import { Rng } from './support/rng.ts';

const SEED = 0x0b501a;
const RANDOM_COUNT = 20_000;
const CORRUPT_COUNT = 20_000;
/** Datagrams sent before waiting for the server to take them in. */
const BATCH = 100;
/** A chat message from each client every this many batches, while the garbage flows. */
const CHAT_EVERY_BATCHES = 40;
/** The server's RSS may grow by at most this much over both floods, in bytes (generous: shared machine). */
const RSS_GROWTH_MAX = 100 * 1024 * 1024;

let dir = '';
let server: ChatServer;
let relay: GateRelay;
let ani: Recorder;
let budi: Recorder;
let garbageSocket: dgram.Socket;
let serverPort = 0;
let rssStart = 0;
const rng = new Rng(SEED);
/** Every chat text sent, per sender, in order. */
const sent = new Map<string, string[]>([['ani', []], ['budi', []]]);

test.before(async () => {
  dir = await tempDir('obrolan-garbage-');
  const keys = await testKeys(join(dir, 'keys'));
  ({ server, port: serverPort } = await startServer(join(dir, 'server')));
  relay = await GateRelay.start(serverPort);
  ani = await joinClient(relay.port, join(dir, 'ani'), 'ani', { keys });
  budi = await joinClient(relay.port, join(dir, 'budi'), 'budi', { keys });
  garbageSocket = dgram.createSocket('udp4');
  garbageSocket.on('message', () => {}); // resets and retries for our garbage: ignored
  await new Promise<void>((resolve) => garbageSocket.bind(0, '127.0.0.1', resolve));
  await chatRound('warm-up');
  rssStart = process.memoryUsage().rss;
  console.log(`  seed ${SEED}`);
});
test.after(async () => {
  await ani?.client.close().catch(() => {});
  await budi?.client.close().catch(() => {});
  relay?.close();
  garbageSocket?.close();
  await server?.stop();
  await removeDir(dir);
});

function say(r: Recorder, text: string): void {
  sent.get(r.client.name!)!.push(text);
  r.client.send(text);
}

/** Both clients send one message; resolves when each has the other's. */
async function chatRound(label: string): Promise<void> {
  say(ani, `ani ${label}`);
  say(budi, `budi ${label}`);
  await waitFor(() => ani.texts().includes(`budi ${label}`) && budi.texts().includes(`ani ${label}`), 10_000, `chat "${label}"`);
}

/** Each client has been shown exactly what the other sent, once, in order; the server stored each once. */
function assertRoomExact(): void {
  assert.equal(ani.texts(), sent.get('budi'), 'ani got each of budi\'s messages once, in order');
  assert.equal(budi.texts(), sent.get('ani'), 'budi got each of ani\'s messages once, in order');
  assert.is(server.stats().messages, sent.get('ani')!.length + sent.get('budi')!.length, 'the server stored each message once');
}

function totalDropped(): number {
  return Object.values(server.stats().dropped).reduce((a, b) => a + b, 0);
}

/**
 * Sends `count` datagrams made by `make`, BATCH at a time; after each batch it waits until the server (in this
 * process) has counted them as dropped, so the socket buffers never overflow. Chats meanwhile.
 */
async function flood(count: number, label: string, make: (i: number) => { datagram: Buffer; as?: string }): Promise<{ inDelta: number; droppedDelta: number; byReason: Record<string, number> }> {
  const before = { in: server.stats().datagramsIn, dropped: { ...server.stats().dropped }, total: totalDropped() };
  for (let i = 0; i < count; i += BATCH) {
    for (let k = i; k < Math.min(count, i + BATCH); k++) {
      const { datagram, as } = make(k);
      if (as) relay.sendAs(as, datagram);
      else garbageSocket.send(datagram, serverPort, '127.0.0.1');
    }
    const target = before.total + Math.min(count, i + BATCH);
    const until = Date.now() + 2_000;
    while (totalDropped() < target && Date.now() < until) await new Promise((r) => setImmediate(r));
    if ((i / BATCH) % CHAT_EVERY_BATCHES === CHAT_EVERY_BATCHES - 1) { say(ani, `ani during ${label} ${i}`); say(budi, `budi during ${label} ${i}`); }
  }
  const after = server.stats();
  const byReason: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.dropped)) if (v - (before.dropped[k] ?? 0) > 0) byReason[k] = v - (before.dropped[k] ?? 0);
  const r = { inDelta: after.datagramsIn - before.in, droppedDelta: totalDropped() - before.total, byReason };
  console.log(`  ${label}: sent ${count}, server took in ${r.inDelta}, dropped ${r.droppedDelta} ${JSON.stringify(byReason)}`);
  return r;
}

function randomDatagram(): Buffer {
  const kind = rng.int(4);
  if (kind === 0) return rng.bytes(rng.range(1, HEADER_BYTES - 1)); // shorter than a header
  if (kind === 1) return rng.bytes(rng.range(LARGE_DATAGRAM_MAX_BYTES + 1, LARGE_DATAGRAM_MAX_BYTES + 1472)); // above the 60 KiB limit
  const d = rng.bytes(rng.range(HEADER_BYTES, 1200));
  if (kind === 3) { d[0] = 1; d[1] = rng.range(1, 5); } // a valid-looking version and type
  return d;
}

/** A corrupted copy of a live sealed datagram: bit flips, truncation, extension, or garbage under its header. */
function corrupt(original: Buffer): Buffer {
  const d = Buffer.from(original);
  switch (rng.int(4)) {
    case 0: {
      const flips = rng.range(1, 8);
      for (let f = 0; f < flips; f++) d[rng.int(d.length)]! ^= 1 << rng.int(8);
      return d;
    }
    case 1: return d.subarray(0, rng.range(1, d.length - 1));
    case 2: return Buffer.concat([d, rng.bytes(rng.range(1, 32))]).subarray(0, 1200);
    default: {
      // The live header (version, SEALED, live connection id) with a plausible packet number and a random body.
      const pn = Math.max(0, d.readUIntBE(10, 6) + rng.range(-100, 5_000));
      const g = Buffer.concat([d.subarray(0, HEADER_BYTES), rng.bytes(rng.range(16, 1200 - HEADER_BYTES))]);
      g.writeUIntBE(pn, 10, 6);
      return g;
    }
  }
}

test('drops and counts 20,000 seeded random datagrams, and the room keeps delivering exactly once', async () => {
  const r = await flood(RANDOM_COUNT, 'random', () => ({ datagram: randomDatagram() }));
  assert.ok(r.inDelta >= RANDOM_COUNT, `every datagram reached the server (${r.inDelta})`);
  assert.is(r.droppedDelta, RANDOM_COUNT, 'each one was counted as dropped, once');
  assert.ok((r.byReason.oversized ?? 0) > 0 && (r.byReason.malformed ?? 0) > 0, 'oversized and malformed ones among them');
  await chatRound('after random');
  await waitFor(() => ani.messages.length === sent.get('budi')!.length && budi.messages.length === sent.get('ani')!.length, 10_000, 'the chat sent meanwhile');
  assertRoomExact();
  for (const c of [ani, budi]) {
    assert.is(c.client.state, 'connected', `${c.client.name} stayed connected`);
    assert.is(c.readies, 1, `${c.client.name} never had to reconnect`);
  }
});

test('drops and counts 20,000 corrupted copies of live datagrams sent from the clients\' own addresses', async () => {
  const live = relay.captured.filter((c) => c.datagram.length > HEADER_BYTES && c.datagram[1] === PacketType.SEALED);
  assert.ok(live.length >= 10, `enough live sealed datagrams captured (${live.length})`);
  const garbageAddressEvery = 10;
  const r = await flood(CORRUPT_COUNT, 'corrupted', (i) => {
    const pick = rng.pick(live);
    const datagram = corrupt(pick.datagram);
    // Most from the client's own address (the hard case); some from another address with its connection id.
    return i % garbageAddressEvery === 0 ? { datagram } : { datagram, as: pick.from };
  });
  assert.ok(r.inDelta >= CORRUPT_COUNT, `every datagram reached the server (${r.inDelta})`);
  assert.is(r.droppedDelta, CORRUPT_COUNT, 'each one was counted as dropped, once');
  const bySession = (r.byReason.unauthenticated ?? 0) + (r.byReason.replay ?? 0);
  assert.ok(bySession > CORRUPT_COUNT / 2, `most reached the session and failed its tag or replay check (${bySession})`);
  assert.ok((r.byReason.wrong_address ?? 0) > 0, 'a live connection id from another address is refused');
  await chatRound('after corrupted');
  await waitFor(() => ani.messages.length === sent.get('budi')!.length && budi.messages.length === sent.get('ani')!.length, 10_000, 'the chat sent meanwhile');
  assertRoomExact();
  for (const c of [ani, budi]) {
    assert.is(c.client.state, 'connected', `${c.client.name} stayed connected`);
    assert.is(c.readies, 1, `${c.client.name} never had to reconnect`);
  }
});

test('keeps the server process memory bounded through both floods', () => {
  const rssEnd = process.memoryUsage().rss;
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
  console.log(`  rss before ${mb(rssStart)} MB, after ${mb(rssEnd)} MB, growth ${mb(rssEnd - rssStart)} MB (bound ${mb(RSS_GROWTH_MAX)} MB)`);
  assert.ok(rssEnd - rssStart < RSS_GROWTH_MAX, `rss grew by ${mb(rssEnd - rssStart)} MB`);
  assert.is(server.stats().connections, 2, 'no connection was created by garbage');
});

test.run();
