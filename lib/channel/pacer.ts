// Pacing of one channel direction: a token bucket that lets a burst of payloads go back to back and
// spaces the rest at a rate the caller derives from its window and RTT. Pure: `now` is passed in.

/** Payloads that may leave back to back before pacing spaces them out, in payloads… */
const PACING_BURST_PAYLOADS = 16;
/** …and in bytes: with large payloads (a probed path) a burst stays within what a default receive buffer
 * (Linux: 208 KiB, counted twice) takes, so it is not lost at the receiver. */
const PACING_BURST_BYTES = 256 * 1024;
/** Fewest payloads a burst may hold, whatever their size. */
const PACING_BURST_MIN = 2;

export class Pacer {
  private burst = PACING_BURST_PAYLOADS;
  private tokens = PACING_BURST_PAYLOADS;
  private tokensAt: number;

  /** `rate`: payloads per ms allowed now (it may change as the window and the RTT do). */
  constructor(now: number, private readonly rate: () => number) {
    this.tokensAt = now;
  }

  /** Payloads of up to `bytes` from now on: the burst shrinks so that it holds at most PACING_BURST_BYTES. */
  setPayloadSize(bytes: number): void {
    this.burst = Math.max(PACING_BURST_MIN, Math.min(PACING_BURST_PAYLOADS, Math.floor(PACING_BURST_BYTES / bytes)));
    this.tokens = Math.min(this.tokens, this.burst);
  }

  /** When the next payload may go, ms (≤ the last `now` if it may go at once). */
  readyAt(): number {
    return this.tokens >= 1 ? this.tokensAt : this.tokensAt + (1 - this.tokens) / this.rate();
  }

  /** Refills the bucket up to `now`; true if one payload may go now. */
  ready(now: number): boolean {
    if (now > this.tokensAt) {
      const readyAt = this.readyAt();
      this.tokens = Math.min(this.burst, this.tokens + (now - this.tokensAt) * this.rate());
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
