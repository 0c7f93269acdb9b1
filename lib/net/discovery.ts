// Rooms on this LAN: the discovery query and answer (pure codec, docs/PROTOCOL.md "Discovery"), the
// per-source answer limiter, and the broadcast addresses of this machine's interfaces. The sockets
// that use them are in discovery-socket.ts.
import { networkInterfaces } from 'node:os';
import {
  DISCOVERY_ANSWERS_PER_S, DISCOVERY_ANSWERS_PER_S_PER_SOURCE, DISCOVERY_BURST_PER_SOURCE, DISCOVERY_MAX_SOURCES,
  DISCOVERY_QUERY_BYTES, PROTOCOL_VERSION, ROOM_NAME_MAX_BYTES,
} from '../constants.ts';
import { ProtocolError } from '../errors.ts';
import { TokenBucket } from '../rate-limit.ts';

/** First four bytes of every discovery datagram: ASCII "OBRL". */
export const DISCOVERY_MAGIC = Buffer.from('OBRL', 'ascii');
const KIND_QUERY = 1;
const KIND_ANSWER = 2;
/** magic (4) + kind (1) + version (1) + nonce (8). */
const HEAD_BYTES = 14;
/** The query's nonce, echoed by the answer, in bytes. */
export const NONCE_BYTES = 8;
/** head + room port (2) + members (2) + fingerprint (32) + name length (1). */
export const ANSWER_FIXED_BYTES = HEAD_BYTES + 2 + 2 + 32 + 1;

/** What a server says about its room. */
export interface RoomAnswer { nonce: Buffer; version: number; port: number; users: number; fingerprint: string; name: string }

const fail = (code: 'bad_version' | 'bad_type' | 'bad_field' | 'truncated' | 'too_large' | 'trailing_bytes', msg: string): never => {
  throw new ProtocolError(code, msg);
};

/** True when `buf` starts with the discovery magic (so the room socket can drop it quietly). */
export function isDiscoveryDatagram(buf: Buffer): boolean {
  return buf.length >= DISCOVERY_MAGIC.length && buf.subarray(0, DISCOVERY_MAGIC.length).equals(DISCOVERY_MAGIC);
}

