// Path probing of one channel direction (docs/PROTOCOL.md "Larger datagrams"): a channel starts at the base
// payload (1,200-byte datagrams) and may use a larger one once a PROBE payload of that size was answered by
// a PROBE_ACK naming the same size — proof that the path and the peer carry it. A probe is never resent as
// data: unanswered, it is tried PROBE_TRIES times PROBE_RETRY_MS apart, then the channel stays where it is.
// Pure bookkeeping: `now` is passed in.
import { PROBE_RETRY_MS, PROBE_TRIES } from '../constants.ts';

/** Bytes of a PROBE frame besides its padding. */
export const PROBE_FRAME_OVERHEAD = 3;

export class PathProbe {
  /** Payload size being probed; 0 when none. */
  private size = 0;
  private tries = 0;
  private dueAt = Infinity;
  /** A PROBE arrived: the size of the payload that carried it, owed as a PROBE_ACK (0: none owed). */
  answer = 0;

  /** Probes `size` bytes of payload from `now` on (a new call replaces a probe in progress). */
  start(size: number, now: number): void {
    this.size = size;
    this.tries = 0;
    this.dueAt = now;
  }

  /** When a probe is next due, ms; Infinity if none. */
  get nextAt(): number {
    return this.dueAt;
  }

  /** The payload size to probe now, or 0; counts the try and schedules the next one. */
  due(now: number): number {
    if (this.dueAt > now || this.size === 0) return 0;
    this.tries++;
    this.dueAt = this.tries < PROBE_TRIES ? now + PROBE_RETRY_MS : Infinity;
    return this.size;
  }

  /** A PROBE_ACK for `size`: true when it confirms the probe in progress (which then ends). */
  confirmed(size: number): boolean {
    if (this.size === 0 || size !== this.size || this.tries === 0) return false;
    this.size = 0;
    this.dueAt = Infinity;
    return true;
  }
}
