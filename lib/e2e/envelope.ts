// The end-to-end envelope: its shape, strict validation, and the canonical byte strings that the
// GCM associated data and the signature cover. No key material here (see e2e.ts).
import { MAX_MESSAGE_BYTES, MAX_TEXT_BYTES, USERNAME_MAX_CHARS } from '../constants.ts';
import { ProtocolError } from '../errors.ts';
import { decodeBase64, E2E_MAX_RSA_BITS, E2E_MIN_RSA_BITS } from './keys.ts';

/** AES-256-GCM key, in bytes. */
export const E2E_KEY_BYTES = 32;
/** AES-GCM nonce, in bytes (96 bits). */
export const E2E_NONCE_BYTES = 12;
/** AES-GCM tag, in bytes. */
export const E2E_TAG_BYTES = 16;
/** SHA-256 digest of a wrapped key, in bytes. */
export const E2E_DIGEST_BYTES = 32;
/** Longest message id, in UTF-16 code units. */
export const E2E_MAX_ID_CHARS = 128;
/** Room left in a 64 KiB channel message for whatever wraps the envelope (type, room, seq…), in bytes. */
export const E2E_WRAPPER_RESERVE_BYTES = 1024;
/** Largest JSON.stringify(envelope), in bytes of UTF-8; sealEnvelope refuses to build a larger one. */
export const E2E_MAX_ENVELOPE_BYTES = MAX_MESSAGE_BYTES - E2E_WRAPPER_RESERVE_BYTES;
/**
 * Most recipients of one envelope. Worst case measured by test/e2e-envelope.test.ts: RSA-3072 keys
 * (512 base64 chars per wrapped key and for the signature), 32-character ASCII names, a 128-character id
 * and a 16 KiB text (21,868 base64 chars of ciphertext). Fixed part 22,632 bytes, each recipient
 * 667 bytes (name ×3, wrapped key, digest, JSON punctuation): 50 recipients make 55,982 bytes,
 * 62 make 63,986, 63 would make 64,653 > E2E_MAX_ENVELOPE_BYTES (64,512). Longer UTF-8 names or
 * 4096-bit keys take more room, so sealEnvelope checks the real size too.
 */
export const MAX_RECIPIENTS = 62;

const WRAPPED_MIN_BYTES = E2E_MIN_RSA_BITS / 8;
const WRAPPED_MAX_BYTES = E2E_MAX_RSA_BITS / 8;
const ENVELOPE_FIELDS = ['v', 'id', 'from', 'to', 'nonce', 'ct', 'keys', 'kd', 'sig'] as const;
// Domain tags keep the AAD and the signed bytes from ever being mistaken for each other or for other protocols.
const AAD_DOMAIN = 'obrolan e2e v1 aad';
const SIGNED_DOMAIN = 'obrolan e2e v1 signature';

/** An end-to-end encrypted message as the server routes and stores it. All binary fields are base64. */
export interface Envelope {
  v: 1;
  /** Sender-chosen message id, unique per sender. */
  id: string;
  from: string;
  /** Recipients (user names), sorted by UTF-16 code units, no duplicates. */
  to: string[];
  /** 96-bit AES-GCM nonce. */
  nonce: string;
  /** AES-256-GCM ciphertext || 16-byte tag. */
  ct: string;
  /** Recipient → RSA-OAEP-SHA256 wrapped AES key; the server may strip all but the recipient's own. */
  keys: Record<string, string>;
  /** Recipient → SHA-256 of that wrapped key, kept for everyone so the signature survives stripping. */
  kd: Record<string, string>;
  /** RSA-PSS (SHA-256, salt 32) by the sender over signedBytes(). */
  sig: string;
}

function bad(message: string): never {
  throw new ProtocolError('bad_field', message);
}

/**
 * Throws unless `s` is a well-formed string of 1..max code points without control characters.
 * Lone surrogates are refused: they encode to U+FFFD in UTF-8, so two names could sign alike.
 */
function checkText(s: unknown, what: string, max: number): asserts s is string {
  if (typeof s !== 'string' || s.length === 0 || s.length > 2 * max) bad(`${what} must be a non-empty string`);
  if (/[\p{Cc}\p{Cs}]/u.test(s)) bad(`${what} contains control characters or lone surrogates`);
  if ([...s].length > max) bad(`${what} is longer than ${max} characters`);
}