function head(kind: number, nonce: Buffer, size: number): Buffer {
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes`);
  const out = Buffer.alloc(size);
  DISCOVERY_MAGIC.copy(out, 0);
  out[4] = kind;
  out[5] = PROTOCOL_VERSION;
  nonce.copy(out, 6);
  return out;
}

function checkHead(buf: Buffer, kind: number): Buffer {
  if (buf.length < HEAD_BYTES) fail('truncated', `discovery datagram of ${buf.length} bytes is too short`);
  if (!isDiscoveryDatagram(buf)) fail('bad_type', 'not a discovery datagram');
  if (buf[4] !== kind) fail('bad_type', `discovery kind ${buf[4]} where ${kind} was expected`);
  if (buf[5] !== PROTOCOL_VERSION) fail('bad_version', `discovery version ${buf[5]} (expected ${PROTOCOL_VERSION})`);
  return Buffer.from(buf.subarray(6, HEAD_BYTES));
}

/** A query: head then zeros up to DISCOVERY_QUERY_BYTES. */
export function encodeQuery(nonce: Buffer): Buffer {
  return head(KIND_QUERY, nonce, DISCOVERY_QUERY_BYTES);
}

/** Returns the nonce of a well-formed query. Throws ProtocolError on any other size, kind, version or non-zero padding. */
export function decodeQuery(buf: Buffer): Buffer {
  if (buf.length > DISCOVERY_QUERY_BYTES) fail('too_large', `discovery query of ${buf.length} bytes (exactly ${DISCOVERY_QUERY_BYTES} expected)`);
  if (buf.length < DISCOVERY_QUERY_BYTES) fail('truncated', `discovery query of ${buf.length} bytes (exactly ${DISCOVERY_QUERY_BYTES} expected)`);
  const nonce = checkHead(buf, KIND_QUERY);
  for (let i = HEAD_BYTES; i < buf.length; i++) if (buf[i] !== 0) fail('bad_field', 'discovery query padding is not zero');
  return nonce;
}

/** `text` cut to at most `max` bytes of UTF-8, never inside a character. */
export function truncateUtf8(text: string, max: number): Buffer {
  const full = Buffer.from(text, 'utf8');
  if (full.length <= max) return full;
  let end = max;
  while (end > 0 && (full[end]! & 0xc0) === 0x80) end--;
  return full.subarray(0, end);
}

/** A room name as servers keep it: control characters removed, blanks folded, trimmed. Empty means "none". */
export function cleanRoomName(name: string): string {
  return name.normalize('NFC').replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '').replace(/\s+/g, ' ').trim();
}

/** "SHA256:<base64>" to its 32 bytes. Throws RangeError on another form. */
export function fingerprintBytes(fp: string): Buffer {
  const b = fp.startsWith('SHA256:') ? Buffer.from(fp.slice(7), 'base64') : Buffer.alloc(0);
  if (b.length !== 32) throw new RangeError(`not a SHA256 fingerprint: ${fp}`);
  return b;
}

/**
 * The answer to a query of `querySize` bytes: never larger than it (the name is cut to fit, and to
 * ROOM_NAME_MAX_BYTES). Throws RangeError when even an empty name would not fit.
 */
export function encodeAnswer(a: Omit<RoomAnswer, 'version'>, querySize = DISCOVERY_QUERY_BYTES): Buffer {
  const room = Math.min(ROOM_NAME_MAX_BYTES, querySize - ANSWER_FIXED_BYTES);
  if (room < 0) throw new RangeError('query too small for an answer');
  const name = Buffer.from(truncateUtf8(cleanRoomName(a.name), room).toString('utf8').trimEnd(), 'utf8');
  const out = head(KIND_ANSWER, a.nonce, ANSWER_FIXED_BYTES + name.length);
  out.writeUInt16BE(a.port, HEAD_BYTES);
  out.writeUInt16BE(Math.min(0xffff, Math.max(0, a.users)), HEAD_BYTES + 2);
  fingerprintBytes(a.fingerprint).copy(out, HEAD_BYTES + 4);
  out[HEAD_BYTES + 36] = name.length;
  name.copy(out, ANSWER_FIXED_BYTES);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes an answer. Throws ProtocolError on a bad size, kind, version, port, name length or name. */
export function decodeAnswer(buf: Buffer): RoomAnswer {
  if (buf.length > DISCOVERY_QUERY_BYTES) fail('too_large', `discovery answer of ${buf.length} bytes is larger than a query`);
  const nonce = checkHead(buf, KIND_ANSWER);
  if (buf.length < ANSWER_FIXED_BYTES) fail('truncated', 'discovery answer is cut short');
  const port = buf.readUInt16BE(HEAD_BYTES);
  if (port === 0) fail('bad_field', 'discovery answer names port 0');
  const len = buf[HEAD_BYTES + 36]!;
  if (len > ROOM_NAME_MAX_BYTES) fail('bad_field', `room name of ${len} bytes`);
  if (buf.length < ANSWER_FIXED_BYTES + len) fail('truncated', 'discovery answer is cut short');
  if (buf.length > ANSWER_FIXED_BYTES + len) fail('trailing_bytes', 'discovery answer has bytes after the room name');
  let name: string;
  try { name = utf8.decode(buf.subarray(ANSWER_FIXED_BYTES)); } catch { return fail('bad_field', 'room name is not UTF-8'); }
  if (name !== cleanRoomName(name)) fail('bad_field', 'room name holds control characters or untrimmed blanks');
  const fingerprint = 'SHA256:' + buf.subarray(HEAD_BYTES + 4, HEAD_BYTES + 36).toString('base64').replace(/=+$/, '');
  return { nonce, version: buf[5]!, port, users: buf.readUInt16BE(HEAD_BYTES + 2), fingerprint, name };
}

/**
 * Decides whether a query gets an answer: a token bucket per source IP address and one for all sources
 * (so spoofed sources cannot make a server send more than DISCOVERY_ANSWERS_PER_S). Memory is bounded
 * by `maxSources`. Never reads the clock: `now` (ms) is passed in.
 */
export class QueryLimiter {
  private readonly sources = new Map<string, TokenBucket>();
  private readonly all: TokenBucket;

  constructor(
    now: number,
    private readonly perSource = { ratePerS: DISCOVERY_ANSWERS_PER_S_PER_SOURCE, burst: DISCOVERY_BURST_PER_SOURCE },
    total = DISCOVERY_ANSWERS_PER_S,
    private readonly maxSources = DISCOVERY_MAX_SOURCES,
  ) {
    this.all = new TokenBucket(total, total, now);
  }

  /** Sources remembered now. */
  get size(): number { return this.sources.size; }

  /** True when a query from `ip` at `now` may be answered (and counts it). */
  allow(ip: string, now: number): boolean {
    let bucket = this.sources.get(ip);
    if (bucket) this.sources.delete(ip);
    else bucket = new TokenBucket(this.perSource.ratePerS, this.perSource.burst, now);
    // Re-inserted so the Map's first key is the least recently seen source.
    this.sources.set(ip, bucket);
    while (this.sources.size > this.maxSources) this.sources.delete(this.sources.keys().next().value!);
    return bucket.take(now, 0) === 0 && this.all.take(now, 0) === 0;
  }
}

/** One IPv4 interface that can broadcast: its name, address and the subnet's broadcast address. */
export interface BroadcastInterface { name: string; address: string; broadcast: string }

const toInt = (ip: string): number => ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');

/** address | ~netmask: the subnet's directed broadcast address. */
export function broadcastOf(address: string, netmask: string): string {
  return toIp((toInt(address) | ~toInt(netmask)) >>> 0);
}

/** This machine's IPv4 interfaces with a broadcast address (loopback and /31–/32 links have none). */
export function broadcastInterfaces(ifaces = networkInterfaces()): BroadcastInterface[] {
  const out: BroadcastInterface[] = [];
  for (const [name, list] of Object.entries(ifaces)) {
    for (const a of list ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      const broadcast = broadcastOf(a.address, a.netmask);
      if (broadcast !== a.address && toInt(a.netmask) < 0xfffffffe) out.push({ name, address: a.address, broadcast });
    }
  }
  return out;
}

/** What to tell a person when no room answered: the usual causes, most common first. */
export const NO_ROOMS_ADVICE: readonly string[] = [
  'no room answered on this LAN. Usual causes:',
  '- no server is running: start one with npx tsx server.ts;',
  '- a firewall on the server drops UDP 7447: sudo ufw allow 7447/udp (Ubuntu),',
  '  sudo firewall-cmd --add-port=7447/udp (Fedora), or allow Node.js on Private networks (Windows);',
  '- guest or school Wi-Fi that isolates clients from each other: use another network;',
  '- the server is on a different subnet (broadcasts stop at routers): type its address instead',
  '  (--host ADDR, or "Other address…").',
];

/**
 * What the client already knows about a room's key, from its pins ("host:port" → fingerprint) and the
 * other rooms that answered: 'trusted' (pinned for this address), 'changed' (another key is pinned for
 * this address), 'elsewhere' (this key is pinned for another address, or another answering room with
 * another name or address claims the same key: a copy or a fake), 'new'. `where` names the other place.
 */
export function roomTrust(
  room: { name: string; host: string; port: number; fingerprint: string },
  pins: Iterable<{ server: string; fingerprint: string }>,
  others: Iterable<{ name: string; host: string; port: number; fingerprint: string }> = [],
): { trust: 'trusted' | 'changed' | 'elsewhere' | 'new'; where?: string } {
  const here = `${room.host}:${room.port}`;
  let elsewhere: string | undefined;
  let pinnedHere: string | undefined;
  for (const p of pins) {
    if (p.server === here) pinnedHere = p.fingerprint;
    else if (p.fingerprint === room.fingerprint) elsewhere ??= p.server;
  }
  if (pinnedHere !== undefined && pinnedHere !== room.fingerprint) return { trust: 'changed' };
  for (const o of others) {
    const there = `${o.host}:${o.port}`;
    if (o.fingerprint === room.fingerprint && (there !== here || o.name !== room.name)) elsewhere ??= `"${o.name}" at ${there}`;
  }
  if (elsewhere !== undefined) return { trust: 'elsewhere', where: elsewhere };
  return pinnedHere !== undefined ? { trust: 'trusted' } : { trust: 'new' };
}
