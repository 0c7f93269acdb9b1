// RSA key pairs kept in PEM files (mode 0600), made once on first use.
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as SPKI DER, the form that travels on the wire. */
  spki: Buffer;
  /** "SHA256:" + base64 of the SHA-256 of the SPKI DER, as SSH shows keys. */
  fingerprint: string;
}

/** "SHA256:<base64, no padding>" of a public key's SPKI DER bytes. */
export function fingerprintOf(spki: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(spki).digest('base64').replace(/=+$/, '');
}

/** Builds the key pair record from a private key. */
export function keyPairFrom(privateKey: KeyObject): RsaKeyPair {
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicKey, spki, fingerprint: fingerprintOf(spki) };
}

/** Makes a new RSA key pair off the event loop (libuv's thread pool). `bits` is the modulus size. */
export function generateRsaKeyPair(bits: number): Promise<RsaKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: bits, publicExponent: 0x10001 }, (err, _pub, priv) => {
      if (err) reject(err);
      else resolve(keyPairFrom(priv));
    });
  });
}

/**
 * Loads the RSA private key at `path` (PKCS#8 PEM), or makes one of `bits` bits and saves it with mode 0600
 * (written to a temporary file and renamed, so a crash never leaves half a key). `onGenerate` is called
 * before a key is generated, which takes a second or so. An existing file readable by others is made 0600
 * first (POSIX; where modes mean nothing, as on Windows, this does nothing). Throws if the file exists but is not a key.
 * `made`, if given, is asked for a pair made ahead when there is no file, instead of generating one here.
 */
export async function loadOrCreateKeyPair(path: string, bits: number, onGenerate?: () => void, made?: () => Promise<RsaKeyPair> | undefined): Promise<RsaKeyPair> {
  let pem: string | undefined;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (pem !== undefined) {
    await tightenMode(path);
    try {
      return keyPairFrom(createPrivateKey(pem));
    } catch {
      throw new Error(`${path} is not a readable private key; move it away to make a new one`);
    }
  }
  // A pair made ahead (lib/e2e/keys-ahead.ts) is taken only here, once the file is known not to exist.
  const ahead = made?.();
  if (!ahead) onGenerate?.();
  const pair = await (ahead ?? generateRsaKeyPair(bits));
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await rename(tmp, path);
  return pair;
}

/** Makes `path` readable and writable by its owner only, if group or others have any access to it. */
async function tightenMode(path: string): Promise<void> {
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) await chmod(path, 0o600);
}
