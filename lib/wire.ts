// Datagram codec: pure functions, strict decoding, typed errors.
//
// Datagram = header (16 bytes) + body.
//   header: version u8 | type u8 | connection id (8 bytes) | packet number u48 (big-endian)
//   HELLO        client pub (32) | cookie len u8 | cookie | zero padding to exactly 1200 bytes
//   RETRY        cookie len u8 | cookie
//   SERVER_HELLO server pub (32) | key len u16 | server RSA key (SPKI DER) | sig len u16 | signature
//   SEALED       AES-256-GCM ciphertext of frames | tag (16); the header is the associated data
//   RESET        token (16)
// Frames (the plaintext of a SEALED body, one after another):
//   DATA  0x01  flags u8 (1 = first fragment, 2 = last) | seq u32 | len u16 | bytes
//   ACK   0x02  cumulative u32 | delay ms u16 | range count u8 | (start u32 | end u32) × count
//   PING  0x03
//   CLOSE 0x04  code u16 | reason len u16 | reason (UTF-8)
//   PROBE 0x05  padding len u16 | padding (zeros)      PROBE_ACK 0x06  size u16
// Every datagram is at most 1,200 bytes except SEALED ones, which may reach LARGE_DATAGRAM_MAX_BYTES.
import {
  AEAD_TAG_BYTES, CONNECTION_ID_BYTES, HEADER_BYTES, LARGE_DATAGRAM_MAX_BYTES, MAX_ACK_RANGES, MAX_DATAGRAM_BYTES,
  MAX_PACKET_NUMBER, PROTOCOL_VERSION,
} from './constants.ts';
import { ProtocolError } from './errors.ts';

export const PacketType = { HELLO: 1, RETRY: 2, SERVER_HELLO: 3, SEALED: 4, RESET: 5 } as const;
export type PacketTypeName = 'hello' | 'retry' | 'server_hello' | 'sealed' | 'reset';
const TYPE_NAMES: Record<number, PacketTypeName> = { 1: 'hello', 2: 'retry', 3: 'server_hello', 4: 'sealed', 5: 'reset' };

export const FrameType = { DATA: 1, ACK: 2, PING: 3, CLOSE: 4, PROBE: 5, PROBE_ACK: 6 } as const;
export const DATA_FIRST = 1;
export const DATA_LAST = 2;
/** Bytes a DATA frame adds around its data. */
export const DATA_FRAME_OVERHEAD = 8;
export const X25519_PUBLIC_BYTES = 32;
export const RESET_TOKEN_BYTES = 16;
const MAX_COOKIE_BYTES = 64;

export interface Header { type: PacketTypeName; connId: Buffer; pn: number }

export type Packet =
  | { type: 'hello'; connId: Buffer; pn: number; clientPub: Buffer; cookie: Buffer }
  | { type: 'retry'; connId: Buffer; pn: number; cookie: Buffer }
  | { type: 'server_hello'; connId: Buffer; pn: number; serverPub: Buffer; serverKey: Buffer; signature: Buffer }
  | { type: 'sealed'; connId: Buffer; pn: number; body: Buffer }
  | { type: 'reset'; connId: Buffer; pn: number; token: Buffer };

export type Frame =
  | { type: 'data'; seq: number; first: boolean; last: boolean; data: Uint8Array }
  | { type: 'ack'; cumulative: number; delayMs: number; ranges: Array<[start: number, end: number]> }
  | { type: 'ping' }
  | { type: 'close'; code: number; reason: string }
  /** Asks the peer to report the size of the payload that carried it (a path probe); `padding` zero bytes. */
  | { type: 'probe'; padding: number }
  /** The answer: `size` is the plaintext length of the payload that carried the PROBE. */
  | { type: 'probe_ack'; size: number };

function fail(code: ConstructorParameters<typeof ProtocolError>[0], message: string): never {
  throw new ProtocolError(code, message);
}

