// CPace (draft-irtf-cfrg-cpace), cipher suite CPACE-X25519-SHA512: the primitives, on node:crypto and BigInt.
// The names follow the draft: prepend_len, prefix_free_cat, generator_string, calculate_generator,
// scalar_mult_vfy, ISK. X25519 is node:crypto's diffieHellman over keys made from 32 raw bytes; SHA-512
// is createHash; the one piece node:crypto lacks, the Elligator 2 map to Curve25519 (RFC 9380, §6.7.1),
// is field arithmetic mod p = 2^255 - 19 below. The draft's test vectors check every step
// (test/session-cpace.test.ts). JS BigInt is not constant-time: the map's timing may depend on the
// password-derived field element (see docs/PROTOCOL.md, "Login").
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ProtocolError } from '../errors.ts';

/** G_X25519.DSI. */
export const CPACE_DSI = Buffer.from('CPace255');
/** Input block size of SHA-512 (H.s_in_bytes), in bytes. */
export const SHA512_BLOCK_BYTES = 128;
/** Bytes of a field element, a scalar and a point (G.field_size_bytes). */
export const FIELD_BYTES = 32;
/** Longest length prefix parsed, in bytes (LEB128 of up to 2^28 - 1). */
const MAX_LENGTH_BYTES = 4;

// DER header of an X25519 private key (OID 1.3.101.110); the 32 raw bytes follow it.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

// Curve25519: y^2 = x^3 + A x^2 + x over GF(p); Z = 2 is the non-square of RFC 9380's map.
const P = 2n ** 255n - 19n;
const A = 486662n;
const Z = 2n;

/** LEB128 encoding of `n` (7 bits a byte, least significant first, high bit = more follows). */
export function leb128(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`length must be a non-negative integer, got ${n}`);
  const out: number[] = [];
  do {
    out.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.from(out);
}

/** prepend_len(data): the LEB128 length of `data`, then `data`. */
export function prependLen(data: Buffer): Buffer {
  return Buffer.concat([leb128(data.length), data]);
}

/** prefix_free_cat(a0, a1, …): prepend_len of each, concatenated. */
export function prefixFreeCat(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts.flatMap((p) => [leb128(p.length), p]));
}

/**
 * Splits a prefix_free_cat of exactly `count` fields. Throws ProtocolError `bad_field` when a length is
 * unterminated, longer than 4 bytes, runs past the end, or bytes are left over.
 */
export function parsePrefixFree(buf: Buffer, count: number): Buffer[] {
  const fields: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    let len = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= buf.length || shift >= 7 * MAX_LENGTH_BYTES) throw new ProtocolError('bad_field', 'CPace message: bad length prefix');
      const b = buf[at++]!;
      len += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    if (at + len > buf.length) throw new ProtocolError('bad_field', `CPace message: field of ${len} bytes runs past the end`);
    fields.push(buf.subarray(at, at + len));
    at += len;
  }
  if (at !== buf.length) throw new ProtocolError('bad_field', `CPace message: ${buf.length - at} bytes after the last field`);
  return fields;
}

/** generator_string(DSI, PRS, CI, sid, s_in_bytes): zero padding fills SHA-512's first block after DSI and PRS. */
export function generatorString(prs: Buffer, ci: Buffer, sid: Buffer, dsi = CPACE_DSI): Buffer {
  const zpad = Math.max(0, SHA512_BLOCK_BYTES - 1 - prependLen(prs).length - prependLen(dsi).length);
  return prefixFreeCat(dsi, prs, Buffer.alloc(zpad), ci, sid);
}

function mod(x: bigint): bigint {
  const r = x % P;
  return r < 0n ? r + P : r;
}

/** x^(2^n) mod p: n squarings. */
function square(x: bigint, n: number): bigint {
  let r = x;
  for (let i = 0; i < n; i++) r = (r * r) % P;
  return r;
}

/**
 * x^((p-3)/2) = x^(2^254 - 11) mod p by a fixed addition chain (255 squarings, 12 multiplications, half the
 * work of square-and-multiply). a(k) = x^(2^k - 1); the result is a(250)^16 · x^5.
 */
function powPMinus3Over2(x: bigint): bigint {
  const a1 = mod(x);
  const a2 = (square(a1, 1) * a1) % P;
  const a4 = (square(a2, 2) * a2) % P;
  const a5 = (square(a4, 1) * a1) % P;
  const a10 = (square(a5, 5) * a5) % P;
  const a20 = (square(a10, 10) * a10) % P;
  const a40 = (square(a20, 20) * a20) % P;
  const a50 = (square(a40, 10) * a10) % P;
  const a100 = (square(a50, 50) * a50) % P;
  const a200 = (square(a100, 100) * a100) % P;
  const a250 = (square(a200, 50) * a50) % P;
  return (square(a250, 4) * ((square(a1, 2) * a1) % P)) % P;
}

