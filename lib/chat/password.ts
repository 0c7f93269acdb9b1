// The room password: an scrypt key the CLIENT derives, and a verifier the server keeps.
//
// Design: the client, not the server, runs scrypt. The server, once at start, derives the key from
// its password with a random salt and keeps only SHA-256(key) (the verifier) and the scrypt
// parameters. At login it hands the parameters to the client (inside the sealed session); the client
// derives the key and sends it; the server compares SHA-256(key) with the verifier in constant time.
// So a storm of logins costs the server one SHA-256 each, never an scrypt (~150 ms, 32 MiB), and the
// server holds neither the password nor the key after start-up. Parameters come from the server, so
// the client refuses any that would make it burn memory or CPU (a malicious server must not).
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { SCRYPT_MAXMEM, SCRYPT_N, SCRYPT_P, SCRYPT_R } from '../constants.ts';
import { ProtocolError } from '../errors.ts';

/** Length of the derived key, in bytes. */
export const PASSWORD_KEY_BYTES = 32;
/** Length of the salt the server makes, in bytes. */
const SALT_BYTES = 16;
// Bounds on parameters the client accepts from a server.
const MIN_LOG2_N = 10;
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;
const MIN_SALT_BYTES = 8;
const MAX_SALT_BYTES = 64;
/** Most scrypt work the client accepts, as N·r·p (16× the defaults, a few seconds of CPU). */
const MAX_WORK = 16 * SCRYPT_N * SCRYPT_R * SCRYPT_P;
/** Derived keys remembered per process, in entries (several clients in one process, reconnects). */
export const DERIVE_CACHE_MAX = 32;

/** scrypt cost parameters and salt; `N` is the CPU/memory cost (a power of two), `r` the block size, `p` the parallelism. */
export interface PasswordParams { salt: Buffer; N: number; r: number; p: number }

/** The JSON form of PasswordParams, for the wire (salt in base64). */
export interface EncodedParams { salt: string; N: number; r: number; p: number }

function badParams(message: string): never {
  throw new ProtocolError('bad_field', `password parameters refused: ${message}`);
}

/** Bytes OpenSSL's scrypt allocates for these parameters (B: 128·r·p, V: 128·r·(N+2)). */
function scryptMemory(N: number, r: number, p: number): number {
  return 128 * r * p + 128 * r * (N + 2);
}

/** Throws ProtocolError `bad_field` unless the parameters are within the bounds a client accepts. */
function checkParams(params: PasswordParams): void {
  const { salt, N, r, p } = params;
  if (!Buffer.isBuffer(salt) || salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES) {
    badParams(`salt must be ${MIN_SALT_BYTES}..${MAX_SALT_BYTES} bytes`);
  }
  const log2N = Math.log2(N);
  if (!Number.isInteger(N) || !Number.isInteger(log2N) || log2N < MIN_LOG2_N || log2N > MAX_LOG2_N) {
    badParams(`N must be a power of two from 2^${MIN_LOG2_N} to 2^${MAX_LOG2_N}, got ${N}`);
  }
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) badParams(`r must be 1..${MAX_R}, got ${r}`);
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) badParams(`p must be 1..${MAX_P}, got ${p}`);
  if (scryptMemory(N, r, p) > SCRYPT_MAXMEM) badParams(`N=${N}, r=${r} would need more than ${SCRYPT_MAXMEM} bytes of memory`);
  if (N * r * p > MAX_WORK) badParams(`N·r·p = ${N * r * p} exceeds ${MAX_WORK}`);
}

