// Tests of the datagram codec (lib/wire.ts): round trips, fixed hex vectors, typed errors, and a seeded fuzz.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LARGE_DATAGRAM_MAX_BYTES, MAX_ACK_RANGES, MAX_DATAGRAM_BYTES, MAX_PACKET_NUMBER } from '../lib/constants.ts';
import { ProtocolError } from '../lib/errors.ts';
import { decodeFrames, decodePacket, encodeFrames, encodePacket, type Frame, type Packet } from '../lib/wire.ts';
import { Rng } from './support/rng.ts';
import { hex, throwsCode } from './support/protocol-asserts.ts';

const CID = Buffer.from('0102030405060708', 'hex');
const fill = (n: number, byte: number): Buffer => Buffer.alloc(n, byte);

// One valid packet of every type, with realistic sizes (RSA-3072 SPKI is 422 bytes, its signature 384).
const SAMPLE_PACKETS: Packet[] = [
  { type: 'hello', connId: CID, pn: 0, clientPub: fill(32, 0x11), cookie: Buffer.alloc(0) },
  { type: 'hello', connId: CID, pn: 1, clientPub: fill(32, 0x12), cookie: fill(64, 0x99) },
  { type: 'retry', connId: CID, pn: 7, cookie: fill(32, 0x21) },
  { type: 'server_hello', connId: CID, pn: 2, serverPub: fill(32, 0x31), serverKey: fill(422, 0x32), signature: fill(384, 0x33) },
  { type: 'sealed', connId: CID, pn: MAX_PACKET_NUMBER, body: fill(16, 0x41) },
  { type: 'sealed', connId: CID, pn: 123_456_789, body: fill(MAX_DATAGRAM_BYTES - 16, 0x42) },
  { type: 'reset', connId: CID, pn: 0, token: fill(16, 0x51) },
];

const SAMPLE_FRAMES: Frame[] = [
  { type: 'data', seq: 0, first: false, last: false, data: Buffer.from('middle') },
  { type: 'data', seq: 1, first: true, last: false, data: Buffer.from('first') },
  { type: 'data', seq: 2, first: false, last: true, data: Buffer.from('last') },
  { type: 'data', seq: 0xffffffff, first: true, last: true, data: Buffer.from('whole') },
  { type: 'data', seq: 5, first: true, last: true, data: Buffer.alloc(0) },
  { type: 'ack', cumulative: 10, delayMs: 0, ranges: [] },
  { type: 'ack', cumulative: 10, delayMs: 20, ranges: [[12, 13]] },
  { type: 'ack', cumulative: 0, delayMs: 0xffff, ranges: Array.from({ length: MAX_ACK_RANGES }, (_, i): [number, number] => [2 + 3 * i, 4 + 3 * i]) },
  { type: 'ping' },
  { type: 'close', code: 0, reason: '' },
  { type: 'close', code: 1001, reason: 'server berhenti — sampai jumpa 👋' },
];

test('round-trips every packet type', () => {
  for (const p of SAMPLE_PACKETS) {
    const bytes = encodePacket(p);
    assert.ok(bytes.length <= MAX_DATAGRAM_BYTES, `${p.type} fits in a datagram`);
    if (p.type === 'hello') assert.is(bytes.length, MAX_DATAGRAM_BYTES, 'HELLO is padded');
    assert.equal(decodePacket(bytes), p, p.type);
  }
});

test('round-trips every frame type, one at a time and all in one buffer', () => {
  for (const f of SAMPLE_FRAMES) assert.equal(decodeFrames(encodeFrames([f])), [f], f.type);
  assert.equal(decodeFrames(encodeFrames(SAMPLE_FRAMES)), SAMPLE_FRAMES);
});

