// Rate limiters for login and chat. Neither reads the clock: `now` (ms, any monotonic origin) is passed in.
import { LOGIN_FAILURE_WINDOW_MS, LOGIN_MAX_FAILURES } from './constants.ts';

/**
 * Counts wrong passwords per key (a client address). After `max` failures within `windowMs` the key is
 * blocked until the oldest counted failure leaves the window; a success clears the key. Memory is
 * bounded: beyond `maxKeys` keys, the key whose last failure is oldest is forgotten.
 */
export class FailureLimiter {
  // Per key, the times of its most recent failures (at most `max`), oldest first. Map order = last failure order.
  private readonly failures = new Map<string, number[]>();

  /** `max` failures per `windowMs` (ms); at most `maxKeys` keys remembered. Throws RangeError on a non-positive argument. */
  constructor(
    readonly max = LOGIN_MAX_FAILURES,
    readonly windowMs = LOGIN_FAILURE_WINDOW_MS,
    readonly maxKeys = 10_000,
  ) {
    if (!(max >= 1 && windowMs > 0 && maxKeys >= 1)) throw new RangeError('FailureLimiter needs max ≥ 1, windowMs > 0, maxKeys ≥ 1');
  }

  /** Keys currently remembered. */
  get size(): number { return this.failures.size; }

  /** 0 when `key` may try now; otherwise the ms until its next attempt is allowed (at most windowMs). */
  retryAfter(key: string, now: number): number {
    const times = this.recent(key, now);
    if (times.length < this.max) return 0;
    return Math.min(this.windowMs, Math.max(1, times[0]! + this.windowMs - now));
  }

  /** Records a wrong password for `key` at `now`. */
  fail(key: string, now: number): void {
    const times = this.recent(key, now);
    times.push(now);
    if (times.length > this.max) times.splice(0, times.length - this.max);
    // Re-insert so the Map's first key is always the one whose last failure is oldest.
    this.failures.delete(key);
    this.failures.set(key, times);
    while (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  /** Forgets `key`'s failures after a right password. */
  succeed(key: string): void {
    this.failures.delete(key);
  }

  /** The failures of `key` still inside the window at `now`; drops the key when none are. */
  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    const live = times.filter((t) => t > now - this.windowMs);
    if (live.length === 0) this.failures.delete(key);
    else if (live.length !== times.length) this.failures.set(key, live);
    return live;
  }
}

/**
 * Flood control for one user: `burst` messages at once, then `ratePerS` per second. take() reserves a
 * token even when it must wait, so messages queued behind each other come out evenly spaced.
 */
export class TokenBucket {
  // May go negative: reserved tokens not yet earned.
  private tokens: number;
  private last: number;

  /** `ratePerS` tokens per second, at most `burst` stored, full at `now` (ms). Throws RangeError on a non-positive rate or burst < 1. */
  constructor(readonly ratePerS: number, readonly burst: number, now: number) {
    if (!(ratePerS > 0 && burst >= 1)) throw new RangeError('TokenBucket needs ratePerS > 0 and burst ≥ 1');
    this.tokens = burst;
    this.last = now;
  }

  /**
   * Takes `cost` tokens (default one) at `now` (ms): 0 if they were available, else the ms to wait until the
   * reserved ones are earned. When that wait would exceed `maxWaitMs`, nothing is reserved and the wait is
   * still returned, so a caller that refuses instead of queueing does not push later messages back.
   */
  take(now: number, maxWaitMs = Infinity, cost = 1): number {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerS) / 1000);
      this.last = now;
    }
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return 0;
    }
    // The small epsilon keeps float noise (e.g. 200.00000000000003) from adding a whole ms.
    const wait = Math.ceil(((cost - this.tokens) * 1000) / this.ratePerS - 1e-9);
    if (wait <= maxWaitMs) this.tokens -= cost;
    return wait;
  }
}
