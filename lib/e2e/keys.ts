// End-to-end keys: each client's own RSA key pairs (one for OAEP, one for PSS), the public
// bundle that travels at login, and strict parsing of other users' bundles.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { access, chmod, mkdir, rename, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CLIENT_RSA_BITS } from '../constants.ts';
import { ProtocolError } from '../errors.ts';
import { loadOrCreateKeyPair, type RsaKeyPair } from '../keyfile.ts';
import { foldName } from '../names.ts';
import type { KeysAhead } from './keys-ahead.ts';

/** Smallest RSA modulus accepted from anyone, in bits. */
export const E2E_MIN_RSA_BITS = 2048;
/** Largest RSA modulus accepted from anyone, in bits (bounds the cost of a verify and the size of an envelope). */
export const E2E_MAX_RSA_BITS = 4096;
/** Longest SPKI DER accepted in a bundle, in bytes (a 4096-bit RSA SPKI is 550 bytes). */
export const MAX_SPKI_BYTES = 768;
/** Smallest public exponent accepted (e = 65537 is what everyone uses; tiny exponents are a known hazard). */
const MIN_PUBLIC_EXPONENT = 65537n;
// Domain separation: a bundle fingerprint can never equal the fingerprint of a single key or of anything else.
const FINGERPRINT_DOMAIN = 'obrolan e2e bundle v1';

/** A client's own end-to-end keys. */
export interface ClientKeys {
  /** RSA-OAEP key pair: others wrap message keys to its public half. */
  enc: RsaKeyPair;
  /** RSA-PSS key pair: signs every envelope this client sends. */
  sig: RsaKeyPair;
  /** The public halves, as sent at login. */
  bundle: PublicBundle;
  /** bundleFingerprint(bundle): what a person compares out of band. */
  fingerprint: string;
}

/** Public keys as they travel at login: base64 SPKI DER of the OAEP key and of the PSS key. */
export interface PublicBundle { enc: string; sig: string }

/** Another user's public keys, parsed and checked. */
export interface UserKeys { enc: KeyObject; sig: KeyObject; fingerprint: string }

/**
 * Decodes canonical base64 (padding required, no whitespace, zero padding bits) of `minBytes`..`maxBytes`
 * bytes. Throws ProtocolError('bad_field') naming `what` on anything else, so one value has one encoding.
 */
