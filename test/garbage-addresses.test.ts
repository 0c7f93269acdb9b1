// Garbage from many source addresses over real UDP on 127.0.0.1: 300 sockets (each its own port, so its
// own "ip:port" address to the server) send seeded random datagrams, HELLOs without or with bad cookies,
// and some complete the handshake and then fall silent. The server must drop and count the garbage, keep
// its per-address state bounded, never send an unvalidated address more than 3× what it sent, reap the
// silent handshakes, and keep the room working for real clients.
//
// Per-address state of the server (checked through casts: ChatServer/ServerEndpoint have no stats for it):
//   ServerEndpoint.guard    AmplificationGuard, one entry per address that sent a decodable HELLO;
//                           capped (maxAddresses, oldest forgotten), no time expiry.
//   ServerEndpoint.conns    one entry per completed handshake (by connection id, keeps the address);
//                           capped by MAX_CONNECTIONS, removed when the connection is gone.
//   ServerEndpoint.pending  handshakes being signed; capped, removed when done.
//   ChatServer.failures     FailureLimiter of wrong passwords per IP; capped, windowed (garbage adds none).
//   ChatServer.sessions     one per live connection (same lifetime as conns).
// The CookieJar keeps nothing per client (stateless cookies), and the reset budget is one global counter.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { AMPLIFICATION_FACTOR, CONNECTION_ID_BYTES, GIVE_UP_MS, HEADER_BYTES, MAX_DATAGRAM_BYTES } from '../lib/constants.ts';
import type { ClientKeys } from '../lib/e2e/keys.ts';
import type { ChatServer } from '../lib/chat/server.ts';
import { AmplificationGuard } from '../lib/session/amplification.ts';
import { makeEphemeral } from '../lib/session/keys.ts';
import { decodePacket, encodePacket, type Packet } from '../lib/wire.ts';
import { joinClient, type Recorder, removeDir, startServer, tempDir, testKeys, waitFor } from './support/chat-harness.ts';
import { Rng } from './support/rng.ts';

const SEED = 0xadd2e55;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Garbage sockets, each its own source address. */
const SOCKETS = 300;
/** Random datagrams per socket. */
const RANDOM_PER_SOCKET = 20;
/** Sockets that complete a handshake and then never log in. */
const SILENT = 40;
/** The small cap installed on the guard for the last flood. */
const SMALL_CAP = 64;

interface EndpointInternals {
  guard: AmplificationGuard;
  conns: Map<string, unknown>;
  pending: Set<string>;
}
interface ServerInternals {
  endpoint: EndpointInternals;
  failures: { size: number };
  sessions: Set<unknown>;
}

/** One garbage socket: what it sent and received, and the cookies the server gave it (by connection id). */
interface Garbage {
  socket: dgram.Socket;
  address: string;
  bytesOut: number;
  bytesIn: number;
  retries: number;
  cookies: Map<string, Buffer>;
  serverHellos: Set<string>;
}

let dir = '';
let server: ChatServer;
let port = 0;
let keys: ClientKeys;
const clients: Recorder[] = [];
const garbage: Garbage[] = [];
const rng = new Rng(SEED);
let silentSince = 0;

const internals = (): ServerInternals => server as unknown as ServerInternals;
const endpoint = (): EndpointInternals => internals().endpoint;

