// Sliding-window replay protection over packet numbers (RFC 4303 §3.4.3 style):
// a bitmap of the last `size` numbers below the highest one seen.
import { MAX_PACKET_NUMBER, REPLAY_WINDOW } from '../constants.ts';

/** Tracks which packet numbers were already accepted. Ask `accepts` before opening, `commit` after the tag verified. */
export class ReplayWindow {
  readonly size: number;
  // Ring buffer of bits: bit (pn % size) says whether pn was committed, for pn in (highest - size, highest].
  readonly #bits: Uint32Array;
  #highest = -1;

  /** `size` is the window in packets (a positive integer). Throws RangeError otherwise. */
  constructor(size = REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`replay window must be a positive integer, got ${size}`);
    this.size = size;
    this.#bits = new Uint32Array(Math.ceil(size / 32));
  }

  /** Highest packet number committed, or -1 before the first. */
  get highest(): number {
    return this.#highest;
  }

  /** False for a packet number already committed, at or below highest − size, or not a valid 48-bit number. */
  accepts(pn: number): boolean {
    if (!Number.isInteger(pn) || pn < 0 || pn > MAX_PACKET_NUMBER) return false;
    if (pn > this.#highest) return true;
    if (pn <= this.#highest - this.size) return false;
    return !this.#get(pn);
  }

  /** Records `pn` as received; call only after its tag verified. A number the window no longer covers is ignored. */
  commit(pn: number): void {
    if (!this.accepts(pn)) return;
    if (pn > this.#highest) this.#advance(pn);
    this.#set(pn);
  }

  // Clears the slots of the numbers the window slides over, then moves the top to `pn`.
  #advance(pn: number): void {
    const steps = pn - this.#highest;
    if (steps >= this.size) this.#bits.fill(0);
    else for (let n = this.#highest + 1; n <= pn; n++) this.#clear(n);
    this.#highest = pn;
  }

  #get(pn: number): boolean {
    const slot = pn % this.size;
    return (this.#bits[slot >>> 5] & (1 << (slot & 31))) !== 0;
  }

  #set(pn: number): void {
    const slot = pn % this.size;
    this.#bits[slot >>> 5] |= 1 << (slot & 31);
  }

  #clear(pn: number): void {
    const slot = pn % this.size;
    this.#bits[slot >>> 5] &= ~(1 << (slot & 31));
  }
}