export function decodeBase64(s: unknown, what: string, minBytes: number, maxBytes: number): Buffer {
  if (typeof s !== 'string') throw new ProtocolError('bad_field', `${what} must be a base64 string`);
  // Checked before decoding so a huge string costs nothing.
  if (s.length > 4 * Math.ceil(maxBytes / 3) || s.length % 4 !== 0) {
    throw new ProtocolError('bad_field', `${what} has a bad base64 length (${s.length} characters)`);
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new ProtocolError('bad_field', `${what} is not base64`);
  const bytes = Buffer.from(s, 'base64');
  if (bytes.toString('base64') !== s) throw new ProtocolError('bad_field', `${what} is not canonical base64`);
  if (bytes.length < minBytes || bytes.length > maxBytes) {
    throw new ProtocolError('bad_field', `${what} is ${bytes.length} bytes, expected ${minBytes}..${maxBytes}`);
  }
  return bytes;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** SHA-256 over the domain tag and both length-prefixed SPKI DER keys, as "SHA256:<base64>". */
function fingerprintOfKeys(encSpki: Buffer, sigSpki: Buffer): string {
  const h = createHash('sha256').update(FINGERPRINT_DOMAIN);
  for (const k of [encSpki, sigSpki]) h.update(u32(k.length)).update(k);
  return 'SHA256:' + h.digest('base64').replace(/=+$/, '');
}

/**
 * "SHA256:…" over both keys of a bundle (domain-separated, length-prefixed DER): equal bundles give equal
 * fingerprints, and swapping the two keys changes it. Throws ProtocolError('bad_field') on bad base64.
 */
export function bundleFingerprint(b: PublicBundle): string {
  return fingerprintOfKeys(
    decodeBase64(b.enc, 'bundle.enc', 1, MAX_SPKI_BYTES),
    decodeBase64(b.sig, 'bundle.sig', 1, MAX_SPKI_BYTES),
  );
}

/**
 * Parses canonical base64 of an RSA SPKI public key of E2E_MIN_RSA_BITS..E2E_MAX_RSA_BITS bits with a safe
 * public exponent. Throws ProtocolError('bad_field', …) naming `what`.
 */
export function parseRsaPublicKey(s: unknown, what: string): { key: KeyObject; der: Buffer } {
  const der = decodeBase64(s, what, 1, MAX_SPKI_BYTES);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    throw new ProtocolError('bad_field', `${what} is not an SPKI public key`);
  }
  // 'rsa' only: an 'rsa-pss' key is restricted to signatures and could not wrap message keys.
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ProtocolError('bad_field', `${what} is a ${key.asymmetricKeyType ?? 'unknown'} key, expected RSA`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < E2E_MIN_RSA_BITS || bits > E2E_MAX_RSA_BITS) {
    throw new ProtocolError('bad_field', `${what} is a ${bits}-bit RSA key, expected ${E2E_MIN_RSA_BITS}..${E2E_MAX_RSA_BITS}`);
  }
  const e = key.asymmetricKeyDetails?.publicExponent ?? 0n;
  if (e < MIN_PUBLIC_EXPONENT || e % 2n === 0n) {
    throw new ProtocolError('bad_field', `${what} has an unsafe public exponent ${e}`);
  }
  return { key, der };
}

/**
 * Parses another user's bundle: an object with exactly `enc` and `sig`, each canonical base64 of an RSA
 * SPKI public key of 2048..4096 bits, the two keys different. Throws ProtocolError('bad_field', …).
 */
export function parseBundle(b: unknown): UserKeys {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw new ProtocolError('bad_field', 'key bundle must be an object');
  }
  const fields = Object.keys(b);
  if (fields.length !== 2 || !Object.hasOwn(b, 'enc') || !Object.hasOwn(b, 'sig')) {
    throw new ProtocolError('bad_field', 'key bundle must have exactly the fields enc and sig');
  }
  const { enc, sig } = b as Record<string, unknown>;
  const encKey = parseRsaPublicKey(enc, 'bundle.enc');
  const sigKey = parseRsaPublicKey(sig, 'bundle.sig');
  // One key for both jobs would let a signature oracle double as a decryption oracle.
  if (encKey.der.equals(sigKey.der)) throw new ProtocolError('bad_field', 'bundle.enc and bundle.sig are the same key');
  return { enc: encKey.key, sig: sigKey.key, fingerprint: fingerprintOfKeys(encKey.der, sigKey.der) };
}

/** Makes sure a private key file is readable by its owner only (it may predate us, or have been copied). */
async function tightenMode(path: string): Promise<void> {
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) await chmod(path, 0o600);
}

async function loadPair(dir: string, onGenerate: () => void, bits: number, ahead?: KeysAhead): Promise<ClientKeys> {
  const encPath = join(dir, 'keys', 'client-enc.pem');
  const sigPath = join(dir, 'keys', 'client-sig.pem');
  // In parallel: on first run both keys are generated at once on libuv's thread pool.
  const [enc, sig] = await Promise.all([
    loadOrCreateKeyPair(encPath, bits, onGenerate, () => ahead?.take('enc', bits)),
    loadOrCreateKeyPair(sigPath, bits, onGenerate, () => ahead?.take('sig', bits)),
  ]);
  await Promise.all([tightenMode(encPath), tightenMode(sigPath)]);
  const bundle: PublicBundle = { enc: enc.spki.toString('base64'), sig: sig.spki.toString('base64') };
  try {
    parseBundle(bundle); // the same checks everyone else will apply to us
  } catch (err) {
    throw new Error(`the keys in ${join(dir, 'keys')} are not usable (${(err as Error).message}); move them away to make new ones`);
  }
  return { enc, sig, bundle, fingerprint: bundleFingerprint(bundle) };
}

