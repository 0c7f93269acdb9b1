// "Send Encrypted": a fresh AES-256-GCM key per message, wrapped for each recipient with
// RSA-OAEP-SHA256, and the whole envelope signed by the sender with RSA-PSS. The server routes and
// stores envelopes but holds no key that opens them; recipients verify the signature before decrypting.
import {
  constants, createCipheriv, createDecipheriv, createHash, privateDecrypt, publicEncrypt, randomBytes, sign, verify,
  type KeyObject,
} from 'node:crypto';
import { MAX_TEXT_BYTES } from '../constants.ts';
import { ChatError } from '../errors.ts';
import {
  aadBytes, checkEnvelopeHead, E2E_KEY_BYTES, E2E_MAX_ENVELOPE_BYTES, E2E_NONCE_BYTES, E2E_TAG_BYTES, MAX_RECIPIENTS,
  parseEnvelope, signedBytes, type Envelope,
} from './envelope.ts';
import type { ClientKeys, UserKeys } from './keys.ts';

export { MAX_RECIPIENTS, parseEnvelope, type Envelope } from './envelope.ts';

/** Most (from, id) pairs a ReplayGuard remembers by default. */
export const REPLAY_GUARD_MAX = 100_000;
const PSS_SALT_BYTES = 32;
// Named once so that no call can fall back to Node's defaults (OAEP with SHA-1, PSS with a maximal salt).
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_BYTES } as const;

export type OpenFailure = 'malformed' | 'not_recipient' | 'bad_signature' | 'bad_key' | 'decrypt_failed' | 'replay';
export type OpenResult = { ok: true; text: string } | { ok: false; reason: OpenFailure };

const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

/** Remembers (from, id) pairs already opened, forgetting the oldest beyond `max` so memory stays bounded. */
export class ReplayGuard {
  private readonly keys = new Set<string>();
  constructor(readonly max = REPLAY_GUARD_MAX) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`ReplayGuard max must be a positive integer, got ${max}`);
  }
  /** True if (from, id) was seen before; otherwise records it and returns false. */
  seen(from: string, id: string): boolean {
    const key = `${from.length}:${from}${id}`; // length prefix: ("ab","c") and ("a","bc") differ
    if (this.keys.has(key)) return true;
    this.keys.add(key);
    // A Set iterates in insertion order, so the first key is the oldest.
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value!);
    return false;
  }
  /** Pairs remembered now. */
  get size(): number { return this.keys.size; }
}

/**
 * Encrypts `text` for every user in `recipients` (name → their keys) and signs it as `from` with `sender`.
 * Include the sender among the recipients to read one's own message back from history.
 * Throws ChatError('too_large') when the text exceeds MAX_TEXT_BYTES, there are more than MAX_RECIPIENTS
 * recipients or the envelope would not fit in a message; RangeError on no recipients or a bad id or name.
 */
export function sealEnvelope(a: { id: string; from: string; text: string; recipients: Map<string, UserKeys>; sender: ClientKeys }): Envelope {
  const plain = Buffer.from(a.text, 'utf8');
  if (plain.length > MAX_TEXT_BYTES) {
    throw new ChatError('too_large', `message is ${plain.length} bytes; the limit is ${MAX_TEXT_BYTES} — shorten it`);
  }
  if (a.recipients.size > MAX_RECIPIENTS) {
    throw new ChatError('too_large', `an encrypted message can go to at most ${MAX_RECIPIENTS} people, not ${a.recipients.size}`);
  }
  if (a.recipients.size === 0) throw new RangeError('an encrypted message needs at least one recipient');
  const to = [...a.recipients.keys()].sort();
  const head = { v: 1 as const, id: a.id, from: a.from, to };
  const aesKey = randomBytes(E2E_KEY_BYTES);
  const nonce = randomBytes(E2E_NONCE_BYTES);
  try {
    const cipher = createCipheriv('aes-256-gcm', aesKey, nonce, { authTagLength: E2E_TAG_BYTES });
    cipher.setAAD(aadBytes(checkHead(head)));
    const ct = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    const wrapped = to.map((name) => publicEncrypt({ key: a.recipients.get(name)!.enc, ...OAEP }, aesKey));
    // Object.fromEntries defines own properties, so even a user called "__proto__" gets an entry.
    const keys = Object.fromEntries(to.map((name, i) => [name, wrapped[i]!.toString('base64')]));
    const kd = Object.fromEntries(to.map((name, i) => [name, sha256(wrapped[i]!).toString('base64')]));
    const body = { ...head, nonce: nonce.toString('base64'), ct: ct.toString('base64'), kd };
    const sig = sign('sha256', signedBytes(body), { key: a.sender.sig.privateKey, ...PSS }).toString('base64');
    const env: Envelope = { v: 1, id: a.id, from: a.from, to, nonce: body.nonce, ct: body.ct, keys, kd, sig };
    checkSize(env);
    return env;
  } finally {
    aesKey.fill(0);
  }
}