/** scrypt in libuv's thread pool, so the event loop keeps running. */
function runScrypt(password: string, params: PasswordParams): Promise<Buffer> {
  const secret = Buffer.from(password.normalize('NFKC'), 'utf8');
  const options = { N: params.N, r: params.r, p: params.p, maxmem: SCRYPT_MAXMEM };
  return new Promise((resolve, reject) => {
    scrypt(secret, params.salt, PASSWORD_KEY_BYTES, options, (err, key) => {
      secret.fill(0);
      if (err) reject(err);
      else resolve(key);
    });
  });
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * Server, once at start: derives the key of `password` (NFKC-normalised) with a fresh 16-byte salt and
 * the default cost (SCRYPT_N, SCRYPT_R, SCRYPT_P), and returns the parameters and SHA-256(key).
 * Neither the password nor the key is kept. Takes ~150 ms off the event loop.
 */
export async function makeVerifier(password: string): Promise<{ params: PasswordParams; verifier: Buffer }> {
  const params: PasswordParams = { salt: randomBytes(SALT_BYTES), N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P };
  const key = await runScrypt(password, params);
  const verifier = sha256(key);
  key.fill(0);
  return { params, verifier };
}

// Keyed by a hash of (password, salt, N, r, p), so the map does not hold passwords in the clear.
const deriveCache = new Map<string, Promise<Buffer>>();

function cacheKey(password: string, params: PasswordParams): string {
  const h = createHash('sha256');
  for (const part of [Buffer.from(password.normalize('NFKC')), params.salt, Buffer.from(`${params.N}:${params.r}:${params.p}`)]) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(part.length);
    h.update(len).update(part); // length-prefixed, so no two inputs share a hash input
  }
  return h.digest('base64');
}

/**
 * Client: derives the 32-byte password key with the server's parameters (password NFKC-normalised).
 * Equal inputs share one promise (memoized per process, the last DERIVE_CACHE_MAX inputs), so many
 * clients in one process and reconnects pay once. Rejects with ProtocolError `bad_field` for
 * parameters outside the sane bounds (N a power of two 2^10..2^20, r 1..32, p 1..16, salt 8..64 bytes,
 * and at most SCRYPT_MAXMEM bytes of memory and 16× the default work), before any scrypt runs.
 * The returned key is shared between callers: do not modify it.
 */
export function derivePasswordKey(password: string, params: PasswordParams): Promise<Buffer> {
  try {
    checkParams(params);
  } catch (err) {
    return Promise.reject(err);
  }
  const k = cacheKey(password, params);
  const cached = deriveCache.get(k);
  if (cached) return cached;
  const promise = runScrypt(password, params);
  // A failure is not remembered; the caller still sees the rejection through `promise`.
  promise.catch(() => { if (deriveCache.get(k) === promise) deriveCache.delete(k); });
  deriveCache.set(k, promise);
  if (deriveCache.size > DERIVE_CACHE_MAX) deriveCache.delete(deriveCache.keys().next().value!);
  return promise;
}

/** Server: true when SHA-256(`key`) equals `verifier`, compared in constant time; false (no throw) for a key of the wrong length. */
export function checkPasswordKey(verifier: Buffer, key: Buffer): boolean {
  if (!Buffer.isBuffer(key) || key.length !== PASSWORD_KEY_BYTES) return false;
  const digest = sha256(key);
  if (verifier.length !== digest.length) return false;
  return timingSafeEqual(digest, verifier);
}

/** The JSON-able form of the parameters (salt in base64). */
export function encodeParams(p: PasswordParams): EncodedParams {
  return { salt: p.salt.toString('base64'), N: p.N, r: p.r, p: p.p };
}

/** Parses parameters received from a server. Throws ProtocolError `bad_field` on a wrong shape or a value out of bounds. */
export function decodeParams(x: unknown): PasswordParams {
  if (typeof x !== 'object' || x === null) badParams('not an object');
  const { salt, N, r, p } = x as Record<string, unknown>;
  if (typeof salt !== 'string' || typeof N !== 'number' || typeof r !== 'number' || typeof p !== 'number') {
    badParams('expected { salt: string, N: number, r: number, p: number }');
  }
  const saltBytes = Buffer.from(salt, 'base64');
  // Buffer.from skips characters that are not base64; insist on the canonical form instead.
  if (saltBytes.toString('base64') !== salt) badParams('salt is not canonical base64');
  const params: PasswordParams = { salt: saltBytes, N, r, p };
  checkParams(params);
  return params;
}
