// Timeouts of file transfers (issue 19): an offer nobody answers, and a transfer paused because someone's
// connection was lost, end after a while. Pure bookkeeping: the transfers report each one's state at every
// sweep, this remembers since when each has been in that state and says which ones waited too long.
import { FILE_OFFER_TIMEOUT_MS, FILE_PAUSE_TIMEOUT_MS } from '../constants.ts';

/** The clock and the limits (tests move the clock or shorten the limits). */
export interface FileTiming {
  now(): number;
  /** An offer not answered ends after this many ms. */
  offerMs: number;
  /** A paused transfer ends after this many ms. */
  pausedMs: number;
}

export const defaultTiming = (): FileTiming => ({ now: () => Date.now(), offerMs: FILE_OFFER_TIMEOUT_MS, pausedMs: FILE_PAUSE_TIMEOUT_MS });

/** Since when each transfer has been in its present state. */
export class StateClock {
  private readonly since = new Map<string, { state: string; at: number }>();

  constructor(private readonly timing: FileTiming) {}

  /**
   * Takes every transfer's key and state now; returns the keys that have been 'offered' or 'paused' for longer
   * than their limit. A key not listed is forgotten; a state seen for the first time starts counting now.
   */
  check(states: Array<[key: string, state: string]>): string[] {
    const now = this.timing.now();
    const keep = new Set<string>();
    const expired: string[] = [];
    for (const [key, state] of states) {
      keep.add(key);
      const s = this.since.get(key);
      if (!s || s.state !== state) { this.since.set(key, { state, at: now }); continue; }
      const limit = state === 'offered' ? this.timing.offerMs : state === 'paused' ? this.timing.pausedMs : undefined;
      if (limit !== undefined && now - s.at >= limit) expired.push(key);
    }
    for (const key of this.since.keys()) if (!keep.has(key)) this.since.delete(key);
    return expired;
  }
}