/** A bounds-checked reader over one buffer; every read past the end throws `truncated`. */
class Reader {
  offset: number;
  constructor(readonly buf: Buffer, offset = 0) { this.offset = offset; }
  get left(): number { return this.buf.length - this.offset; }
  need(n: number, what: string): void {
    if (this.left < n) fail('truncated', `truncated ${what}: need ${n} bytes, have ${this.left}`);
  }
  u8(what: string): number { this.need(1, what); return this.buf[this.offset++]!; }
  u16(what: string): number { this.need(2, what); const v = this.buf.readUInt16BE(this.offset); this.offset += 2; return v; }
  u32(what: string): number { this.need(4, what); const v = this.buf.readUInt32BE(this.offset); this.offset += 4; return v; }
  bytes(n: number, what: string): Buffer { this.need(n, what); const v = this.buf.subarray(this.offset, this.offset + n); this.offset += n; return v; }
}

/** Writes the 16-byte header into `out` at `offset`; returns the offset after it. */
export function writeHeader(out: Buffer, type: PacketTypeName, connId: Buffer, pn: number, offset = 0): number {
  if (connId.length !== CONNECTION_ID_BYTES) throw new RangeError(`connection id must be ${CONNECTION_ID_BYTES} bytes`);
  if (!Number.isInteger(pn) || pn < 0 || pn > MAX_PACKET_NUMBER) throw new RangeError(`packet number out of range: ${pn}`);
  out[offset] = PROTOCOL_VERSION;
  out[offset + 1] = PacketType[type.toUpperCase() as keyof typeof PacketType];
  connId.copy(out, offset + 2);
  out.writeUIntBE(pn, offset + 10, 6);
  return offset + HEADER_BYTES;
}

/** Decodes the header of a datagram. Throws ProtocolError (`too_large`, `truncated`, `bad_version`, `bad_type`). */
export function decodeHeader(buf: Buffer): Header {
  if (buf.length > LARGE_DATAGRAM_MAX_BYTES) fail('too_large', `datagram of ${buf.length} bytes exceeds ${LARGE_DATAGRAM_MAX_BYTES}`);
  if (buf.length < HEADER_BYTES) fail('truncated', `truncated header: ${buf.length} of ${HEADER_BYTES} bytes`);
  if (buf[0] !== PROTOCOL_VERSION) fail('bad_version', `unsupported protocol version ${buf[0]} (expected ${PROTOCOL_VERSION})`);
  const type = TYPE_NAMES[buf[1]!];
  if (!type) fail('bad_type', `unknown packet type ${buf[1]}`);
  if (type !== 'sealed' && buf.length > MAX_DATAGRAM_BYTES) fail('too_large', `${type} datagram of ${buf.length} bytes exceeds ${MAX_DATAGRAM_BYTES}`);
  return { type, connId: buf.subarray(2, 2 + CONNECTION_ID_BYTES), pn: buf.readUIntBE(10, 6) };
}

/** Encodes a packet into a new datagram (at most 1200 bytes; SEALED up to LARGE_DATAGRAM_MAX_BYTES). Throws RangeError on a field that cannot be encoded. */
export function encodePacket(p: Packet): Buffer {
  const size = p.type === 'hello' ? MAX_DATAGRAM_BYTES : HEADER_BYTES + bodyLength(p);
  const max = p.type === 'sealed' ? LARGE_DATAGRAM_MAX_BYTES : MAX_DATAGRAM_BYTES;
  if (size > max) throw new RangeError(`${p.type} packet of ${size} bytes exceeds ${max}`);
  const out = Buffer.alloc(size);
  let o = writeHeader(out, p.type, p.connId, p.pn);
  switch (p.type) {
    case 'hello':
      checkLength(p.clientPub, X25519_PUBLIC_BYTES, 'client public key');
      if (p.cookie.length > MAX_COOKIE_BYTES) throw new RangeError('cookie too long');
      o += p.clientPub.copy(out, o);
      out[o++] = p.cookie.length;
      p.cookie.copy(out, o);
      break;
    case 'retry':
      if (p.cookie.length > MAX_COOKIE_BYTES) throw new RangeError('cookie too long');
      out[o++] = p.cookie.length;
      p.cookie.copy(out, o);
      break;
    case 'server_hello':
      checkLength(p.serverPub, X25519_PUBLIC_BYTES, 'server public key');
      o += p.serverPub.copy(out, o);
      o = out.writeUInt16BE(p.serverKey.length, o);
      o += p.serverKey.copy(out, o);
      o = out.writeUInt16BE(p.signature.length, o);
      p.signature.copy(out, o);
      break;
    case 'sealed':
      p.body.copy(out, o);
      break;
    case 'reset':
      checkLength(p.token, RESET_TOKEN_BYTES, 'reset token');
      p.token.copy(out, o);
      break;
  }
  return out;
}

