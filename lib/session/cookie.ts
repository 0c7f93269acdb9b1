// Stateless retry cookies: the server proves a client receives at its address
// without keeping anything per client, only two rotating secrets.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { COOKIE_SECRET_ROTATE_MS, COOKIE_SLOT_MS } from '../constants.ts';

/** HMAC secret, in bytes. */
const SECRET_BYTES = 32;
/** Truncated HMAC-SHA256 carried in a cookie, in bytes (128 bits). */
const MAC_BYTES = 16;
/** Whole cookie: one slot byte + MAC, in bytes (wire allows up to 64). */
export const COOKIE_BYTES = 1 + MAC_BYTES;
const LABEL = Buffer.from('obrolan/1 cookie');

/** Makes and checks cookies bound to a client's address ("ip:port") and X25519 public key, valid for 1–2 slots. */
export class CookieJar {
  #secret: Buffer;
  #previous: Buffer | null = null;
  #rotatedAt: number;

  /** `now` in ms (any monotonic or wall clock, the same one passed to make and verify). */
  constructor(now: number) {
    this.#secret = randomBytes(SECRET_BYTES);
    this.#rotatedAt = now;
  }

  /** A cookie of COOKIE_BYTES bytes for this address and client key, made at `now` (ms). */
  make(address: string, clientPub: Buffer, now: number): Buffer {
    this.#rotate(now);
    const slot = Math.floor(now / COOKIE_SLOT_MS);
    const cookie = Buffer.alloc(COOKIE_BYTES);
    // Only the slot's low byte travels: the verifier knows the slot is the current or the previous one.
    cookie[0] = slot & 0xff;
    mac(this.#secret, slot, address, clientPub).copy(cookie, 1);
    return cookie;
  }

  /**
   * True when `cookie` was made by this jar for this address and client key in the current or previous
   * slot (so 30–60 s of validity), including across one secret rotation. Never throws on garbage.
   */
  verify(cookie: Buffer, address: string, clientPub: Buffer, now: number): boolean {
    this.#rotate(now);
    if (cookie.length !== COOKIE_BYTES) return false;
    const current = Math.floor(now / COOKIE_SLOT_MS);
    const slot = [current, current - 1].find((s) => (s & 0xff) === cookie[0]);
    if (slot === undefined) return false;
    const given = cookie.subarray(1);
    let ok = false;
    // Both secrets are always tried, so timing does not reveal which one matched.
    for (const secret of [this.#secret, this.#previous]) {
      if (secret && timingSafeEqual(mac(secret, slot, address, clientPub), given)) ok = true;
    }
    return ok;
  }

  // Replaces the secret every COOKIE_SECRET_ROTATE_MS, keeping the last one so fresh cookies survive the change.
  #rotate(now: number): void {
    const elapsed = now - this.#rotatedAt;
    if (elapsed < COOKIE_SECRET_ROTATE_MS) return;
    // After two periods the old secret can only have made cookies that expired long ago.
    this.#previous = elapsed < 2 * COOKIE_SECRET_ROTATE_MS ? this.#secret : null;
    this.#secret = randomBytes(SECRET_BYTES);
    this.#rotatedAt = now;
  }
}

/** Truncated HMAC-SHA256 over label | slot | address | client key, each variable field length-prefixed. */
function mac(secret: Buffer, slot: number, address: string, clientPub: Buffer): Buffer {
  const addr = Buffer.from(address, 'utf8');
  const head = Buffer.alloc(8 + 4);
  head.writeBigInt64BE(BigInt(slot), 0);
  head.writeUInt32BE(addr.length, 8);
  const keyLen = Buffer.alloc(4);
  keyLen.writeUInt32BE(clientPub.length);
  return createHmac('sha256', secret)
    .update(LABEL).update(head).update(addr).update(keyLen).update(clientPub)
    .digest().subarray(0, MAC_BYTES);
}
