// The server's proof of identity: an RSA-PSS signature over everything the
// handshake agreed on, so neither ephemeral key nor connection can be swapped.
import { createHash, createPublicKey, sign, verify, constants, type KeyObject } from 'node:crypto';

// Domain separation: this signature can never be mistaken for one over another kind of message.
const HELLO_LABEL = 'obrolan/1 server hello';
/** PSS salt length, in bytes (the SHA-256 output size). */
const PSS_SALT_BYTES = 32;
/** Smallest server RSA modulus a client accepts, in bits. */
const MIN_RSA_BITS = 2048;

function pssOptions<K>(key: K): { key: K; padding: number; saltLength: number } {
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_BYTES };
}

/** u16 big-endian length followed by the bytes; the length prefix keeps field boundaries unambiguous. */
function field(bytes: Buffer): Buffer[] {
  if (bytes.length > 0xffff) throw new RangeError(`transcript field of ${bytes.length} bytes exceeds 65535`);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return [len, bytes];
}

/**
 * The bytes the server signs and both sides feed into key derivation: a label, then the connection id,
 * the client's and the server's X25519 public keys and the server's RSA key (SPKI DER), each length-prefixed.
 * Throws RangeError if a field exceeds 65535 bytes.
 */
export function helloTranscript(connId: Buffer, clientPub: Buffer, serverPub: Buffer, serverSpki: Buffer): Buffer {
  return Buffer.concat([
    ...field(Buffer.from(HELLO_LABEL)),
    ...field(connId), ...field(clientPub), ...field(serverPub), ...field(serverSpki),
  ]);
}

/** SHA-256 of a transcript: the HKDF salt of the session keys, and the session's name (the login's sid). */
export function transcriptHash(transcript: Buffer): Buffer {
  return createHash('sha256').update(transcript).digest();
}

/**
 * Signs a transcript with RSA-PSS (SHA-256, 32-byte salt). Runs in libuv's thread pool: an RSA-3072
 * signature takes ~2 ms. Rejects if the key cannot sign.
 */
export function signTranscript(privateKey: KeyObject, transcript: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sign('sha256', transcript, pssOptions(privateKey), (err, signature) => {
      if (err) reject(err);
      else resolve(signature);
    });
  });
}

/**
 * True when `signature` is the server's RSA-PSS signature over `transcript` by the key in `spki` (DER).
 * Returns false, never throws, for garbage key bytes, a non-RSA key, a key under 2048 bits or a bad signature.
 */
export function verifyTranscript(spki: Buffer, transcript: Buffer, signature: Buffer): boolean {
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'rsa') return false;
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return false;
    return verify('sha256', transcript, pssOptions(key), signature);
  } catch {
    return false;
  }
}
