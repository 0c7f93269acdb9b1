// The discovery codec, limiter and trust marks (pure), and the responder and search over loopback.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { DISCOVERY_MAX_ROOMS, DISCOVERY_QUERY_BYTES, ROOM_NAME_MAX_BYTES } from '../lib/constants.ts';
import { ProtocolError } from '../lib/errors.ts';
import {
  ANSWER_FIXED_BYTES, broadcastInterfaces, broadcastOf, cleanRoomName, decodeAnswer, decodeQuery, encodeAnswer, encodeQuery,
  QueryLimiter, roomTrust,
} from '../lib/net/discovery.ts';
import { DiscoveryResponder, roomPortIsFree, searchRooms } from '../lib/net/discovery-socket.ts';
import { removeDir, startServer, tempDir } from './support/chat-harness.ts';

const NONCE = Buffer.from('0102030405060708', 'hex');
const FP = 'SHA256:' + Buffer.alloc(32, 0xab).toString('base64').replace(/=+$/, '');
const sockets: dgram.Socket[] = [];
const responders: DiscoveryResponder[] = [];

function code(fn: () => unknown): string {
  try { fn(); } catch (err) { if (err instanceof ProtocolError) return err.code; throw err; }
  return 'none';
}

test.after(async () => {
  await Promise.all(responders.map((r) => r.stop()));
  for (const s of sockets) s.close();
});

test('a query is exactly DISCOVERY_QUERY_BYTES: magic, kind 1, version, nonce, zeros', () => {
  const q = encodeQuery(NONCE);
  assert.is(q.length, DISCOVERY_QUERY_BYTES);
  assert.is(q.subarray(0, 14).toString('hex'), '4f42524c01010102030405060708');
  assert.ok(q.subarray(14).every((b) => b === 0));
  assert.equal(decodeQuery(q), NONCE);
});

test('an answer has a fixed layout and round-trips', () => {
  const a = encodeAnswer({ nonce: NONCE, port: 7447, users: 3, fingerprint: FP, name: 'Lab' });
  assert.is(a.toString('hex'), '4f42524c020101020304050607081d170003' + 'ab'.repeat(32) + '03' + Buffer.from('Lab').toString('hex'));
  assert.equal(decodeAnswer(a), { nonce: NONCE, version: 1, port: 7447, users: 3, fingerprint: FP, name: 'Lab' });
});

test('malformed queries are refused with a code: short, oversized, foreign, wrong kind or version, dirty padding', () => {
  const q = encodeQuery(NONCE);
  assert.is(code(() => decodeQuery(q.subarray(0, 100))), 'truncated');
  assert.is(code(() => decodeQuery(Buffer.concat([q, Buffer.alloc(1)]))), 'too_large');
  assert.is(code(() => decodeQuery(Buffer.alloc(DISCOVERY_QUERY_BYTES))), 'bad_type');
  const kind = Buffer.from(q); kind[4] = 2;
  assert.is(code(() => decodeQuery(kind)), 'bad_type');
  const version = Buffer.from(q); version[5] = 9;
  assert.is(code(() => decodeQuery(version)), 'bad_version');
  const dirty = Buffer.from(q); dirty[127] = 1;
  assert.is(code(() => decodeQuery(dirty)), 'bad_field');
});

test('an answer is never larger than the query it answers: long names are cut at a character', () => {
  const name = 'Ruang kelas 🎓 '.repeat(20);
  const a = encodeAnswer({ nonce: NONCE, port: 1, users: 0, fingerprint: FP, name });
  assert.ok(a.length <= DISCOVERY_QUERY_BYTES);
  assert.ok(a.length <= ANSWER_FIXED_BYTES + ROOM_NAME_MAX_BYTES);
  const back = decodeAnswer(a).name;
  assert.ok(name.startsWith(back) && !back.includes('\ufffd'), back);
  const small = encodeAnswer({ nonce: NONCE, port: 1, users: 0, fingerprint: FP, name }, ANSWER_FIXED_BYTES + 5);
  assert.is(small.length <= ANSWER_FIXED_BYTES + 5, true);
  assert.throws(() => encodeAnswer({ nonce: NONCE, port: 1, users: 0, fingerprint: FP, name }, 20), RangeError);
});

