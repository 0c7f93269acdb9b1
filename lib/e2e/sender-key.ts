// Send Encrypted with sender keys: each member's symmetric key for the room (one per epoch), given to every
// other member once (RSA-OAEP-SHA256, signed once per epoch with RSA-PSS by the long-term key, together with
// the epoch's own RSA-2048 signing key); a room message is then encrypted once (AES-256-GCM under a key
// derived per index, so no key/nonce pair repeats) and signed once with the epoch's key, whatever the room size. A direct message wraps a fresh seed for its one recipient. Pure functions; never throws
// on input from peers (open* return a reason).
import {
  constants, createCipheriv, createDecipheriv, hkdfSync, privateDecrypt, publicEncrypt, randomBytes, randomInt, sign, verify,
  type KeyObject,
} from 'node:crypto';
import { E2E_MAX_CLOCK_SKEW_MS, EPOCH_SIGNING_RSA_BITS, MAX_TEXT_BYTES } from '../constants.ts';
import { ChatError } from '../errors.ts';
import { generateRsaKeyPair, type RsaKeyPair } from '../keyfile.ts';
import { parseRsaPublicKey, type ClientKeys, type UserKeys } from './keys.ts';
import {
  messageAad, messageKeyInfo, messageSignedBytes, parseKeyEnvelope, parseMessageEnvelope, senderKeySignedBytes, SK_KEY_BYTES, SK_MAX_U32,
  SK_TAG_BYTES, type Context, type KeyEnvelope, type MessageEnvelope,
} from './sk-envelope.ts';

export type { Context, KeyEnvelope, MessageEnvelope } from './sk-envelope.ts';

const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;
const NONCE_BYTES = 12;

/**
 * This client's sending key for the room in one epoch. `next` is the index of the next message; `signer`
 * signs the epoch's room messages, `spk` is its public half as it travels (base64 SPKI DER), `sig` the
 * long-term signature over both.
 */
export interface SenderKey { epoch: number; key: Buffer; next: number; signer: RsaKeyPair; spk: string; sig: string }

/** A sender key someone gave us: the key and the public key its room messages are verified with. */
export interface HeldKey { key: Buffer; spk: KeyObject }

export type OpenFailure = 'malformed' | 'wrong_context' | 'clock' | 'bad_signature' | 'no_key' | 'bad_key' | 'decrypt_failed';
export type Opened<T> = ({ ok: true } & T) | { ok: false; reason: OpenFailure };

/** A first epoch: random, so a sender that restarts does not reuse an epoch number others still hold. */
export function firstEpoch(): number { return randomInt(0, 2 ** 31); }

/** A new epoch signing key pair (EPOCH_SIGNING_RSA_BITS), made off the event loop: make it before it is needed. */
export function newEpochSigner(): Promise<RsaKeyPair> { return generateRsaKeyPair(EPOCH_SIGNING_RSA_BITS); }

/**
 * A fresh sender key for `epoch` signed by `signer` (from newEpochSigner(), used for this epoch only), with
 * the long-term signature over the key's commitment and the signer's public key (what every key message carries).
 */
export function newSenderKey(a: { from: string; room: string; epoch: number; sender: ClientKeys; signer: RsaKeyPair }): SenderKey {
  if (!Number.isInteger(a.epoch) || a.epoch < 0 || a.epoch > SK_MAX_U32) throw new RangeError(`epoch must be a u32, got ${a.epoch}`);
  const key = randomBytes(SK_KEY_BYTES);
  const sig = sign('sha256', senderKeySignedBytes({ ...a, key, spk: a.signer.spki }), { key: a.sender.sig.privateKey, ...PSS }).toString('base64');
  return { epoch: a.epoch, key, next: 0, signer: a.signer, spk: a.signer.spki.toString('base64'), sig };
}

/** The key message that gives `sk` to `to` (their encryption key wraps it). */
export function wrapSenderKey(sk: SenderKey, a: { from: string; to: string; room: string; recipient: UserKeys }): KeyEnvelope {
  const wrap = publicEncrypt({ key: a.recipient.enc, ...OAEP }, sk.key).toString('base64');
  return { v: 2, from: a.from, to: a.to, room: a.room, epoch: sk.epoch, wrap, spk: sk.spk, sig: sk.sig };
}