function checkHead<T extends { id: string; from: string; to: string[] }>(h: T): T {
  try {
    checkEnvelopeHead(h);
  } catch (err) {
    throw new RangeError(`cannot seal: ${(err as Error).message}`);
  }
  return h;
}

function checkSize(env: Envelope): void {
  const bytes = Buffer.byteLength(JSON.stringify(env));
  if (bytes > E2E_MAX_ENVELOPE_BYTES) {
    throw new ChatError('too_large', `encrypted message for ${env.to.length} recipients would be ${bytes} bytes (limit ${E2E_MAX_ENVELOPE_BYTES}) — shorten it or send to fewer people`);
  }
}

/**
 * What the server forwards to `user`: the same envelope with `keys` reduced to that user's own entry (or
 * none). Never throws, even on an envelope that was not validated (the recipient's openEnvelope checks it).
 */
export function forRecipient(env: Envelope, user: string): Envelope {
  const keys: unknown = typeof env === 'object' && env !== null ? env.keys : undefined;
  const own = typeof keys === 'object' && keys !== null && Object.hasOwn(keys, user) ? [[user, (keys as Record<string, unknown>)[user]]] : [];
  return { ...env, keys: Object.fromEntries(own) };
}

function unwrapKey(wrapped: Buffer, mine: KeyObject): Buffer | undefined {
  try {
    const key = privateDecrypt({ key: mine, ...OAEP }, wrapped);
    return key.length === E2E_KEY_BYTES ? key : undefined;
  } catch {
    return undefined;
  }
}

function decrypt(env: Envelope, key: Buffer): string | undefined {
  const data = Buffer.from(env.ct, 'base64');
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(env.nonce, 'base64'), { authTagLength: E2E_TAG_BYTES });
    d.setAAD(aadBytes(env));
    d.setAuthTag(data.subarray(data.length - E2E_TAG_BYTES));
    const plain = Buffer.concat([d.update(data.subarray(0, data.length - E2E_TAG_BYTES)), d.final()]);
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return undefined;
  } finally {
    key.fill(0);
  }
}

function verifies(env: Envelope, senderKeys: UserKeys | undefined): boolean {
  if (!senderKeys) return false; // an unknown sender cannot be verified, so nothing is shown
  try {
    return verify('sha256', signedBytes(env), { key: senderKeys.sig, ...PSS }, Buffer.from(env.sig, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Opens an envelope addressed to `me`. In order: strict shape check; `me` among the recipients; the
 * sender's signature (with `senderKeys`, the keys of `from` as the caller knows them) BEFORE any
 * decryption; sha256(keys[me]) === kd[me]; (from, id) not seen before (recorded only once verified, so a
 * forgery cannot burn a real id); unwrap; AES-GCM with v, id, from, to as associated data. Never throws.
 */
export function openEnvelope(env: unknown, a: { me: string; mine: ClientKeys; senderKeys: UserKeys | undefined; seen: ReplayGuard }): OpenResult {
  let e: Envelope;
  try {
    e = parseEnvelope(env);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!e.to.includes(a.me)) return { ok: false, reason: 'not_recipient' };
  if (!verifies(e, a.senderKeys)) return { ok: false, reason: 'bad_signature' };
  if (!Object.hasOwn(e.keys, a.me)) return { ok: false, reason: 'bad_key' };
  const wrapped = Buffer.from(e.keys[a.me]!, 'base64');
  if (sha256(wrapped).toString('base64') !== e.kd[a.me]) return { ok: false, reason: 'bad_key' };
  if (a.seen.seen(e.from, e.id)) return { ok: false, reason: 'replay' };
  const key = unwrapKey(wrapped, a.mine.enc.privateKey);
  if (!key) return { ok: false, reason: 'bad_key' };
  const text = decrypt(e, key);
  return text === undefined ? { ok: false, reason: 'decrypt_failed' } : { ok: true, text };
}

const FAILURE_TEXT: Record<OpenFailure, (who: string) => string> = {
  malformed: (who) => `could not read an encrypted message from ${who} (malformed)`,
  not_recipient: (who) => `an encrypted message from ${who} was not addressed to you`,
  bad_signature: (who) => `could not verify a message from ${who} (bad signature)`,
  bad_key: (who) => `could not open a message from ${who} (its key for you does not match)`,
  decrypt_failed: (who) => `could not decrypt a message from ${who} (it was altered)`,
  replay: (who) => `ignored a repeated message from ${who} (replay)`,
};

/**
 * A warning line a person reads, e.g. "could not verify a message from budi (bad signature)". `from` comes
 * from the peer, so control characters are replaced and it is cut to 32 characters before it is shown.
 */
export function describeFailure(from: string, r: OpenResult & { ok: false }): string {
  const who = [...String(from).replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, '?')].slice(0, 32).join('') || '(unknown)';
  return FAILURE_TEXT[r.reason](who);
}