test('encodes packets to the hand-written hex of the layout, and decodes that hex back', () => {
  const vectors: Array<[Packet, Buffer]> = [
    [{ type: 'hello', connId: CID, pn: 1, clientPub: fill(32, 0xaa), cookie: hex('c0ffee') },
      hex('01 01 0102030405060708 000000000001' + 'aa'.repeat(32) + '03 c0ffee' + '00'.repeat(1200 - 16 - 32 - 1 - 3))],
    [{ type: 'retry', connId: hex('1112131415161718'), pn: 2, cookie: hex('deadbeef') },
      hex('01 02 1112131415161718 000000000002 04 deadbeef')],
    [{ type: 'server_hello', connId: CID, pn: 255, serverPub: fill(32, 0xbb), serverKey: hex('010203'), signature: hex('0405') },
      hex('01 03 0102030405060708 0000000000ff' + 'bb'.repeat(32) + '0003 010203 0002 0405')],
    [{ type: 'sealed', connId: hex('a1a2a3a4a5a6a7a8'), pn: 2 ** 48 - 1, body: hex('cc'.repeat(16) + '010203') },
      hex('01 04 a1a2a3a4a5a6a7a8 ffffffffffff' + 'cc'.repeat(16) + '010203')],
    [{ type: 'reset', connId: CID, pn: 0x010203040506, token: hex('000102030405060708090a0b0c0d0e0f') },
      hex('01 05 0102030405060708 010203040506 000102030405060708090a0b0c0d0e0f')],
  ];
  for (const [packet, bytes] of vectors) {
    assert.is(encodePacket(packet).toString('hex'), bytes.toString('hex'), `encode ${packet.type}`);
    assert.equal(decodePacket(bytes), packet, `decode ${packet.type}`);
  }
});

test('encodes frames to the hand-written hex of the layout, and decodes that hex back', () => {
  const frames: Frame[] = [
    { type: 'data', seq: 0x01020304, first: true, last: true, data: Buffer.from('hi') },
    { type: 'data', seq: 9, first: false, last: true, data: Buffer.alloc(0) },
    { type: 'ack', cumulative: 10, delayMs: 25, ranges: [[12, 14], [20, 21]] },
    { type: 'ping' },
    { type: 'close', code: 1000, reason: 'bye é' },
  ];
  const bytes = hex(
    '01 03 01020304 0002 6869' +
    '01 02 00000009 0000' +
    '02 0000000a 0019 02 0000000c 0000000e 00000014 00000015' +
    '03' +
    '04 03e8 0006 627965 20 c3a9',
  );
  assert.is(encodeFrames(frames).toString('hex'), bytes.toString('hex'));
  assert.equal(decodeFrames(bytes), frames);
});

test('refuses a datagram of an unknown protocol version with bad_version', () => {
  const bytes = encodePacket(SAMPLE_PACKETS[2]!);
  for (const v of [0, 2, 255]) {
    bytes[0] = v;
    throwsCode(() => decodePacket(bytes), 'bad_version', `version ${v}`);
  }
});

test('refuses an unknown packet type with bad_type', () => {
  for (const t of [0, 6, 255]) throwsCode(() => decodePacket(hex(`01 ${t.toString(16).padStart(2, '0')} 0102030405060708 000000000001` + '00'.repeat(16))), 'bad_type', `type ${t}`);
});

test('refuses a datagram shorter than the header with truncated', () => {
  for (let n = 0; n < 16; n++) throwsCode(() => decodePacket(encodePacket(SAMPLE_PACKETS[6]!).subarray(0, n)), 'truncated', `${n} bytes`);
});

test('refuses a datagram of 1201 bytes with too_large unless it is SEALED, and a SEALED one above 60 KiB', () => {
  for (const p of SAMPLE_PACKETS) {
    const big = Buffer.concat([encodePacket(p), Buffer.alloc(MAX_DATAGRAM_BYTES + 1)]).subarray(0, MAX_DATAGRAM_BYTES + 1);
    if (p.type === 'sealed') assert.is(decodePacket(big).type, 'sealed', 'a 1201-byte SEALED datagram is read');
    else throwsCode(() => decodePacket(big), 'too_large', p.type);
    const huge = Buffer.concat([encodePacket(p), Buffer.alloc(LARGE_DATAGRAM_MAX_BYTES + 1)]).subarray(0, LARGE_DATAGRAM_MAX_BYTES + 1);
    throwsCode(() => decodePacket(huge), 'too_large', `${p.type} of ${huge.length} bytes`);
  }
});

