// Session keys: one X25519 exchange per connection, expanded with HKDF-SHA256
// into an AES-256-GCM key and IV for each direction.
import { createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { ProtocolError } from '../errors.ts';
import { X25519_PUBLIC_BYTES } from '../wire.ts';

// The transcript belongs to the same step of the handshake; callers may import it from either module.
export { helloTranscript, signTranscript, transcriptHash, verifyTranscript } from './transcript.ts';
import { transcriptHash } from './transcript.ts';

/** AES-256 key, in bytes. */
const AES_KEY_BYTES = 32;
/** AES-GCM IV (nonce base), in bytes. */
const GCM_IV_BYTES = 12;
// One HKDF label per direction and per use, so no two outputs can coincide.
const LABEL = {
  c2sKey: 'obrolan/1 client->server key',
  c2sIv: 'obrolan/1 client->server iv',
  s2cKey: 'obrolan/1 server->client key',
  s2cIv: 'obrolan/1 server->client iv',
} as const;

/** Key and IV that protect one direction of a session. */
export interface DirectionKeys {
  /** AES-256-GCM key, 32 bytes. */
  key: Buffer;
  /** Nonce base, 12 bytes; each packet's nonce is this XOR its packet number. */
  iv: Buffer;
}

/** Both directions' keys; client and server derive the same object. */
export interface SessionKeys {
  clientToServer: DirectionKeys;
  serverToClient: DirectionKeys;
}

/** Makes a fresh X25519 key pair. `publicRaw` is the 32-byte public key that travels in HELLO / SERVER_HELLO. */
export function makeEphemeral(): { privateKey: KeyObject; publicRaw: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  // JWK, not SPKI DER: OpenSSL 3's DER encoder costs ~200 µs a key here, the raw bytes ~5 µs.
  const { x } = publicKey.export({ format: 'jwk' });
  return { privateKey, publicRaw: Buffer.from(x!, 'base64url') };
}

/** Turns a peer's 32 raw bytes into a key object. Throws ProtocolError `bad_field` on a wrong length or unusable key. */
function peerKey(raw: Buffer): KeyObject {
  if (raw.length !== X25519_PUBLIC_BYTES) {
    throw new ProtocolError('bad_field', `X25519 public key must be ${X25519_PUBLIC_BYTES} bytes, got ${raw.length}`);
  }
  try {
    // A JWK imports the raw bytes directly (~20 µs); SPKI DER goes through OpenSSL 3's decoder (~200 µs).
    return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch {
    throw new ProtocolError('bad_field', 'X25519 public key is not usable');
  }
}

/** X25519 shared secret; a small-order peer key (all-zero result) is refused. */
function sharedSecret(myPrivate: KeyObject, peerPublicRaw: Buffer): Buffer {
  const publicKey = peerKey(peerPublicRaw);
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: myPrivate, publicKey });
  } catch {
    // OpenSSL 3 itself refuses small-order points ("failed during derivation").
    throw new ProtocolError('bad_field', 'X25519 public key has small order (no shared secret)');
  }
  if (shared.every((b) => b === 0)) {
    throw new ProtocolError('bad_field', 'X25519 public key has small order (all-zero shared secret)');
  }
  return shared;
}

/**
 * Derives both directions' keys from my X25519 private key, the peer's 32 raw public bytes and the
 * handshake transcript (HKDF-SHA256, salt = SHA-256 of the transcript). Client and server get equal results.
 * Throws ProtocolError `bad_field` when the peer key has the wrong length or small order.
 */
export function deriveSessionKeys(myPrivate: KeyObject, peerPublicRaw: Buffer, transcript: Buffer): SessionKeys {
  const ikm = sharedSecret(myPrivate, peerPublicRaw);
  const salt = transcriptHash(transcript);
  const expand = (label: string, bytes: number): Buffer => Buffer.from(hkdfSync('sha256', ikm, salt, label, bytes));
  return {
    clientToServer: { key: expand(LABEL.c2sKey, AES_KEY_BYTES), iv: expand(LABEL.c2sIv, GCM_IV_BYTES) },
    serverToClient: { key: expand(LABEL.s2cKey, AES_KEY_BYTES), iv: expand(LABEL.s2cIv, GCM_IV_BYTES) },
  };
}
