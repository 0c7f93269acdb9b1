// Retry cookies: the server proves a client receives at its address without keeping anything per
// client until the cookie is spent, only two rotating secrets. A cookie names one connection id and
// starts at most one handshake (redeem), so a script cannot turn one round trip into many signatures.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { COOKIE_SECRET_ROTATE_MS, COOKIE_SLOT_MS, COOKIES_SPENT_MAX } from '../constants.ts';

/** HMAC secret, in bytes. */
const SECRET_BYTES = 32;
/** Truncated HMAC-SHA256 carried in a cookie, in bytes (128 bits). */
const MAC_BYTES = 16;
/** Whole cookie: one slot byte + MAC, in bytes (wire allows up to 64). */
export const COOKIE_BYTES = 1 + MAC_BYTES;
const LABEL = Buffer.from('obrolan/1 cookie');

/** Makes and checks cookies bound to a client's address ("ip:port"), X25519 public key and connection id, valid for 1–2 slots. */
export class CookieJar {
  /** Spent cookies (hex) with the time they expire; insertion order is expiry order, give or take a slot. */
  readonly #spent = new Map<string, number>();
  #secret: Buffer;
  #previous: Buffer | null = null;
  #rotatedAt: number;

  /** `now` in ms (any monotonic or wall clock, the same one passed to make and verify). */
  constructor(now: number) {
    this.#secret = randomBytes(SECRET_BYTES);
    this.#rotatedAt = now;
  }

  /** A cookie of COOKIE_BYTES bytes for this address, client key and connection id, made at `now` (ms). */
  make(address: string, clientPub: Buffer, connId: Buffer, now: number): Buffer {
    this.#rotate(now);
    const slot = Math.floor(now / COOKIE_SLOT_MS);
    const cookie = Buffer.alloc(COOKIE_BYTES);
    // Only the slot's low byte travels: the verifier knows the slot is the current or the previous one.
    cookie[0] = slot & 0xff;
    mac(this.#secret, slot, address, clientPub, connId).copy(cookie, 1);
    return cookie;
  }

  /**
   * True when `cookie` was made by this jar for this address, client key and connection id in the current
   * or previous slot (so 30–60 s of validity), including across one secret rotation. Never throws on garbage.
   * A spent cookie still verifies (a resent HELLO of a live connection): redeem tells it apart.
   */
  verify(cookie: Buffer, address: string, clientPub: Buffer, connId: Buffer, now: number): boolean {
    this.#rotate(now);
    if (cookie.length !== COOKIE_BYTES) return false;
    const current = Math.floor(now / COOKIE_SLOT_MS);
    const slot = [current, current - 1].find((s) => (s & 0xff) === cookie[0]);
    if (slot === undefined) return false;
    const given = cookie.subarray(1);
    let ok = false;
    // Both secrets are always tried, so timing does not reveal which one matched.
    for (const secret of [this.#secret, this.#previous]) {
      if (secret && timingSafeEqual(mac(secret, slot, address, clientPub, connId), given)) ok = true;
    }
    return ok;
  }

  /**
   * Spends a verified cookie at `now`: true the first time, false if it was spent before (or, should
   * COOKIES_SPENT_MAX unexpired cookies be spent already, always false until some expire).
   */
  redeem(cookie: Buffer, now: number): boolean {
    for (const [k, expires] of this.#spent) {
      if (expires > now) break;
      this.#spent.delete(k);
    }
    const key = cookie.toString('hex');
    if (this.#spent.has(key) || this.#spent.size >= COOKIES_SPENT_MAX) return false;
    // Valid for the rest of this slot and the next one at most.
    this.#spent.set(key, (Math.floor(now / COOKIE_SLOT_MS) + 2) * COOKIE_SLOT_MS);
    return true;
  }

  /** True when `cookie` was redeemed and has not expired yet (it would not start a handshake). */
  isSpent(cookie: Buffer, now: number): boolean {
    const expires = this.#spent.get(cookie.toString('hex'));
    return expires !== undefined && expires > now;
  }

  /** Spent cookies remembered now. */
  get spentCount(): number { return this.#spent.size; }

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

/** Truncated HMAC-SHA256 over label | slot | address | client key | connection id, variable fields length-prefixed. */
function mac(secret: Buffer, slot: number, address: string, clientPub: Buffer, connId: Buffer): Buffer {
  const addr = Buffer.from(address, 'utf8');
  const head = Buffer.alloc(8 + 4);
  head.writeBigInt64BE(BigInt(slot), 0);
  head.writeUInt32BE(addr.length, 8);
  const keyLen = Buffer.alloc(4);
  keyLen.writeUInt32BE(clientPub.length);
  return createHmac('sha256', secret)
    .update(LABEL).update(head).update(addr).update(keyLen).update(clientPub).update(connId)
    .digest().subarray(0, MAC_BYTES);
}
