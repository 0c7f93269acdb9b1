// One DATA fragment of the sending half of a channel, and the pool acknowledged ones return to.

/** One DATA fragment that was sent and is not acknowledged yet; it is its own DATA frame when (re)sent. */
export interface Fragment {
  readonly type: 'data';
  seq: number;
  first: boolean;
  last: boolean;
  data: Uint8Array;
  /** When it was last sent, ms. */
  sentAt: number;
  sendCount: number;
  /** Retransmission timeouts this fragment has had (each one doubles its timeout). */
  timeouts: number;
  /** When it is declared lost if still unacked, ms. */
  deadline: number;
  /** Declared lost, waiting for retransmission. */
  lost: boolean;
  fastRetransmitted: boolean;
  /** Timed out behind an older fragment that was resent: resent once an ack shows the path works again. */
  suspect: boolean;
}

/** Acknowledged fragments kept for reuse, shared by every channel of the process, at most (one pool, not
 * one per channel: 1,500 idle connections must not each hold the fragments of their last burst). */
const SPARE_FRAGMENTS = 4096;
const spare: Fragment[] = [];
const NO_DATA = new Uint8Array(0);

/** A fragment about to be sent for the first time: every field set, taken from the pool when it can be. */
export function freshFragment(seq: number, first: boolean, last: boolean, data: Uint8Array): Fragment {
  const f = spare.pop();
  if (!f) {
    return { type: 'data', seq, first, last, data, sentAt: 0, sendCount: 0, timeouts: 0, deadline: Infinity, lost: false, fastRetransmitted: false, suspect: false };
  }
  f.seq = seq;
  f.first = first;
  f.last = last;
  f.data = data;
  f.sentAt = 0;
  f.sendCount = 0;
  f.timeouts = 0;
  f.deadline = Infinity;
  f.lost = false;
  f.fastRetransmitted = false;
  f.suspect = false;
  return f;
}

/**
 * Returns an acknowledged fragment to the pool: a busy server then allocates no fragment objects at all.
 * The caller holds no reference to it any more (it left the lost set and the flight).
 */
export function recycleFragment(f: Fragment): void {
  f.data = NO_DATA;
  if (spare.length < SPARE_FRAGMENTS) spare.push(f);
}

/** A fragment's retransmission deadline; a lost one waits for no timer. */
export const deadlineOf = (f: Fragment): number => (f.lost ? Infinity : f.deadline);