function bodyLength(p: Exclude<Packet, { type: 'hello' }>): number {
  switch (p.type) {
    case 'retry': return 1 + p.cookie.length;
    case 'server_hello': return X25519_PUBLIC_BYTES + 2 + p.serverKey.length + 2 + p.signature.length;
    case 'sealed': return p.body.length;
    case 'reset': return RESET_TOKEN_BYTES;
  }
}

function checkLength(b: Buffer, n: number, what: string): void {
  if (b.length !== n) throw new RangeError(`${what} must be ${n} bytes, got ${b.length}`);
}

/** Decodes a whole datagram. Validates every length; throws ProtocolError, never anything else. */
export function decodePacket(buf: Buffer): Packet {
  const { type, connId, pn } = decodeHeader(buf);
  const r = new Reader(buf, HEADER_BYTES);
  let packet: Packet;
  switch (type) {
    case 'hello': {
      if (buf.length !== MAX_DATAGRAM_BYTES) fail('truncated', `HELLO must be padded to ${MAX_DATAGRAM_BYTES} bytes, got ${buf.length}`);
      const clientPub = r.bytes(X25519_PUBLIC_BYTES, 'client public key');
      const cookie = r.bytes(r.u8('cookie length'), 'cookie');
      if (cookie.length > MAX_COOKIE_BYTES) fail('bad_field', `cookie length ${cookie.length} out of range`);
      for (let i = r.offset; i < buf.length; i++) if (buf[i] !== 0) fail('bad_field', 'HELLO padding must be zero');
      return { type, connId, pn, clientPub, cookie };
    }
    case 'retry': {
      const len = r.u8('cookie length');
      if (len === 0 || len > MAX_COOKIE_BYTES) fail('bad_field', `cookie length ${len} out of range`);
      packet = { type, connId, pn, cookie: r.bytes(len, 'cookie') };
      break;
    }
    case 'server_hello': {
      const serverPub = r.bytes(X25519_PUBLIC_BYTES, 'server public key');
      const serverKey = r.bytes(r.u16('server key length'), 'server key');
      const signature = r.bytes(r.u16('signature length'), 'signature');
      if (serverKey.length === 0 || signature.length === 0) fail('bad_field', 'empty server key or signature');
      packet = { type, connId, pn, serverPub, serverKey, signature };
      break;
    }
    case 'sealed':
      if (r.left < AEAD_TAG_BYTES) fail('truncated', `sealed body of ${r.left} bytes is shorter than its tag`);
      return { type, connId, pn, body: buf.subarray(HEADER_BYTES) };
    case 'reset':
      packet = { type, connId, pn, token: r.bytes(RESET_TOKEN_BYTES, 'reset token') };
      break;
  }
  if (r.left !== 0) fail('trailing_bytes', `${r.left} unexpected bytes after ${type} packet`);
  return packet;
}

/** Encoded length of one frame, in bytes. */
export function frameLength(f: Frame): number {
  switch (f.type) {
    case 'data': return DATA_FRAME_OVERHEAD + f.data.length;
    case 'ack': return 1 + 4 + 2 + 1 + 8 * f.ranges.length;
    case 'ping': return 1;
    case 'close': return 1 + 2 + 2 + Buffer.byteLength(f.reason);
    case 'probe': return 1 + 2 + f.padding;
    case 'probe_ack': return 1 + 2;
  }
}