test('PROBE and PROBE_ACK frames round-trip byte for byte; probe padding must be zero', () => {
  const probe = encodeFrames([{ type: 'probe', padding: 5 }]);
  assert.is(probe.toString('hex'), '05' + '0005' + '00'.repeat(5));
  assert.equal(decodeFrames(probe), [{ type: 'probe', padding: 5 }]);
  const ack = encodeFrames([{ type: 'probe_ack', size: 16352 }]);
  assert.is(ack.toString('hex'), '06' + '3fe0');
  assert.equal(decodeFrames(ack), [{ type: 'probe_ack', size: 16352 }]);
  throwsCode(() => decodeFrames(hex('05 0002 0001')), 'bad_frame', 'non-zero padding');
  throwsCode(() => decodeFrames(hex('05 0004 0000')), 'truncated', 'padding shorter than its length');
  throwsCode(() => decodeFrames(hex('06 3f')), 'truncated', 'probe ack without its size');
});

test('refuses a HELLO that is not padded to exactly 1200 bytes', () => {
  const hello = encodePacket(SAMPLE_PACKETS[0]!);
  throwsCode(() => decodePacket(hello.subarray(0, 1199)), 'truncated', '1199 bytes');
  throwsCode(() => decodePacket(hello.subarray(0, 16 + 32 + 1)), 'truncated', 'no padding');
});

test('refuses a HELLO whose padding is not zero with bad_field', () => {
  for (const at of [16 + 32 + 1, 600, 1199]) {
    const hello = encodePacket(SAMPLE_PACKETS[0]!);
    hello[at] = 1;
    throwsCode(() => decodePacket(hello), 'bad_field', `byte ${at}`);
  }
});

test('refuses a HELLO or RETRY cookie longer than 64 bytes or an empty RETRY cookie with bad_field', () => {
  const hello = encodePacket(SAMPLE_PACKETS[0]!);
  hello[16 + 32] = 65; // the padding is zero, so a 65-byte cookie of zeros is there to read
  throwsCode(() => decodePacket(hello), 'bad_field', 'hello cookie 65');
  throwsCode(() => decodePacket(hex('01 02 0102030405060708 000000000001 00')), 'bad_field', 'retry cookie 0');
  throwsCode(() => decodePacket(hex('01 02 0102030405060708 000000000001 41' + '00'.repeat(65))), 'bad_field', 'retry cookie 65');
});

test('refuses a SERVER_HELLO with an empty key or signature with bad_field', () => {
  const head = '01 03 0102030405060708 000000000001' + 'bb'.repeat(32);
  throwsCode(() => decodePacket(hex(head + '0000 0002 0405')), 'bad_field', 'empty key');
  throwsCode(() => decodePacket(hex(head + '0001 01 0000')), 'bad_field', 'empty signature');
});

test('refuses bytes after the end of a RETRY, SERVER_HELLO or RESET with trailing_bytes', () => {
  for (const p of SAMPLE_PACKETS.filter((x) => x.type === 'retry' || x.type === 'server_hello' || x.type === 'reset')) {
    throwsCode(() => decodePacket(Buffer.concat([encodePacket(p), hex('00')])), 'trailing_bytes', p.type);
  }
});

test('refuses every proper prefix of a packet (beyond the header) with truncated', () => {
  for (const p of SAMPLE_PACKETS.filter((x) => x.type !== 'hello')) {
    const bytes = encodePacket(p);
    const shortest = p.type === 'sealed' ? 32 : 16; // a sealed body is any length from its 16-byte tag up
    for (let n = 16; n < Math.min(bytes.length, shortest); n++) throwsCode(() => decodePacket(bytes.subarray(0, n)), 'truncated', `${p.type} ${n}`);
    if (p.type !== 'sealed') for (let n = 16; n < bytes.length; n++) throwsCode(() => decodePacket(bytes.subarray(0, n)), 'truncated', `${p.type} ${n}`);
  }
});

