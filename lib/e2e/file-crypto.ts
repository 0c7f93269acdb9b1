// Files end to end (issue 19): the signed offer that carries a fresh file key to one recipient (wrapped with
// RSA-OAEP-SHA256, committed to by a hash the sender signs with RSA-PSS), and the chunks, each AES-256-GCM
// under a key derived from the file key and the transfer id, with a random nonce and the transfer id, the
// chunk index and the chunk count in the associated data: a chunk cannot be replayed, moved or swapped
// between transfers. Layouts byte for byte: docs/PROTOCOL.md "## Files". Pure functions; the open* and
// parse* functions never throw on input from peers (they return undefined or a reason).
import {
  constants, createCipheriv, createDecipheriv, createHash, hkdfSync, privateDecrypt, publicEncrypt, randomBytes, sign, timingSafeEqual, verify,
} from 'node:crypto';
import type { ClientKeys, UserKeys } from './keys.ts';

const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;
/** First byte of a binary chunk message (JSON messages start with '{', room messages with 0x01). */
export const FILE_CHUNK_KIND = 0x02;
export const FILE_ID_BYTES = 16;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** kind | id | index u32 | nonce. */
export const CHUNK_HEADER_BYTES = 1 + FILE_ID_BYTES + 4 + NONCE_BYTES;
const OFFER_DOMAIN = 'obrolan file offer v1';
const COMMIT_DOMAIN = 'obrolan file key v1';
const CHUNK_KEY_INFO = 'obrolan file chunk key v1';
const CHUNK_AAD_DOMAIN = 'obrolan file chunk v1';
const MAX_NAME_CHARS = 255;
const MAX_FIELD_CHARS = 1024;

/** A file offer as it travels (every field but `wrap` and `sig` is signed). */
export interface FileOffer {
  v: 1;
  /** Transfer id: 16 random bytes, hex. */
  id: string;
  from: string;
  to: string;
  /** The room's identity: the server key fingerprint. */
  room: string;
  name: string;
  size: number;
  /** SHA-256 of the whole file, hex. */
  sha256: string;
  /** Plaintext bytes per chunk. */
  chunk: number;
  /** SHA-256(COMMIT_DOMAIN | id | file key), hex. */
  commit: string;
  /** The file key wrapped for `to` with RSA-OAEP-SHA256, base64. */
  wrap: string;
  /** RSA-PSS-SHA256 (salt 32) by `from` over offerSignedBytes, base64. */
  sig: string;
}

/** Number of chunks of a file of `size` bytes (an empty file has one empty chunk). */
export function chunkCount(size: number, chunk: number): number {
  return Math.max(1, Math.ceil(size / chunk));
}

function field(parts: Buffer[], s: string): void {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  parts.push(len, b);
}

/** What the sender signs: the domain, then each field as u32 length | UTF-8 (numbers in decimal). */
export function offerSignedBytes(o: Omit<FileOffer, 'wrap' | 'sig'>): Buffer {
  const parts: Buffer[] = [Buffer.from(OFFER_DOMAIN, 'utf8')];
  for (const s of [o.id, o.from, o.to, o.room, o.name, String(o.size), o.sha256, String(o.chunk), o.commit]) field(parts, s);
  return Buffer.concat(parts);
}

function commitment(id: string, key: Buffer): string {
  return createHash('sha256').update(COMMIT_DOMAIN).update(Buffer.from(id, 'hex')).update(key).digest('hex');
}