test.before(async () => {
  dir = await tempDir('obrolan-garbage-addresses-');
  const serverDir = join(dir, 'server');
  ({ server, port } = await startServer(serverDir));
  keys = await testKeys(join(dir, 'keys'));
  for (const name of ['ani', 'budi']) clients.push(await joinClient(port, join(dir, name), name, { keys }));
  await Promise.all(Array.from({ length: SOCKETS }, async () => {
    const socket = dgram.createSocket('udp4');
    const g: Garbage = { socket, address: '', bytesOut: 0, bytesIn: 0, retries: 0, cookies: new Map(), serverHellos: new Set() };
    socket.on('error', () => {}); // nothing to do: the server may answer nothing
    socket.on('message', (buf) => {
      g.bytesIn += buf.length;
      let p: Packet;
      try { p = decodePacket(buf); } catch { return; }
      const id = p.connId.toString('hex');
      if (p.type === 'retry') { g.retries++; g.cookies.set(id, Buffer.from(p.cookie)); }
      if (p.type === 'server_hello') g.serverHellos.add(id);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    g.address = `127.0.0.1:${socket.address().port}`;
    garbage.push(g);
  }));
  assert.is(new Set(garbage.map((g) => g.address)).size, SOCKETS, 'every socket has its own address');
  console.log(`  seed ${SEED}`);
});

test.after(async () => {
  for (const g of garbage) g.socket.close();
  for (const c of clients) await c.client.close().catch(() => {});
  await server?.stop();
  await removeDir(dir);
});

function send(g: Garbage, d: Buffer): void {
  g.bytesOut += d.length;
  g.socket.send(d, port, '127.0.0.1');
}

/** Sends each job's datagram, in batches, waiting after each batch until the server has read them all. */
async function paced(jobs: Array<{ g: Garbage; d: Buffer }>, batch = 100): Promise<void> {
  const start = server.stats().datagramsIn;
  for (let i = 0; i < jobs.length; i += batch) {
    for (const j of jobs.slice(i, i + batch)) send(j.g, j.d);
    const target = start + Math.min(jobs.length, i + batch);
    await waitFor(() => server.stats().datagramsIn >= target, 5_000, `the server reading datagram ${target - start} of ${jobs.length}`);
  }
}

function randomDatagram(): Buffer {
  const kind = rng.int(5);
  if (kind === 0) return rng.bytes(rng.range(1, HEADER_BYTES - 1)); // shorter than a header
  if (kind === 1) return rng.bytes(rng.range(MAX_DATAGRAM_BYTES + 1, 1472)); // above the limit
  const d = rng.bytes(rng.range(HEADER_BYTES, MAX_DATAGRAM_BYTES));
  if (kind >= 3) { d[0] = 1; d[1] = rng.range(1, 5); } // a valid-looking version and type
  if (kind === 4) d[1] = 4; // SEALED for a connection id nobody has: a stateless reset at most
  return d;
}

function hello(connId: Buffer, clientPub: Buffer, cookie: Buffer = Buffer.alloc(0)): Buffer {
  return encodePacket({ type: 'hello', connId, pn: 0, clientPub, cookie });
}

const connId = (): Buffer => rng.bytes(CONNECTION_ID_BYTES);
const dropped = (): number => Object.values(server.stats().dropped).reduce((a, b) => a + b, 0);

/** Both real clients send one message; resolves when each has the other's. */
async function chatRound(label: string, rs: Recorder[] = clients.slice(0, 2)): Promise<void> {
  for (const r of rs) r.client.send(`${r.client.name} ${label}`);
  await waitFor(() => rs.every((r) => rs.every((o) => o === r || r.texts().includes(`${o.client.name} ${label}`))), 10_000, `chat "${label}"`);
}

/** Per-address state now. */
function tables(): { guard: number; conns: number; pending: number; failures: number; sessions: number } {
  const e = endpoint();
  return { guard: e.guard.size, conns: e.conns.size, pending: e.pending.size, failures: internals().failures.size, sessions: internals().sessions.size };
}

test('random datagrams from 300 addresses are all dropped, add no per-address state, and get back no more bytes than they sent', async () => {
  await chatRound('warm-up');
  const before = tables();
  const droppedBefore = dropped();
  const jobs = [];
  for (let k = 0; k < RANDOM_PER_SOCKET; k++) for (const g of garbage) jobs.push({ g, d: randomDatagram() });
  await paced(jobs);
  await waitFor(() => dropped() - droppedBefore >= jobs.length, 5_000, 'every datagram counted');
  const byReason = server.stats().dropped;
  console.log(`  random: ${jobs.length} from ${SOCKETS} addresses, dropped ${dropped() - droppedBefore} ${JSON.stringify(byReason)}`);
  assert.is(dropped() - droppedBefore, jobs.length, 'each counted as dropped, once');
  assert.equal(tables(), before, 'no table grew');
  assert.is(server.stats().connections, 2);
  await new Promise((r) => setTimeout(r, 100)); // let any answer arrive
  for (const g of garbage) assert.ok(g.bytesIn <= g.bytesOut, `${g.address} got ${g.bytesIn} bytes for ${g.bytesOut}`);
  assert.ok(garbage.some((g) => g.bytesIn > 0), 'some got a stateless reset (which is smaller than what it answers)');
});

test('HELLOs without or with a bad cookie from 300 addresses add one guard entry per address, no connection, and at most 3× back', async () => {
  const before = tables();
  const jobs = [];
  for (const g of garbage) {
    const pub = rng.bytes(32); // no cookie yet: the key is not even looked at
    for (let k = 0; k < 3; k++) jobs.push({ g, d: hello(connId(), pub) });
    jobs.push({ g, d: hello(connId(), pub, rng.bytes(17)) }); // a cookie the server never made
  }
  await paced(jobs);
  await waitFor(() => garbage.every((g) => g.retries >= 4), 5_000, 'a RETRY for each HELLO');
  const after = tables();
  console.log(`  hellos: ${jobs.length} from ${SOCKETS} addresses; guard ${before.guard} → ${after.guard} (cap ${endpoint().guard.maxAddresses})`);
  assert.is(after.guard, before.guard + SOCKETS, 'one entry per address, not per HELLO');
  assert.ok(after.guard <= endpoint().guard.maxAddresses, 'within the cap');
  assert.ok(endpoint().guard.maxAddresses <= 100_000, `the cap (${endpoint().guard.maxAddresses}) is a fixed, modest number`);
  assert.equal({ ...after, guard: 0 }, { ...before, guard: 0 }, 'no connection, session, pending handshake or failure entry');
  assert.ok(garbage.every((g) => !endpoint().guard.isValidated(g.address)), 'none is validated');
  assert.ok((server.stats().dropped.bad_cookie ?? 0) >= SOCKETS, 'the bad cookies were counted');
  for (const g of garbage) {
    assert.ok(g.bytesIn <= AMPLIFICATION_FACTOR * g.bytesOut, `${g.address} got ${g.bytesIn} bytes for ${g.bytesOut}`);
  }
});

test(`${SILENT} addresses that echo their cookie get a connection each, but never a room member`, async () => {
  const before = tables();
  const silent = garbage.slice(0, SILENT);
  await Promise.all(silent.map(async (g) => {
    const id = connId();
    const eph = makeEphemeral(); // a real X25519 key: the server derives session keys from it
    send(g, hello(id, eph.publicRaw));
    const hex = id.toString('hex');
    await waitFor(() => g.cookies.has(hex), 5_000, `a cookie for ${g.address}`);
    send(g, hello(id, eph.publicRaw, g.cookies.get(hex)!));
    await waitFor(() => g.serverHellos.has(hex), 10_000, `SERVER_HELLO for ${g.address}`);
  }));
  silentSince = Date.now();
  await waitFor(() => server.stats().connections === 2 + SILENT, 5_000, 'the silent connections');
  const after = tables();
  assert.is(after.conns, before.conns + SILENT);
  assert.is(after.sessions, before.sessions + SILENT);
  assert.is(after.guard, before.guard, 'their addresses were already known');
  assert.ok(silent.every((g) => endpoint().guard.isValidated(g.address)), 'and are now validated');
  assert.equal(server.users().map((u) => u.name).sort(), ['ani', 'budi'], 'nobody joined the room');
});

test('after all that the room still works, and a new client can join', async () => {
  await chatRound('after garbage');
  for (const c of clients) {
    assert.is(c.client.state, 'connected', `${c.client.name} stayed connected`);
    assert.is(c.readies, 1, `${c.client.name} never had to reconnect`);
  }
  clients.push(await joinClient(port, join(dir, 'citra'), 'citra', { keys }));
  await chatRound('with citra', clients);
});

test(`with a guard capped at ${SMALL_CAP} addresses, HELLOs from 300 addresses keep it at the cap and the room works`, async () => {
  // The default cap (10,000) cannot be reached with sockets on one machine in a test, so a smaller one is
  // swapped in (test only) to see the real endpoint live at its cap: oldest addresses forgotten, newcomers served.
  endpoint().guard = new AmplificationGuard(AMPLIFICATION_FACTOR, SMALL_CAP);
  const retries = garbage.map((g) => g.retries);
  const jobs = garbage.map((g) => ({ g, d: hello(connId(), rng.bytes(32)) }));
  await paced(jobs);
  await waitFor(() => garbage.every((g, i) => g.retries > retries[i]!), 5_000, 'every address answered, even past the cap');
  assert.is(endpoint().guard.size, SMALL_CAP, 'the table stays at its cap');
  await chatRound('at the cap', clients);
  clients.push(await joinClient(port, join(dir, 'dewi'), 'dewi', { keys }));
  assert.ok(endpoint().guard.size <= SMALL_CAP);
  await chatRound('with dewi', clients);
});

test('the silent connections are reaped within GIVE_UP_MS, and only they', async () => {
  const deadline = silentSince + GIVE_UP_MS + 4_000 - Date.now();
  await waitFor(() => server.stats().connections === clients.length, Math.max(deadline, 1_000), 'the silent connections gone');
  console.log(`  silent connections gone ${Date.now() - silentSince} ms after their handshake (GIVE_UP_MS ${GIVE_UP_MS})`);
  assert.equal(tables().conns, clients.length);
  assert.equal(tables().sessions, clients.length);
  assert.is(tables().pending, 0);
  assert.is(tables().failures, 0, 'no wrong password was ever tried');
  await chatRound('at the end', clients);
});

test('one IP address gets at most its share of connections; its slots come back when they close', async () => {
  // All these sockets share 127.0.0.1, so the per-IP cap (default 256, more than a test should sign) is
  // lowered to 3 above what the IP holds now (test only) and 6 handshakes are tried.
  const ep = endpoint() as unknown as { maxPerIp: number; perIp: Map<string, number> };
  const held = ep.perIp.get('127.0.0.1') ?? 0;
  assert.is(held, clients.length, 'the live clients are counted against their IP');
  const saved = ep.maxPerIp;
  ep.maxPerIp = held + 3;
  try {
    const limited = server.stats().dropped.per_ip_limit ?? 0;
    const tries = garbage.slice(100, 106);
    const ids = await Promise.all(tries.map(async (g) => {
      const id = connId();
      const eph = makeEphemeral();
      send(g, hello(id, eph.publicRaw));
      const hex = id.toString('hex');
      await waitFor(() => g.cookies.has(hex), 5_000, `a cookie for ${g.address}`);
      send(g, hello(id, eph.publicRaw, g.cookies.get(hex)!));
      return hex;
    }));
    await waitFor(() => (server.stats().dropped.per_ip_limit ?? 0) - limited >= 3, 5_000, 'the handshakes over the cap refused');
    await sleep(300);
    const served = tries.filter((g, i) => g.serverHellos.has(ids[i]!)).length;
    assert.is(served, 3, 'only 3 more connections were signed for this IP');
    assert.is(ep.perIp.get('127.0.0.1'), held + 3);
    // A real client closing frees its slot: the IP is back under the cap.
    const last = clients.pop()!;
    await last.client.close();
    await waitFor(() => ep.perIp.get('127.0.0.1') === held + 2, 5_000, 'the closed client\'s slot freed');
  } finally {
    ep.maxPerIp = saved;
  }
  await chatRound('after the cap', clients);
});

test.run();