/** decodeUCoordinate (RFC 7748): little-endian, bit 255 ignored. */
export function decodeUCoordinate(u: Buffer): bigint {
  const le = Buffer.from(u.subarray(0, FIELD_BYTES));
  le[FIELD_BYTES - 1] = le[FIELD_BYTES - 1]! & 0x7f;
  return BigInt('0x' + le.reverse().toString('hex'));
}

/** encodeUCoordinate (RFC 7748): u mod p, 32 bytes little-endian. */
export function encodeUCoordinate(u: bigint): Buffer {
  return Buffer.from(mod(u).toString(16).padStart(2 * FIELD_BYTES, '0'), 'hex').reverse();
}

/**
 * map_to_curve_elligator2 (RFC 9380 §6.7.1) for Curve25519: the u coordinate of the point for field element `r`.
 * x1 = -A / d with d = 1 + Z r^2 (never 0: -1/2 is not a square mod p); x = x1 if g(x1) = x1^3 + A x1^2 + x1
 * is a square, else -x1 - A. One exponentiation gives both 1/d and the Legendre symbol of g(x1):
 * g(x1) = N / d^4 with N = -A d (A^2 - A^2 d + d^2), and with R = (N d^2)^((p-3)/2),
 * R N d^2 = (N d^2)^((p-1)/2) = legendre(N) and legendre(N) R N d = 1/d.
 */
export function elligator2(r: bigint): bigint {
  const d = mod(1n + Z * r * r);
  const n = mod(-A * d % P * mod(A * A - A * A % P * d + d * d));
  const nd = n * d % P;
  const rr = powPMinus3Over2(nd * d);
  const legendre = rr * nd % P * d % P;
  const x1 = mod(-A * (legendre * rr % P * nd % P));
  return legendre === 1n ? x1 : mod(-x1 - A);
}

/** calculate_generator(H, PRS, CI, sid): Elligator 2 of the first 32 bytes of SHA-512(generator_string). */
export function calculateGenerator(prs: Buffer, ci: Buffer, sid: Buffer): Buffer {
  const hash = createHash('sha512').update(generatorString(prs, ci, sid)).digest().subarray(0, FIELD_BYTES);
  return encodeUCoordinate(elligator2(decodeUCoordinate(hash)));
}

/**
 * G.sample_scalar(): 32 random bytes (X25519 clamps them), held as a key object. OpenSSL makes them:
 * importing 32 raw private bytes costs ~1 ms, making a key pair ~0.2 ms.
 */
export function sampleScalar(): KeyObject {
  return generateKeyPairSync('x25519').privateKey;
}

/** A scalar from its 32 raw bytes (the draft's test vectors). Throws RangeError unless 32 bytes. */
export function scalarFromBytes(y: Buffer): KeyObject {
  if (y.length !== FIELD_BYTES) throw new RangeError('an X25519 scalar is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, y]), format: 'der', type: 'pkcs8' });
}

/**
 * scalar_mult_vfy(y, g) = X25519(y, g); G.I (32 zero bytes) when the result is the neutral element
 * (a low-order point on the curve or its twist). Throws RangeError unless `g` is 32 bytes.
 */
export function scalarMultVfy(y: KeyObject, g: Buffer): Buffer {
  if (g.length !== FIELD_BYTES) throw new RangeError('an X25519 point is 32 bytes');
  // A JWK imports a public key about twice as fast as SPKI DER.
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: g.toString('base64url') }, format: 'jwk' });
  try {
    return diffieHellman({ privateKey: y, publicKey });
  } catch {
    // OpenSSL refuses an all-zero result itself ("failed during derivation"): that is G.I.
    return Buffer.alloc(FIELD_BYTES);
  }
}

/** True for G.I, the neutral element (32 zero bytes). */
export function isIdentity(k: Buffer): boolean {
  return k.every((b) => b === 0);
}

/** ISK = SHA-512(prefix_free_cat(DSI || "_ISK", sid, K) || MSGa || MSGb): initiator/responder order. */
export function intermediateKey(sid: Buffer, k: Buffer, msgA: Buffer, msgB: Buffer): Buffer {
  const dsiIsk = Buffer.concat([CPACE_DSI, Buffer.from('_ISK')]);
  return createHash('sha512').update(prefixFreeCat(dsiIsk, sid, k)).update(msgA).update(msgB).digest();
}

/** The draft's key confirmation: HMAC-SHA-512(SHA-512("CPaceMac" || ISK), the message this party sent). */
export function confirmTag(isk: Buffer, sentMsg: Buffer): Buffer {
  const macKey = createHash('sha512').update('CPaceMac').update(isk).digest();
  return createHmac('sha512', macKey).update(sentMsg).digest();
}