/** A new transfer's id and key and its signed offer for `to`. */
export function makeOffer(a: { from: string; to: string; room: string; name: string; size: number; sha256: string; chunk: number; sender: ClientKeys; recipient: UserKeys }): { offer: FileOffer; key: Buffer } {
  const id = randomBytes(FILE_ID_BYTES).toString('hex');
  const key = randomBytes(KEY_BYTES);
  const head = { v: 1 as const, id, from: a.from, to: a.to, room: a.room, name: a.name, size: a.size, sha256: a.sha256, chunk: a.chunk, commit: commitment(id, key) };
  const sig = sign('sha256', offerSignedBytes(head), { key: a.sender.sig.privateKey, ...PSS }).toString('base64');
  const wrap = publicEncrypt({ key: a.recipient.enc, ...OAEP }, key).toString('base64');
  return { offer: { ...head, wrap, sig }, key };
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** The offer's shape checked (types, lengths, hex), or undefined. */
export function parseOffer(x: unknown): FileOffer | undefined {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return undefined;
  const o = x as Record<string, unknown>;
  const s = (k: string, max: number): boolean => typeof o[k] === 'string' && (o[k] as string).length <= max;
  const n = (k: string): boolean => typeof o[k] === 'number' && Number.isSafeInteger(o[k]) && (o[k] as number) >= 0;
  if (o.v !== 1 || !s('id', 32) || !HEX32.test(o.id as string) || !s('from', 256) || !s('to', 256) || !s('room', 128)) return undefined;
  if (!s('name', MAX_NAME_CHARS) || !n('size') || !n('chunk') || (o.chunk as number) < 1 || !s('sha256', 64) || !HEX64.test(o.sha256 as string)) return undefined;
  if (!s('commit', 64) || !HEX64.test(o.commit as string) || !s('wrap', MAX_FIELD_CHARS) || !s('sig', MAX_FIELD_CHARS)) return undefined;
  const { v, id, from, to, room, name, size, sha256, chunk, commit, wrap, sig } = o as unknown as FileOffer;
  return { v, id, from, to, room, name, size, sha256, chunk, commit, wrap, sig };
}

export type OfferFailure = 'malformed' | 'wrong_context' | 'bad_signature' | 'bad_key';

/** Checks an offer for `me` in `room`: shape, addressee, the sender's signature, then the key against its commitment. */
export function openOffer(x: unknown, a: { me: string; room: string; mine: ClientKeys; senderKeys: UserKeys | undefined }): { ok: true; offer: FileOffer; key: Buffer } | { ok: false; reason: OfferFailure } {
  const offer = parseOffer(x);
  if (!offer) return { ok: false, reason: 'malformed' };
  if (offer.to !== a.me || offer.room !== a.room) return { ok: false, reason: 'wrong_context' };
  let good = false;
  try { good = !!a.senderKeys && verify('sha256', offerSignedBytes(offer), { key: a.senderKeys.sig, ...PSS }, Buffer.from(offer.sig, 'base64')); } catch { good = false; }
  if (!good) return { ok: false, reason: 'bad_signature' };
  let key: Buffer;
  try { key = privateDecrypt({ key: a.mine.enc.privateKey, ...OAEP }, Buffer.from(offer.wrap, 'base64')); } catch { return { ok: false, reason: 'bad_key' }; }
  if (key.length !== KEY_BYTES || !timingSafeEqual(Buffer.from(commitment(offer.id, key), 'hex'), Buffer.from(offer.commit, 'hex'))) return { ok: false, reason: 'bad_key' };
  return { ok: true, offer, key };
}

/** The AES-256-GCM key of a transfer's chunks: HKDF-SHA256(file key, salt = id, info = CHUNK_KEY_INFO). */
export function chunkKey(fileKey: Buffer, id: string): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, Buffer.from(id, 'hex'), CHUNK_KEY_INFO, KEY_BYTES));
}

function aad(id: Buffer, index: number, chunks: number): Buffer {
  const tail = Buffer.alloc(8);
  tail.writeUInt32BE(index, 0);
  tail.writeUInt32BE(chunks, 4);
  return Buffer.concat([Buffer.from(CHUNK_AAD_DOMAIN, 'utf8'), id, tail]);
}

/** The binary chunk message: kind | id | index u32 | nonce (12, random) | ciphertext | tag (16). */
export function sealChunk(key: Buffer, id: string, index: number, chunks: number, plain: Buffer): Buffer {
  const idBytes = Buffer.from(id, 'hex');
  const nonce = randomBytes(NONCE_BYTES);
  const head = Buffer.alloc(CHUNK_HEADER_BYTES);
  head[0] = FILE_CHUNK_KIND;
  idBytes.copy(head, 1);
  head.writeUInt32BE(index, 1 + FILE_ID_BYTES);
  nonce.copy(head, 1 + FILE_ID_BYTES + 4);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad(idBytes, index, chunks));
  return Buffer.concat([head, c.update(plain), c.final(), c.getAuthTag()]);
}

/** The transfer id (hex) and index of a chunk message, or undefined when too short to be one. */
export function chunkHead(buf: Buffer): { id: string; index: number } | undefined {
  if (buf.length < CHUNK_HEADER_BYTES + TAG_BYTES || buf[0] !== FILE_CHUNK_KIND) return undefined;
  return { id: buf.toString('hex', 1, 1 + FILE_ID_BYTES), index: buf.readUInt32BE(1 + FILE_ID_BYTES) };
}

/** The plaintext of chunk `index` of transfer `id` of `chunks`, or undefined (wrong transfer, index or key; altered). */
export function openChunk(key: Buffer, id: string, index: number, chunks: number, buf: Buffer): Buffer | undefined {
  const head = chunkHead(buf);
  if (!head || head.id !== id || head.index !== index) return undefined;
  try {
    const d = createDecipheriv('aes-256-gcm', key, buf.subarray(1 + FILE_ID_BYTES + 4, CHUNK_HEADER_BYTES));
    d.setAAD(aad(Buffer.from(id, 'hex'), index, chunks));
    d.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
    return Buffer.concat([d.update(buf.subarray(CHUNK_HEADER_BYTES, buf.length - TAG_BYTES)), d.final()]);
  } catch {
    return undefined;
  }
}

/** Largest chunk message for chunks of `chunk` plaintext bytes. */
export function maxChunkMessage(chunk: number): number { return CHUNK_HEADER_BYTES + chunk + TAG_BYTES; }
