// Round-trip time and retransmission timeout of one channel direction (RFC 6298), with the peer's
// ack delay taken out of each sample. Pure arithmetic: the caller passes every sample in.
import { RTO_INITIAL_MS, RTO_MAX_MS, RTO_MIN_MS } from '../constants.ts';

export class RttEstimator {
  /** Smoothed RTT, ms (0 until the first sample). */
  srttMs = 0;
  /** RTT variation, ms. */
  rttvarMs = 0;
  /** Retransmission timeout, ms: SRTT + 4·RTTVAR within [RTO_MIN_MS, RTO_MAX_MS]; RTO_INITIAL_MS before any sample. */
  rtoMs = RTO_INITIAL_MS;
  /** Whether any sample was taken. */
  hasSample = false;

  /** Takes one RTT sample of `sampleMs`, of which the peer says it held the ack `ackDelayMs`. */
  sample(sampleMs: number, ackDelayMs: number): void {
    const r = sampleMs > ackDelayMs ? sampleMs - ackDelayMs : sampleMs;
    if (!this.hasSample) {
      this.srttMs = r;
      this.rttvarMs = r / 2;
      this.hasSample = true;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - r);
      this.srttMs = 0.875 * this.srttMs + 0.125 * r;
    }
    this.rtoMs = Math.min(RTO_MAX_MS, Math.max(RTO_MIN_MS, this.srttMs + 4 * this.rttvarMs));
  }

  /** The timeout after `timeouts` expiries in a row: doubled each time, capped at RTO_MAX_MS, ms. */
  backedOff(timeouts: number): number {
    return Math.min(RTO_MAX_MS, this.rtoMs * 2 ** timeouts);
  }
}