// Calls in flight per directory: two callers in one process must not both generate and race on the files.
const inFlight = new Map<string, Promise<ClientKeys>>();

/**
 * Loads this client's keys from <dir>/keys/client-enc.pem and <dir>/keys/client-sig.pem (mode 0600), or makes
 * them (`bits`, default CLIENT_RSA_BITS = 3072) on first use. `onGenerate` is called at most once, before
 * generating, which takes a second or so (not called when `ahead` gives the pair: lib/e2e/keys-ahead.ts).
 * Throws if a file exists but is not a usable RSA key.
 */
export function loadOrCreateClientKeys(dir: string, onGenerate?: () => void, bits = CLIENT_RSA_BITS, ahead?: KeysAhead): Promise<ClientKeys> {
  const key = resolve(dir);
  const pending = inFlight.get(key);
  if (pending) return pending;
  let told = false;
  const once = (): void => {
    if (!told) { told = true; onGenerate?.(); }
  };
  const p = loadPair(key, once, bits, ahead).finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}

/** The UserKeys of our own bundle, to open our own messages (e.g. from history). */
export function ownUserKeys(k: ClientKeys): UserKeys {
  return { enc: k.enc.publicKey, sig: k.sig.publicKey, fingerprint: k.fingerprint };
}

/**
 * The folder of one user's keys inside the history dir: names fold as usernames do (NFKC, case), and a
 * hash of the folded name keeps any name a safe folder name.
 */
export function userKeysDir(dir: string, username: string): string {
  const folded = username.normalize('NFKC').toLowerCase();
  const readable = folded.replace(/[^a-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, 40);
  const hash = createHash('sha256').update(folded, 'utf8').digest('hex').slice(0, 16);
  return join(dir, 'users', readable ? `${readable}-${hash}` : hash);
}

/**
 * Loads or makes `username`'s keys in <dir>/users/<name>/keys/, so two people sharing one folder have
 * identities of their own. Keys an earlier version kept for the whole folder (<dir>/keys/client-*.pem)
 * move to the first user who starts after the upgrade: that person keeps their identity. A key file that
 * does not exist yet gets the pair `ahead` made in memory before the name was known, if it has one left.
 */
export async function loadOrCreateUserKeys(dir: string, username: string, onGenerate?: () => void, bits = CLIENT_RSA_BITS, ahead?: KeysAhead): Promise<ClientKeys> {
  const own = userKeysDir(dir, username);
  await adoptFolderKeys(dir, own);
  return loadOrCreateClientKeys(own, onGenerate, bits, ahead);
}

/**
 * Whether `username` has both key files in <dir> already, or will adopt the folder's keys of an earlier
 * version (see loadOrCreateUserKeys): then no keys need making ahead for that name. A quick look, no reading.
 */
export function userHasKeys(dir: string, username: string): boolean {
  const names = ['client-enc.pem', 'client-sig.pem'];
  return [join(userKeysDir(dir, username), 'keys'), join(dir, 'keys')].some((d) => names.every((n) => existsSync(join(d, n))));
}

async function adoptFolderKeys(dir: string, own: string): Promise<void> {
  const names = ['client-enc.pem', 'client-sig.pem'];
  const from = names.map((n) => join(dir, 'keys', n));
  const to = names.map((n) => join(own, 'keys', n));
  const exists = (p: string) => access(p).then(() => true, () => false);
  if ((await Promise.all(to.map(exists))).some(Boolean) || !(await Promise.all(from.map(exists))).every(Boolean)) return;
  await mkdir(join(own, 'keys'), { recursive: true, mode: 0o700 });
  try {
    // Another process may move them first (two people starting at once): then this one makes its own.
    for (let i = 0; i < names.length; i++) await rename(from[i]!, to[i]!);
  } catch { /* taken by the other process */ }
}