/** Writes one frame into `out` at `offset`; returns the offset after it. The caller sized `out` with frameLength. */
export function writeFrame(out: Buffer, f: Frame, offset: number): number {
  let o = offset;
  switch (f.type) {
    case 'data':
      if (f.data.length > 0xffff) throw new RangeError('data frame too long');
      out[o++] = FrameType.DATA;
      out[o++] = (f.first ? DATA_FIRST : 0) | (f.last ? DATA_LAST : 0);
      o = out.writeUInt32BE(f.seq, o);
      o = out.writeUInt16BE(f.data.length, o);
      out.set(f.data, o);
      return o + f.data.length;
    case 'ack':
      if (f.ranges.length > MAX_ACK_RANGES) throw new RangeError('too many ack ranges');
      out[o++] = FrameType.ACK;
      o = out.writeUInt32BE(f.cumulative, o);
      o = out.writeUInt16BE(Math.min(0xffff, Math.max(0, Math.round(f.delayMs))), o);
      out[o++] = f.ranges.length;
      for (const [start, end] of f.ranges) { o = out.writeUInt32BE(start, o); o = out.writeUInt32BE(end, o); }
      return o;
    case 'ping':
      out[o++] = FrameType.PING;
      return o;
    case 'close': {
      const reason = Buffer.from(f.reason);
      out[o++] = FrameType.CLOSE;
      o = out.writeUInt16BE(f.code, o);
      o = out.writeUInt16BE(reason.length, o);
      return o + reason.copy(out, o);
    }
    case 'probe':
      if (!Number.isInteger(f.padding) || f.padding < 0 || f.padding > 0xffff) throw new RangeError('probe padding out of range');
      out[o++] = FrameType.PROBE;
      o = out.writeUInt16BE(f.padding, o);
      out.fill(0, o, o + f.padding);
      return o + f.padding;
    case 'probe_ack':
      out[o++] = FrameType.PROBE_ACK;
      return out.writeUInt16BE(f.size, o);
  }
}

/** Encodes frames one after another into a new buffer, or at the start of `into` (returned: a view of it). */
export function encodeFrames(frames: readonly Frame[], into?: Buffer): Buffer {
  const size = frames.reduce((n, f) => n + frameLength(f), 0);
  const out = into && into.length >= size ? into.subarray(0, size) : Buffer.allocUnsafe(size);
  let o = 0;
  for (const f of frames) o = writeFrame(out, f, o);
  return out;
}

/** Decodes the frames of a sealed body's plaintext. Throws ProtocolError (`bad_frame`, `truncated`, `bad_ack`). */
export function decodeFrames(buf: Buffer): Frame[] {
  const r = new Reader(buf);
  const frames: Frame[] = [];
  if (buf.length === 0) fail('bad_frame', 'a packet must carry at least one frame');
  while (r.left > 0) frames.push(readFrame(r));
  return frames;
}

function readFrame(r: Reader): Frame {
  const type = r.u8('frame type');
  switch (type) {
    case FrameType.DATA: {
      const flags = r.u8('data flags');
      if (flags > 3) fail('bad_frame', `unknown data flags ${flags}`);
      const seq = r.u32('data sequence');
      const data = r.bytes(r.u16('data length'), 'data');
      return { type: 'data', seq, first: (flags & DATA_FIRST) !== 0, last: (flags & DATA_LAST) !== 0, data };
    }
    case FrameType.ACK: {
      const cumulative = r.u32('ack cumulative');
      const delayMs = r.u16('ack delay');
      const count = r.u8('ack range count');
      if (count > MAX_ACK_RANGES) fail('bad_ack', `${count} ack ranges exceed ${MAX_ACK_RANGES}`);
      const ranges: Array<[number, number]> = [];
      let floor = cumulative;
      for (let i = 0; i < count; i++) {
        const start = r.u32('ack range start');
        const end = r.u32('ack range end');
        // Ranges are [start, end), above the cumulative point, ascending and not touching.
        if (start <= floor || end <= start) fail('bad_ack', `ack range [${start}, ${end}) out of order`);
        ranges.push([start, end]);
        floor = end;
      }
      return { type: 'ack', cumulative, delayMs, ranges };
    }
    case FrameType.PING:
      return { type: 'ping' };
    case FrameType.CLOSE: {
      const code = r.u16('close code');
      const reason = r.bytes(r.u16('close reason length'), 'close reason');
      return { type: 'close', code, reason: reason.toString('utf8') };
    }
    case FrameType.PROBE: {
      const padding = r.bytes(r.u16('probe padding length'), 'probe padding');
      for (const b of padding) if (b !== 0) fail('bad_frame', 'probe padding must be zero');
      return { type: 'probe', padding: padding.length };
    }
    case FrameType.PROBE_ACK:
      return { type: 'probe_ack', size: r.u16('probe size') };
    default:
      fail('bad_frame', `unknown frame type ${type}`);
  }
}
