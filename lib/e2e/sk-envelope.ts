// Send Encrypted with sender keys (docs/PROTOCOL.md, "Send Encrypted (sender keys)"): the shapes of the
// message envelope (v 2) and of the sender key message, their strict validation, and the canonical byte
// strings that the signatures, the AES-GCM associated data and the key derivation cover. No key material.
import { createHash } from 'node:crypto';
import { MAX_TEXT_BYTES, USERNAME_MAX_CHARS } from '../constants.ts';
import { ProtocolError } from '../errors.ts';
import { decodeBase64, E2E_MAX_RSA_BITS, E2E_MIN_RSA_BITS, MAX_SPKI_BYTES } from './keys.ts';

/** Sender key and per-message seed, in bytes. */
export const SK_KEY_BYTES = 32;
/** AES-GCM tag, in bytes. */
export const SK_TAG_BYTES = 16;
/** Longest message id, in characters. */
export const SK_MAX_ID_CHARS = 128;
/** Largest epoch or index: both are u32. */
export const SK_MAX_U32 = 0xffff_ffff;

export const LABEL_MESSAGE_SIG = 'obrolan e2e v2 message';
export const LABEL_AAD = 'obrolan e2e v2 aad';
export const LABEL_MESSAGE_KEY = 'obrolan e2e v2 message key';
export const LABEL_SENDER_KEY_SIG = 'obrolan e2e v2 sender key';
export const LABEL_COMMITMENT = 'obrolan e2e v2 commitment';

/** Where a message was sent: to the whole room, or directly to one user. */
export type Context = 'room' | 'dm';

/** An encrypted room or direct message as the server routes and stores it. Binary fields are base64. */
export interface MessageEnvelope {
  v: 2;
  /** Sender-chosen message id, unique per sender. */
  id: string;
  from: string;
  ctx: Context;
  /** The recipient of a direct message; '' in a room. */
  to: string;
  /** The room's identity: the server key fingerprint "SHA256:…". */
  room: string;
  /** The sender's clock when sealing, ms since the epoch. */
  ts: number;
  /** Room: the sender key's epoch; direct: 0. */
  epoch: number;
  /** Room: the message index within the epoch; direct: 0. */
  idx: number;
  /** Direct: the RSA-OAEP-SHA256 wrapped 32-byte seed; room: ''. */
  key: string;
  /** AES-256-GCM ciphertext || 16-byte tag. */
  ct: string;
  /** RSA-PSS (SHA-256, salt 32) over messageSignedBytes(): room, by the epoch's signing key; direct, by the sender's own. */
  sig: string;
}

/** One sender key, wrapped for one member and signed once per epoch by its owner. */
export interface KeyEnvelope {
  v: 2;
  from: string;
  to: string;
  room: string;
  epoch: number;
  /** RSA-OAEP-SHA256 of the 32-byte sender key, for `to`'s encryption key. */
  wrap: string;
  /** The epoch's signing key: SPKI DER of the RSA public key that signs this epoch's room messages. */
  spk: string;
  /** RSA-PSS (SHA-256, salt 32) by `from`'s long-term signing key over senderKeySignedBytes(). */
  sig: string;
}

const MESSAGE_FIELDS = ['v', 'id', 'from', 'ctx', 'to', 'room', 'ts', 'epoch', 'idx', 'key', 'ct', 'sig'];
const KEY_FIELDS = ['v', 'from', 'to', 'room', 'epoch', 'wrap', 'spk', 'sig'];
const RSA_MIN_BYTES = E2E_MIN_RSA_BITS / 8;
const RSA_MAX_BYTES = E2E_MAX_RSA_BITS / 8;
const ROOM_ID = /^SHA256:[A-Za-z0-9+/]{43}$/;

function bad(message: string): never {
  throw new ProtocolError('bad_field', message);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** 1..max code points, no control characters or lone surrogates (they would encode alike in UTF-8). */
function checkText(s: unknown, what: string, max: number): string {
  if (typeof s !== 'string' || s.length === 0 || s.length > 2 * max) bad(`${what} must be a non-empty string`);
  if (/[\p{Cc}\p{Cs}]/u.test(s)) bad(`${what} contains control characters or lone surrogates`);
  if ([...s].length > max) bad(`${what} is longer than ${max} characters`);
  return s;
}

function checkU32(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > SK_MAX_U32) bad(`${what} must be an integer 0..2^32-1`);
  return n;
}

function checkFields(x: unknown, fields: string[], what: string): Record<string, unknown> {
  if (!isRecord(x)) bad(`${what} must be an object`);
  const keys = Object.keys(x);
  if (keys.length !== fields.length || !fields.every((f) => Object.hasOwn(x, f))) bad(`${what} must have exactly the fields ${fields.join(', ')}`);
  if (x.v !== 2) bad(`unsupported ${what} version`);
  if (typeof x.room !== 'string' || !ROOM_ID.test(x.room)) bad('room must be a server fingerprint "SHA256:…"');
  return x;
}