test('refuses an empty frame buffer and unknown frame types with bad_frame', () => {
  throwsCode(() => decodeFrames(Buffer.alloc(0)), 'bad_frame', 'empty');
  for (const t of [0x00, 0x07, 0x7f, 0xff]) throwsCode(() => decodeFrames(Buffer.from([t])), 'bad_frame', `type ${t}`);
  // An unknown frame after a good one still fails the whole buffer.
  throwsCode(() => decodeFrames(hex('03 03 09')), 'bad_frame', 'after ping');
  throwsCode(() => decodeFrames(hex('01 04 00000001 0000')), 'bad_frame', 'data flags 4');
});

test('refuses ack ranges out of order, overlapping, touching, at or below the cumulative point, or too many, with bad_ack', () => {
  const ack = (cum: number, ranges: Array<[number, number]>, count = ranges.length): Buffer => {
    const b = Buffer.alloc(8 + 8 * ranges.length);
    b[0] = 2; b.writeUInt32BE(cum, 1); b.writeUInt16BE(0, 5); b[7] = count;
    ranges.forEach(([s, e], i) => { b.writeUInt32BE(s, 8 + 8 * i); b.writeUInt32BE(e, 12 + 8 * i); });
    return b;
  };
  assert.equal(decodeFrames(ack(10, [[11, 12], [13, 20]]))[0], { type: 'ack', cumulative: 10, delayMs: 0, ranges: [[11, 12], [13, 20]] });
  const bad: Array<[string, Buffer]> = [
    ['descending', ack(10, [[20, 25], [12, 14]])],
    ['overlapping', ack(10, [[12, 16], [15, 18]])],
    ['touching', ack(10, [[12, 14], [14, 16]])],
    ['start at the cumulative point', ack(10, [[10, 12]])],
    ['start below the cumulative point', ack(10, [[3, 12]])],
    ['empty range', ack(10, [[12, 12]])],
    ['end before start', ack(10, [[14, 12]])],
    ['33 ranges', ack(0, Array.from({ length: 33 }, (_, i): [number, number] => [2 + 3 * i, 4 + 3 * i]))],
    ['count 255 with no ranges', ack(0, [], 255)],
  ];
  for (const [what, bytes] of bad) throwsCode(() => decodeFrames(bytes), 'bad_ack', what);
});

test('refuses every proper prefix of every frame with truncated', () => {
  for (const f of SAMPLE_FRAMES) {
    const bytes = encodeFrames([f]);
    for (let n = 1; n < bytes.length; n++) throwsCode(() => decodeFrames(bytes.subarray(0, n)), 'truncated', `${f.type} ${n}/${bytes.length}`);
    // The same cut after a complete frame: the good frame does not excuse the broken one.
    for (let n = 1; n < bytes.length; n++) throwsCode(() => decodeFrames(Buffer.concat([hex('03'), bytes.subarray(0, n)])), 'truncated', `ping + ${f.type} ${n}`);
  }
});

test('refuses to encode fields that do not fit, with RangeError', () => {
  const bad: Array<() => unknown> = [
    () => encodePacket({ type: 'reset', connId: Buffer.alloc(7), pn: 0, token: fill(16, 1) }),
    () => encodePacket({ type: 'reset', connId: CID, pn: 2 ** 48, token: fill(16, 1) }),
    () => encodePacket({ type: 'reset', connId: CID, pn: 0, token: fill(15, 1) }),
    () => encodePacket({ type: 'hello', connId: CID, pn: 0, clientPub: fill(31, 1), cookie: Buffer.alloc(0) }),
    () => encodePacket({ type: 'retry', connId: CID, pn: 0, cookie: fill(65, 1) }),
    () => encodePacket({ type: 'sealed', connId: CID, pn: 0, body: fill(LARGE_DATAGRAM_MAX_BYTES - 15, 1) }),
    () => encodeFrames([{ type: 'ack', cumulative: 0, delayMs: 0, ranges: Array.from({ length: 33 }, (_, i): [number, number] => [2 + 3 * i, 4 + 3 * i]) }]),
    () => encodeFrames([{ type: 'data', seq: 0, first: true, last: true, data: Buffer.alloc(0x10000) }]),
  ];
  bad.forEach((fn, i) => assert.throws(fn, (e: unknown) => e instanceof RangeError, `case ${i}`));
});