function checkUserName(s: unknown, what: string): asserts s is string {
  checkText(s, what, USERNAME_MAX_CHARS);
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkRecipients(to: unknown): asserts to is string[] {
  if (!Array.isArray(to)) bad('to must be an array');
  // Length first: a huge array is refused before anything walks it.
  if (to.length === 0 || to.length > MAX_RECIPIENTS) bad(`to must list 1..${MAX_RECIPIENTS} recipients, got ${to.length}`);
  for (let i = 0; i < to.length; i++) {
    checkUserName(to[i], `to[${i}]`);
    if (i > 0 && !(to[i - 1] < to[i])) bad('to must be sorted and without duplicates');
  }
}

/**
 * Checks id (1..128 printable characters), from (a user name) and to (1..MAX_RECIPIENTS user names,
 * sorted, no duplicates). Throws ProtocolError('bad_field', …). The sender runs it too, so that it never
 * seals what recipients would refuse.
 */
export function checkEnvelopeHead(h: { id?: unknown; from?: unknown; to?: unknown }): void {
  checkText(h.id, 'id', E2E_MAX_ID_CHARS);
  checkUserName(h.from, 'from');
  checkRecipients(h.to);
}

/** Validates a recipient → base64 map and returns a copy holding only what was checked. */
function perRecipient(m: unknown, what: string, to: string[], all: boolean, min: number, max: number): Record<string, string> {
  if (!isRecord(m)) bad(`${what} must be an object`);
  const names = Object.keys(m);
  if (names.length > to.length) bad(`${what} has more entries than recipients`);
  if (all && names.length !== to.length) bad(`${what} must have an entry for every recipient`);
  const listed = new Set(to);
  const out: Array<[string, string]> = [];
  for (const name of names) {
    if (!listed.has(name)) bad(`${what} has an entry for ${JSON.stringify(name.slice(0, 40))}, who is not a recipient`);
    const value = m[name];
    decodeBase64(value, `${what}[${name}]`, min, max);
    out.push([name, value as string]);
  }
  // Object.fromEntries defines own properties, so even a user called "__proto__" keeps an entry.
  return Object.fromEntries(out);
}

/**
 * Checks that `x` is exactly an Envelope: no missing or extra fields, strings and arrays of bounded size,
 * canonical base64 of the right lengths, `to` sorted, `kd` for every recipient, `keys` only for recipients.
 * Checks no cryptography. Returns a fresh copy (each field read once, so a getter cannot change what was
 * checked). Throws ProtocolError('bad_field', …). The server runs this on every envelope it accepts.
 */
export function parseEnvelope(x: unknown): Envelope {
  if (!isRecord(x)) bad('envelope must be an object');
  const fields = Object.keys(x);
  if (fields.length !== ENVELOPE_FIELDS.length || !ENVELOPE_FIELDS.every((f) => Object.hasOwn(x, f))) {
    bad(`envelope must have exactly the fields ${ENVELOPE_FIELDS.join(', ')}`);
  }
  const { v, id, from, to: rawTo, nonce, ct, keys, kd, sig } = x;
  if (v !== 1) bad('unsupported envelope version');
  // Copied only when small: a sparse array may claim a length of 2^32 − 1.
  const to = Array.isArray(rawTo) && rawTo.length <= MAX_RECIPIENTS ? Array.from(rawTo) : rawTo;
  checkEnvelopeHead({ id, from, to });
  const names = to as string[];
  decodeBase64(nonce, 'nonce', E2E_NONCE_BYTES, E2E_NONCE_BYTES);
  decodeBase64(ct, 'ct', E2E_TAG_BYTES, MAX_TEXT_BYTES + E2E_TAG_BYTES);
  const keysCopy = perRecipient(keys, 'keys', names, false, WRAPPED_MIN_BYTES, WRAPPED_MAX_BYTES);
  const kdCopy = perRecipient(kd, 'kd', names, true, E2E_DIGEST_BYTES, E2E_DIGEST_BYTES);
  decodeBase64(sig, 'sig', WRAPPED_MIN_BYTES, WRAPPED_MAX_BYTES);
  return {
    v: 1, id: id as string, from: from as string, to: names, nonce: nonce as string, ct: ct as string,
    keys: keysCopy, kd: kdCopy, sig: sig as string,
  };
}

/** Length-prefixed concatenation: a u32 length before every item, a u32 count before every list. */
function encodeParts(domain: string, parts: Array<string | Buffer | Array<string | Buffer>>): Buffer {
  const out: Buffer[] = [];
  const item = (p: string | Buffer): void => {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    out.push(len, b);
  };
  item(domain);
  for (const p of parts) {
    if (Array.isArray(p)) {
      const count = Buffer.alloc(4);
      count.writeUInt32BE(p.length);
      out.push(count);
      p.forEach(item);
    } else item(p);
  }
  return Buffer.concat(out);
}

/** The AES-GCM associated data: binds v, id, from and to to the ciphertext. */
export function aadBytes(e: Pick<Envelope, 'v' | 'id' | 'from' | 'to'>): Buffer {
  return encodeParts(AAD_DOMAIN, [String(e.v), e.id, e.from, e.to]);
}

/** What the sender signs: v, id, from, to, nonce, ct and kd (in `to` order), decoded, length-prefixed. */
export function signedBytes(e: Omit<Envelope, 'keys' | 'sig'>): Buffer {
  const kd = e.to.map((name) => Buffer.from(e.kd[name]!, 'base64'));
  return encodeParts(SIGNED_DOMAIN, [
    String(e.v), e.id, e.from, e.to, Buffer.from(e.nonce, 'base64'), Buffer.from(e.ct, 'base64'), kd,
  ]);
}