function verifies(data: Buffer, sig: string, key: KeyObject | undefined): boolean {
  if (!key) return false;
  try {
    return verify('sha256', data, { key, ...PSS }, Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}

function unwrap(wrapped: string, mine: KeyObject): Buffer | undefined {
  try {
    const k = privateDecrypt({ key: mine, ...OAEP }, Buffer.from(wrapped, 'base64'));
    return k.length === SK_KEY_BYTES ? k : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens a key message addressed to `me` for room `room`: shape (the epoch signing key an RSA key of 2048..4096
 * bits), addressee and room, then unwrap, then the sender's long-term signature over the commitment to the
 * unwrapped key and the epoch signing key (so a key the server made, or a swapped signing key, is refused).
 */
export function openSenderKey(x: unknown, a: { me: string; room: string; mine: ClientKeys; senderKeys: UserKeys | undefined }): Opened<{ from: string; epoch: number } & HeldKey> {
  let k: KeyEnvelope;
  let spk: { key: KeyObject; der: Buffer };
  try { k = parseKeyEnvelope(x); spk = parseRsaPublicKey(k.spk, 'spk'); } catch { return { ok: false, reason: 'malformed' }; }
  if (k.to !== a.me || k.room !== a.room) return { ok: false, reason: 'wrong_context' };
  const key = unwrap(k.wrap, a.mine.enc.privateKey);
  if (!key) return { ok: false, reason: 'bad_key' };
  if (!verifies(senderKeySignedBytes({ from: k.from, room: k.room, epoch: k.epoch, key, spk: spk.der }), k.sig, a.senderKeys?.sig)) {
    key.fill(0);
    return { ok: false, reason: 'bad_signature' };
  }
  return { ok: true, from: k.from, epoch: k.epoch, key, spk: spk.key };
}

/** AES key and nonce for one message: HKDF-SHA256(seed, salt empty, info = messageKeyInfo(epoch, idx)), 44 bytes. */
function messageKey(seed: Buffer, epoch: number, idx: number): { key: Buffer; nonce: Buffer } {
  const okm = Buffer.from(hkdfSync('sha256', seed, Buffer.alloc(0), messageKeyInfo(epoch, idx), SK_KEY_BYTES + NONCE_BYTES));
  return { key: okm.subarray(0, SK_KEY_BYTES), nonce: okm.subarray(SK_KEY_BYTES) };
}

function checkText(text: string): Buffer {
  const plain = Buffer.from(text, 'utf8');
  if (plain.length > MAX_TEXT_BYTES) throw new ChatError('too_large', `message is ${plain.length} bytes; the limit is ${MAX_TEXT_BYTES} — shorten it`);
  return plain;
}

function finish(head: Omit<MessageEnvelope, 'ct' | 'sig'>, seed: Buffer, plain: Buffer, signer: KeyObject): MessageEnvelope {
  try { parseMessageEnvelope({ ...head, ct: 'AAAAAAAAAAAAAAAAAAAAAA==', sig: 'A'.repeat(344) }); } catch (err) {
    throw new RangeError(`cannot seal: ${(err as Error).message}`);
  }
  const { key, nonce } = messageKey(seed, head.epoch, head.idx);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: SK_TAG_BYTES });
  cipher.setAAD(messageAad(head));
  const ct = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString('base64');
  key.fill(0);
  const sig = sign('sha256', messageSignedBytes({ ...head, ct }), { key: signer, ...PSS }).toString('base64');
  return { ...head, ct, sig };
}

/**
 * Encrypts a room message with the next index of `sk` and signs it with the epoch's signing key (the
 * long-term key signed that one into the key messages). Throws ChatError('too_large'), RangeError on a bad id or name.
 */
export function sealRoom(sk: SenderKey, a: { id: string; from: string; room: string; text: string; now?: number }): MessageEnvelope {
  const plain = checkText(a.text);
  if (sk.next > SK_MAX_U32) throw new RangeError('sender key used up: start a new epoch');
  const head = { v: 2 as const, id: a.id, from: a.from, ctx: 'room' as const, to: '', room: a.room, ts: a.now ?? Date.now(), epoch: sk.epoch, idx: sk.next, key: '' };
  const env = finish(head, sk.key, plain, sk.signer.privateKey);
  sk.next++;
  return env;
}

/** Encrypts a direct message for `recipient` under a fresh seed wrapped for them, and signs it with the sender's long-term key. */
export function sealDirect(a: { id: string; from: string; to: string; room: string; text: string; sender: ClientKeys; recipient: UserKeys; now?: number }): MessageEnvelope {
  const plain = checkText(a.text);
  const seed = randomBytes(SK_KEY_BYTES);
  const key = publicEncrypt({ key: a.recipient.enc, ...OAEP }, seed).toString('base64');
  const head = { v: 2 as const, id: a.id, from: a.from, ctx: 'dm' as const, to: a.to, room: a.room, ts: a.now ?? Date.now(), epoch: 0, idx: 0, key };
  try { return finish(head, seed, plain, a.sender.sig.privateKey); } finally { seed.fill(0); }
}

/** Where and when the envelope was delivered, as the receiver sees it. */
export interface Delivery {
  me: string;
  /** The room's identity this client is connected to (server key fingerprint). */
  room: string;
  /** 'dm' when the server delivered it as a direct message to `me`, else 'room'. */
  ctx: Context;
  /** The name the server says sent it. */
  from: string;
  /** The server's stamp, ms since the epoch. */
  stamp: number;
}

function contextOk(e: MessageEnvelope, d: Delivery): boolean {
  if (e.from !== d.from || e.room !== d.room || e.ctx !== d.ctx) return false;
  return e.ctx === 'room' || e.to === d.me;
}

/**
 * Opens a room or direct message. In order: shape; context (sender, room identity, room or direct, the
 * addressee) as delivered; the sender's time within E2E_MAX_CLOCK_SKEW_MS of the server's stamp; for a room,
 * the sender's key of that epoch (`roomKey(epoch)`: held key and epoch signing key, else no_key); the
 * signature BEFORE any decryption (room: by that epoch's signing key; direct: by the sender's long-term
 * key); then the seed (room: the held key; direct: unwrapping it) and AES-GCM. Replays ((from, id) already
 * held) are the caller's check. Never throws.
 */
export function openMessage(x: unknown, d: Delivery, a: { mine: ClientKeys; senderKeys: UserKeys | undefined; roomKey: (epoch: number) => HeldKey | undefined }): Opened<{ text: string; env: MessageEnvelope }> {
  let e: MessageEnvelope;
  try { e = parseMessageEnvelope(x); } catch { return { ok: false, reason: 'malformed' }; }
  if (!contextOk(e, d)) return { ok: false, reason: 'wrong_context' };
  if (Math.abs(e.ts - d.stamp) > E2E_MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'clock' };
  const held = e.ctx === 'room' ? a.roomKey(e.epoch) : undefined;
  if (e.ctx === 'room' && !held) return { ok: false, reason: 'no_key' };
  if (!verifies(messageSignedBytes(e), e.sig, held ? held.spk : a.senderKeys?.sig)) return { ok: false, reason: 'bad_signature' };
  const seed = held ? held.key : unwrap(e.key, a.mine.enc.privateKey);
  if (!seed) return { ok: false, reason: 'bad_key' };
  const { key, nonce } = messageKey(seed, e.epoch, e.idx);
  if (e.ctx === 'dm') seed.fill(0);
  const data = Buffer.from(e.ct, 'base64');
  try {
    const dec = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: SK_TAG_BYTES });
    dec.setAAD(messageAad(e));
    dec.setAuthTag(data.subarray(data.length - SK_TAG_BYTES));
    const plain = Buffer.concat([dec.update(data.subarray(0, data.length - SK_TAG_BYTES)), dec.final()]);
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(plain), env: e };
  } catch {
    return { ok: false, reason: 'decrypt_failed' };
  } finally {
    key.fill(0);
  }
}

const FAILURE_TEXT: Record<OpenFailure, string> = {
  malformed: 'malformed',
  wrong_context: 'delivered in another context than it was sent: another room, or a direct message shown as a room message',
  clock: 'its time is more than 10 minutes from the server\'s',
  bad_signature: 'bad signature',
  no_key: 'its sender key never reached you',
  bad_key: 'its key for you does not open',
  decrypt_failed: 'it was altered',
};

/** A warning line a person reads; `from` is cleaned of control characters and cut to 32 characters. */
export function describeOpenFailure(from: string, reason: OpenFailure): string {
  const who = [...String(from).replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, '?')].slice(0, 32).join('') || '(unknown)';
  return `refused an encrypted message from ${who} (${FAILURE_TEXT[reason]})`;
}