// ── fuzz ─────────────────────────────────────────────────────────────
const FUZZ_SEED = 0x0b201a;
const FUZZ_CASES = 100_000;

/** A mutation of a valid encoding: bit flips, a truncation, an extension, a byte swap or an overwrite. */
function mutate(rng: Rng, original: Buffer): Buffer {
  let b = Buffer.from(original);
  const rounds = 1 + rng.int(3);
  for (let i = 0; i < rounds; i++) {
    switch (rng.int(5)) {
      case 0: if (b.length) { const at = rng.int(b.length); b[at]! ^= 1 << rng.int(8); } break;
      case 1: b = b.subarray(0, rng.int(b.length + 1)); break;
      case 2: b = Buffer.concat([b, rng.chance(0.5) ? Buffer.alloc(1 + rng.int(8)) : rng.bytes(1 + rng.int(8))]); break;
      case 3: if (b.length > 1) { const x = rng.int(b.length), y = rng.int(b.length); [b[x], b[y]] = [b[y]!, b[x]!]; } break;
      case 4: if (b.length) b[rng.int(b.length)] = rng.pick([0, 1, 2, 3, 4, 5, 0x20, 0x41, 0x7f, 0xff]); break;
    }
  }
  return b;
}

/** A random buffer of 0..1300 bytes; half the time it starts like a valid header or frame, to get past the first check. */
function randomBuffer(rng: Rng): Buffer {
  const b = rng.bytes(rng.int(1301));
  if (b.length >= 2 && rng.chance(0.5)) { b[0] = 1; b[1] = 1 + rng.int(5); }
  return b;
}

/** Decodes with `decode`; a result must re-encode to the same bytes (one encoding per value), an error must be a ProtocolError. */
function probe<T>(decode: (b: Buffer) => T, encode: (v: T) => Buffer, input: Buffer, seen: Map<string, number>): void {
  let value: T;
  try {
    value = decode(input);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw new Error(`non-ProtocolError for input ${input.toString('hex')}: ${String(err)}`);
    seen.set(err.code, (seen.get(err.code) ?? 0) + 1);
    return;
  }
  seen.set('ok', (seen.get('ok') ?? 0) + 1);
  // A CLOSE reason that is not valid UTF-8 decodes with U+FFFD, so it cannot re-encode to the same bytes.
  if (JSON.stringify(value).includes('\ufffd')) return;
  const again = encode(value);
  if (!again.equals(input)) throw new Error(`decode accepted a non-canonical encoding: ${input.toString('hex')}`);
}

test('fuzz: 100,000 random and mutated buffers give only results or ProtocolErrors', () => {
  const rng = new Rng(FUZZ_SEED);
  const packets = SAMPLE_PACKETS.map(encodePacket);
  const payloads = [...SAMPLE_FRAMES.map((f) => encodeFrames([f])), encodeFrames(SAMPLE_FRAMES), encodeFrames(SAMPLE_FRAMES.slice(4, 9))];
  const seenPackets = new Map<string, number>();
  const seenFrames = new Map<string, number>();
  for (let i = 0; i < FUZZ_CASES; i++) {
    const input = i % 2 === 0 ? randomBuffer(rng) : mutate(rng, rng.pick(i % 4 === 1 ? packets : payloads));
    probe(decodePacket, encodePacket, input, seenPackets);
    probe(decodeFrames, encodeFrames, input, seenFrames);
  }
  // The fuzz must reach past the first check; otherwise it tests nothing.
  for (const code of ['ok', 'too_large', 'truncated', 'bad_version', 'bad_type', 'bad_field', 'trailing_bytes']) {
    assert.ok((seenPackets.get(code) ?? 0) > 0, `packets: no ${code} in ${JSON.stringify([...seenPackets])}`);
  }
  for (const code of ['ok', 'truncated', 'bad_frame', 'bad_ack']) {
    assert.ok((seenFrames.get(code) ?? 0) > 0, `frames: no ${code} in ${JSON.stringify([...seenFrames])}`);
  }
});

test.run();