/**
 * Checks that `x` is exactly a MessageEnvelope: no missing or extra fields, bounded strings, canonical
 * base64 of the right lengths, room: to '' and key ''; dm: a recipient and a wrapped seed, epoch and idx 0.
 * Returns a fresh copy. Throws ProtocolError('bad_field', …). Checks no cryptography.
 */
export function parseMessageEnvelope(x: unknown): MessageEnvelope {
  const o = checkFields(x, MESSAGE_FIELDS, 'envelope');
  const ctx = o.ctx;
  if (ctx !== 'room' && ctx !== 'dm') bad('ctx must be "room" or "dm"');
  const e: MessageEnvelope = {
    v: 2, id: checkText(o.id, 'id', SK_MAX_ID_CHARS), from: checkText(o.from, 'from', USERNAME_MAX_CHARS), ctx,
    to: ctx === 'dm' ? checkText(o.to, 'to', USERNAME_MAX_CHARS) : (o.to === '' ? '' : bad('a room message has to ""')),
    room: o.room as string, ts: typeof o.ts === 'number' && Number.isSafeInteger(o.ts) && o.ts >= 0 ? o.ts : bad('ts must be a time in ms'),
    epoch: checkU32(o.epoch, 'epoch'), idx: checkU32(o.idx, 'idx'), key: o.key as string, ct: o.ct as string, sig: o.sig as string,
  };
  if (ctx === 'room' && e.key !== '') bad('a room message has key ""');
  if (ctx === 'dm') {
    if (e.epoch !== 0 || e.idx !== 0) bad('a direct message has epoch 0 and idx 0');
    decodeBase64(e.key, 'key', RSA_MIN_BYTES, RSA_MAX_BYTES);
  }
  decodeBase64(e.ct, 'ct', SK_TAG_BYTES, MAX_TEXT_BYTES + SK_TAG_BYTES);
  decodeBase64(e.sig, 'sig', RSA_MIN_BYTES, RSA_MAX_BYTES);
  return e;
}

/** Checks that `x` is exactly a KeyEnvelope; returns a fresh copy. Throws ProtocolError('bad_field', …). */
export function parseKeyEnvelope(x: unknown): KeyEnvelope {
  const o = checkFields(x, KEY_FIELDS, 'sender key');
  const k: KeyEnvelope = {
    v: 2, from: checkText(o.from, 'from', USERNAME_MAX_CHARS), to: checkText(o.to, 'to', USERNAME_MAX_CHARS),
    room: o.room as string, epoch: checkU32(o.epoch, 'epoch'), wrap: o.wrap as string, spk: o.spk as string, sig: o.sig as string,
  };
  decodeBase64(k.wrap, 'wrap', RSA_MIN_BYTES, RSA_MAX_BYTES);
  decodeBase64(k.spk, 'spk', 1, MAX_SPKI_BYTES);
  decodeBase64(k.sig, 'sig', RSA_MIN_BYTES, RSA_MAX_BYTES);
  return k;
}

/** Each item as a u32 big-endian length then its bytes (strings as UTF-8), the label first. */
export function encodeParts(label: string, parts: Array<string | Buffer>): Buffer {
  const out: Buffer[] = [];
  for (const p of [label, ...parts]) {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    out.push(len, b);
  }
  return Buffer.concat(out);
}

type Head = Omit<MessageEnvelope, 'ct' | 'sig'>;

function headParts(e: Head): Array<string | Buffer> {
  return ['2', e.id, e.from, e.ctx, e.to, e.room, String(e.ts), String(e.epoch), String(e.idx), Buffer.from(e.key, 'base64')];
}

/** The AES-GCM associated data: every field but ct and sig. */
export function messageAad(e: Head): Buffer {
  return encodeParts(LABEL_AAD, headParts(e));
}

/** What the sender signs: every field but sig, ct decoded last. */
export function messageSignedBytes(e: Omit<MessageEnvelope, 'sig'>): Buffer {
  return encodeParts(LABEL_MESSAGE_SIG, [...headParts(e), Buffer.from(e.ct, 'base64')]);
}

/** The HKDF info for message `idx` of `epoch`. */
export function messageKeyInfo(epoch: number, idx: number): Buffer {
  return encodeParts(LABEL_MESSAGE_KEY, [String(epoch), String(idx)]);
}

/** SHA-256 commitment to a sender key: what the epoch signature covers instead of the secret. */
export function keyCommitment(key: Buffer): Buffer {
  return createHash('sha256').update(encodeParts(LABEL_COMMITMENT, [key])).digest();
}

/**
 * What a sender signs once per epoch with its long-term key: sender, room, epoch, the commitment to its
 * key and the epoch's signing key (SPKI DER), so only that sender can name who signs its messages.
 */
export function senderKeySignedBytes(a: { from: string; room: string; epoch: number; key: Buffer; spk: Buffer }): Buffer {
  return encodeParts(LABEL_SENDER_KEY_SIG, ['2', a.from, a.room, String(a.epoch), keyCommitment(a.key), a.spk]);
}
