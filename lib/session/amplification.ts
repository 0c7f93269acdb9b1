// Anti-amplification (QUIC, RFC 9000 §8.1): until an address echoes a cookie, the
// server sends it at most `factor` times the bytes it received from it.
import { AMPLIFICATION_FACTOR } from '../constants.ts';

interface Budget { received: number; sent: number; validated: boolean }

function checkBytes(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`byte count must be a non-negative integer, got ${bytes}`);
}

/** Per-address send budget for unvalidated addresses ("ip:port"); remembers at most `maxAddresses`. */
export class AmplificationGuard {
  // Map order is recency order: the first entry is the one heard from longest ago.
  readonly #budgets = new Map<string, Budget>();

  /** `factor`: bytes sent per byte received; `maxAddresses`: entries kept before the oldest are forgotten. */
  constructor(readonly factor = AMPLIFICATION_FACTOR, readonly maxAddresses = 10_000) {
    if (!(factor >= 0) || !Number.isInteger(maxAddresses) || maxAddresses < 1) {
      throw new RangeError('factor must be ≥ 0 and maxAddresses a positive integer');
    }
  }

  /** Addresses currently remembered. */
  get size(): number {
    return this.#budgets.size;
  }

  /** Counts `bytes` received from `address`. Throws RangeError on a negative or fractional count. */
  received(address: string, bytes: number): void {
    checkBytes(bytes);
    this.#touch(address).received += bytes;
  }

  /**
   * True (and counted) when `bytes` more may be sent to `address`: always once validated, otherwise while
   * sent + bytes ≤ factor × received. A forgotten or unknown address gets nothing. Throws RangeError on a bad count.
   */
  trySend(address: string, bytes: number): boolean {
    checkBytes(bytes);
    const b = this.#budgets.get(address);
    if (!b) return false;
    if (!b.validated && b.sent + bytes > this.factor * b.received) return false;
    b.sent += bytes;
    return true;
  }

  /** The address echoed a valid cookie: it receives what we send, so no limit applies any more. */
  validate(address: string): void {
    this.#touch(address).validated = true;
  }

  /** True once `validate` was called for the address (and it was not forgotten since). */
  isValidated(address: string): boolean {
    return this.#budgets.get(address)?.validated ?? false;
  }

  // Moves the address to the newest end, creating it if needed; forgetting the oldest is safe
  // because a forgotten address starts again with nothing to spend.
  #touch(address: string): Budget {
    const b = this.#budgets.get(address) ?? { received: 0, sent: 0, validated: false };
    this.#budgets.delete(address);
    this.#budgets.set(address, b);
    while (this.#budgets.size > this.maxAddresses) {
      this.#budgets.delete(this.#budgets.keys().next().value!);
    }
    return b;
  }
}