test('malformed answers are refused: trailing bytes, long or bad names, port 0, larger than a query', () => {
  const a = encodeAnswer({ nonce: NONCE, port: 7447, users: 1, fingerprint: FP, name: 'Lab' });
  assert.is(code(() => decodeAnswer(Buffer.concat([a, Buffer.from('x')]))), 'trailing_bytes');
  assert.is(code(() => decodeAnswer(a.subarray(0, a.length - 1))), 'truncated');
  const port0 = Buffer.from(a); port0.writeUInt16BE(0, 14);
  assert.is(code(() => decodeAnswer(port0)), 'bad_field');
  const control = Buffer.from(a); control[a.length - 1] = 0x07;
  assert.is(code(() => decodeAnswer(control)), 'bad_field');
  const badUtf8 = Buffer.from(a); badUtf8[a.length - 1] = 0xff;
  assert.is(code(() => decodeAnswer(badUtf8)), 'bad_field');
  const long = Buffer.concat([a.subarray(0, ANSWER_FIXED_BYTES), Buffer.alloc(ROOM_NAME_MAX_BYTES + 1, 0x61)]);
  long[ANSWER_FIXED_BYTES - 1] = ROOM_NAME_MAX_BYTES + 1;
  assert.is(code(() => decodeAnswer(long)), 'bad_field');
  assert.is(code(() => decodeAnswer(Buffer.concat([a, Buffer.alloc(DISCOVERY_QUERY_BYTES)]))), 'too_large');
  assert.is(code(() => decodeAnswer(encodeQuery(NONCE))), 'bad_type');
});

test('room names lose control characters and extra blanks', () => {
  assert.is(cleanRoomName('  Lab\u0007 \n 2\u202e '), 'Lab 2');
});

test('the limiter answers a burst per source, then the sustained rate, and each source alone', () => {
  const l = new QueryLimiter(0, { ratePerS: 2, burst: 5 }, 100);
  const first = Array.from({ length: 10 }, () => l.allow('10.0.0.9', 0)).filter(Boolean).length;
  assert.is(first, 5);
  assert.is(l.allow('10.0.0.9', 100), false);
  assert.is(l.allow('10.0.0.9', 600), true);
  assert.is(l.allow('10.0.0.8', 600), true);
});

test('the limiter caps all sources together (spoofed addresses) and remembers a bounded number', () => {
  const l = new QueryLimiter(0, { ratePerS: 2, burst: 5 }, 10, 50);
  let answered = 0;
  for (let i = 0; i < 1000; i++) if (l.allow(`10.1.${i >> 8}.${i & 255}`, 0)) answered++;
  assert.is(answered, 10);
  assert.is(l.size, 50);
});

test('broadcast addresses come from address and netmask; loopback and /32 have none', () => {
  assert.is(broadcastOf('192.168.1.20', '255.255.255.0'), '192.168.1.255');
  assert.is(broadcastOf('10.77.3.4', '255.255.240.0'), '10.77.15.255');
  const list = broadcastInterfaces({
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [{ address: '10.0.0.5', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: '10.0.0.5/24' }],
    tun0: [{ address: '10.9.9.9', netmask: '255.255.255.255', family: 'IPv4', mac: '', internal: false, cidr: '10.9.9.9/32' }],
  });
  assert.equal(list, [{ name: 'eth0', address: '10.0.0.5', broadcast: '10.0.0.255' }]);
});

test('a key pinned for another address, or claimed by another answering room, is marked', () => {
  const room = { name: 'Lab', host: '10.0.0.1', port: 7447, fingerprint: FP };
  assert.equal(roomTrust(room, [{ server: '10.0.0.1:7447', fingerprint: FP }]), { trust: 'trusted' });
  assert.equal(roomTrust(room, [{ server: '10.0.0.1:7447', fingerprint: 'SHA256:other' }]), { trust: 'changed' });
  assert.equal(roomTrust(room, [{ server: '10.0.0.2:7447', fingerprint: FP }]), { trust: 'elsewhere', where: '10.0.0.2:7447' });
  assert.equal(roomTrust(room, [], [room, { ...room, name: 'Lab 2', host: '10.0.0.3' }]), { trust: 'elsewhere', where: '"Lab 2" at 10.0.0.3:7447' });
  assert.equal(roomTrust(room, [], [room]), { trust: 'new' });
});

async function responder(name = 'Loop room'): Promise<{ r: DiscoveryResponder; port: number }> {
  const r = new DiscoveryResponder({ roomPort: 7500, roomHost: '127.0.0.1', fingerprint: FP, name: () => name, users: () => 2,
    interfaces: [{ name: 'lo', bind: '127.0.0.1' }], port: 0 });
  responders.push(r);
  const status = await r.start();
  assert.is(status.failed.length, 0);
  return { r, port: status.answering[0]!.port };
}

async function probe(port: number, datagrams: Buffer[], waitMs = 300): Promise<Buffer[]> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  for (const d of datagrams) s.send(d, port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, waitMs));
  return got;
}

test('the responder answers a query by unicast, with an answer no larger than the query', async () => {
  const { r, port } = await responder('x'.repeat(200));
  const [answer, ...more] = await probe(port, [encodeQuery(NONCE)]);
  assert.is(more.length, 0);
  assert.ok(answer!.length <= DISCOVERY_QUERY_BYTES);
  const a = decodeAnswer(answer!);
  assert.equal([a.port, a.users, a.fingerprint, a.nonce], [7500, 2, FP, NONCE]);
  assert.is(r.answered, 1);
});

