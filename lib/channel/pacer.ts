// Pacing of one channel direction: a token bucket that lets a burst of payloads go back to back and
// spaces the rest at a rate the caller derives from its window and RTT. Pure: `now` is passed in.

/** Payloads that may leave back to back before pacing spaces them out, in payloads. */
const PACING_BURST_PAYLOADS = 16;

export class Pacer {
  private tokens = PACING_BURST_PAYLOADS;
  private tokensAt: number;

  /** `rate`: payloads per ms allowed now (it may change as the window and the RTT do). */
  constructor(now: number, private readonly rate: () => number) {
    this.tokensAt = now;
  }

  /** When the next payload may go, ms (≤ the last `now` if it may go at once). */
  readyAt(): number {
    return this.tokens >= 1 ? this.tokensAt : this.tokensAt + (1 - this.tokens) / this.rate();
  }

  /** Refills the bucket up to `now`; true if one payload may go now. */
  ready(now: number): boolean {
    if (now > this.tokensAt) {
      const readyAt = this.readyAt();
      this.tokens = Math.min(PACING_BURST_PAYLOADS, this.tokens + (now - this.tokensAt) * this.rate());
      // Rounding must not leave 0.999… tokens at the very time readyAt() promised one.
      if (now >= readyAt) this.tokens = Math.max(1, this.tokens);
      this.tokensAt = now;
    }
    return this.tokens >= 1;
  }

  /** Spends one token (one payload sent). */
  spend(): void {
    this.tokens -= 1;
  }
}