test('malformed and oversized queries get no answer and are counted', async () => {
  const { r, port } = await responder();
  const q = encodeQuery(NONCE);
  const got = await probe(port, [q.subarray(0, 20), Buffer.concat([q, q]), Buffer.from('hello'), Buffer.alloc(1)]);
  assert.is(got.length, 0);
  assert.is(r.dropped.malformed, 4);
  assert.is(r.answered, 0);
});

test('a burst of queries from one address gets only the per-source burst of answers', async () => {
  const { r, port } = await responder();
  const got = await probe(port, Array.from({ length: 30 }, () => encodeQuery(NONCE)));
  assert.is(got.length, 5);
  assert.is(r.dropped.rate_limited, 25);
});

test('searchRooms finds a responder and ignores answers to someone else\'s query', async () => {
  const { port } = await responder('Loop room');
  // A fake "room" that answers every datagram with an answer for a nonce it made up.
  const fake = dgram.createSocket('udp4');
  sockets.push(fake);
  fake.on('message', (_m, rinfo) => fake.send(encodeAnswer({ nonce: Buffer.alloc(8), port: 9, users: 0, fingerprint: FP, name: 'Fake' }), rinfo.port, rinfo.address));
  await new Promise<void>((r) => fake.bind(0, '127.0.0.1', () => r()));
  const rooms = await searchRooms({ waitMs: 300, targets: [{ address: '127.0.0.1', port }, { address: '127.0.0.1', port: fake.address().port }] });
  assert.equal(rooms.map((x) => [x.name, x.host, x.port, x.users]), [['Loop room', '127.0.0.1', 7500, 2]]);
});

test('a flood of answers to our own query is capped at DISCOVERY_MAX_ROOMS rooms', async () => {
  // Anyone on the LAN sees the broadcast nonce: this "room" answers each query with 400 different ports.
  const flood = dgram.createSocket('udp4');
  sockets.push(flood);
  let sent = false;
  flood.on('message', async (m, rinfo) => {
    if (sent) return;
    sent = true;
    const nonce = decodeQuery(m);
    // Paced (20 every 5 ms), so loopback does not drop the burst and the cap is what limits the list.
    for (let p = 1; p <= 400; p++) {
      flood.send(encodeAnswer({ nonce, port: p, users: 0, fingerprint: FP, name: `Fake ${p}` }), rinfo.port, rinfo.address);
      if (p % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
  });
  await new Promise<void>((r) => flood.bind(0, '127.0.0.1', () => r()));
  const rooms = await searchRooms({ waitMs: 700, targets: [{ address: '127.0.0.1', port: flood.address().port }] });
  // Without the cap all 400 arrive here (measured); a loaded machine may drop a few, so only the bound is asserted.
  assert.ok(rooms.length > 0 && rooms.length <= DISCOVERY_MAX_ROOMS, `${rooms.length} rooms kept`);
});

test('a room socket that hears a discovery query drops it quietly and counts it', async () => {
  const dir = await tempDir();
  const { server, port } = await startServer(dir, { roomName: 'Quiet' });
  try {
    const got = await probe(port, [encodeQuery(NONCE)], 200);
    assert.is(got.length, 0);
    assert.is(server.stats().dropped.discovery, 1);
    assert.is(server.stats().dropped.malformed, undefined);
    assert.is(server.roomName, 'Quiet');
    assert.equal(server.discovery.answering, [], 'a room on 127.0.0.1 has no broadcast interface to answer on');
  } finally {
    await server.stop();
    await removeDir(dir);
  }
});

test('sync() binds an interface that appeared and closes one that went away', async () => {
  const interfaces = [{ name: 'lo', bind: '127.0.0.1' }];
  const r = new DiscoveryResponder({ roomPort: 7500, roomHost: '127.0.0.1', fingerprint: FP, name: () => 'x', users: () => 0, interfaces, port: 0 });
  responders.push(r);
  await r.start();
  interfaces.push({ name: 'lo2', bind: '127.0.0.2' });
  assert.equal(await r.sync(), { added: ['lo2 (127.0.0.2)'], removed: [] });
  assert.equal(r.status.answering.map((a) => a.name), ['lo', 'lo2']);
  interfaces.splice(0, 1);
  assert.equal(await r.sync(), { added: [], removed: ['127.0.0.1'] });
  assert.equal(r.status.answering.map((a) => a.bind), ['127.0.0.2']);
  const port = r.status.answering[0]!.port;
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  const got = new Promise<Buffer>((resolve) => s.on('message', resolve));
  s.send(encodeQuery(NONCE), port, '127.0.0.2');
  assert.is(decodeAnswer(await got).port, 7500, 'the new socket answers');
});

test('roomPortIsFree sees a socket holding the port, and not once it is closed', async () => {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  assert.is(await roomPortIsFree('127.0.0.1', port), false);
  await new Promise<void>((r) => s.close(() => r()));
  assert.is(await roomPortIsFree('127.0.0.1', port), true);
});

test.run();
