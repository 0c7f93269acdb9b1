// Receiving half of the reliable channel: dedup, reorder buffer, reassembly, ack state.
// Pure bookkeeping: no clock reads, no I/O. Used by lib/channel/channel.ts.
import { ACK_DELAY_MS, ACK_EVERY_FRAMES, MAX_ACK_RANGES, MAX_MESSAGE_BYTES, RECEIVE_WINDOW } from '../constants.ts';
import type { Frame } from '../wire.ts';

type DataFrame = Extract<Frame, { type: 'data' }>;
type AckFrame = Extract<Frame, { type: 'ack' }>;

/** Sorted, disjoint, non-touching half-open ranges [start, end) of sequence numbers. */
export class RangeSet {
  readonly ranges: Array<[number, number]> = [];

  /** Adds one number; merges with neighbours. */
  add(n: number): void {
    const r = this.ranges;
    // First range whose end is >= n (the one n may extend or fall into).
    let lo = 0;
    let hi = r.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid]![1] < n) lo = mid + 1;
      else hi = mid;
    }
    const at = r[lo];
    if (at && at[0] <= n && n < at[1]) return;
    if (at && at[1] === n) {
      at[1] = n + 1;
      const next = r[lo + 1];
      if (next && next[0] === n + 1) { at[1] = next[1]; r.splice(lo + 1, 1); }
      return;
    }
    if (at && at[0] === n + 1) { at[0] = n; return; }
    r.splice(lo, 0, [n, n + 1]);
  }

  /** Drops every number below `n`. */
  removeBelow(n: number): void {
    const r = this.ranges;
    while (r.length > 0 && r[0]![1] <= n) r.shift();
    if (r.length > 0 && r[0]![0] < n) r[0]![0] = n;
  }
}

/** Receiver state of one channel direction. */
export class Receiver {
  /** Next expected sequence number: everything below it was received. */
  cumulative = 0;
  duplicates = 0;
  /** Frames dropped because they were too far ahead of `cumulative`. */
  dropped = 0;
  /** Messages discarded because their fragments did not form a valid message. */
  malformed = 0;
  /** The peer sent more than the limits of setLimits allow (a fragment beyond the window or the byte budget). */
  overLimit = false;
  /** Absolute ms when an ack must go out; Infinity when none is due. */
  ackDueAt = Infinity;
  /** Something arrived since the last ack was sent (an ack may be piggybacked). */
  ackPending = false;

  private readonly buffer = new Map<number, DataFrame>();
  private readonly buffered = new RangeSet();
  /** Reorder window in fragments, and most bytes held (reorder buffer + a half-assembled message). */
  private window = RECEIVE_WINDOW;
  private maxBytes = Infinity;
  private bufferedBytes = 0;
  private unackedFrames = 0;
  private lastDataAt = 0;
  private partial: Uint8Array[] | null = null;
  private partialBytes = 0;
  private skipping = false;

  /** Handles one DATA frame; whole messages completed by it are appended to `out`. */
  onData(f: DataFrame, now: number, out: Buffer[]): void {
    if (f.seq < this.cumulative || this.buffer.has(f.seq)) {
      // The sender resent it, so our ack was probably lost: ack promptly.
      this.duplicates++;
      this.ackAt(now);
      return;
    }
    if (f.seq >= this.cumulative + this.window) {
      this.dropped++;
      this.overLimit = true;
      this.ackAt(now);
      return;
    }
    this.lastDataAt = now;
    const hadGap = this.buffer.size > 0;
    if (f.seq > this.cumulative) {
      // Over the byte budget: not kept and not acked, so the sender resends it once there is room.
      if (this.bufferedBytes + this.partialBytes + f.data.length > this.maxBytes) { this.dropped++; this.overLimit = true; return; }
      this.bufferedBytes += f.data.length;
      this.buffer.set(f.seq, f);
      this.buffered.add(f.seq);
      this.ackAt(now); // out of order: tell the sender about the gap at once
      return;
    }
    this.assemble(f, out);
    this.cumulative++;
    for (let next = this.buffer.get(this.cumulative); next; next = this.buffer.get(this.cumulative)) {
      this.buffer.delete(this.cumulative);
      this.bufferedBytes -= next.data.length;
      this.assemble(next, out);
      this.cumulative++;
    }
    this.buffered.removeBelow(this.cumulative);
    this.unackedFrames++;
    if (hadGap || this.unackedFrames >= ACK_EVERY_FRAMES) this.ackAt(now);
    else this.ackAt(Math.min(this.ackDueAt, now + ACK_DELAY_MS));
  }

  /**
   * Limits what a peer can make this receiver hold (a server sets small ones before login): frames at most
   * `window` ahead of the next expected one, and at most `maxBytes` held in the reorder buffer and a
   * half-assembled message (a longer message is dropped as malformed). Throws RangeError on a bad value.
   */
  setLimits(window: number, maxBytes: number): void {
    if (!Number.isInteger(window) || window < 1 || !(maxBytes > 0)) throw new RangeError('receive window must be ≥ 1 and maxBytes > 0');
    this.window = window;
    this.maxBytes = maxBytes;
  }

  /** Bytes held now: reorder buffer and the message being assembled. */
  get heldBytes(): number {
    return this.bufferedBytes + this.partialBytes;
  }

  /** A PING asks for an ack, so keepalives prove liveness both ways. */
  onPing(now: number): void {
    this.ackAt(now);
  }

  /** The ACK frame describing what was received; the lowest ranges when there are too many. */
  buildAck(now: number): AckFrame {
    const ranges = this.buffered.ranges.slice(0, MAX_ACK_RANGES).map(([s, e]): [number, number] => [s, e]);
    const delayMs = this.ackPending ? Math.max(0, now - this.lastDataAt) : 0;
    return { type: 'ack', cumulative: this.cumulative, delayMs, ranges };
  }

  /** Called when an ACK frame went out. */
  ackSent(): void {
    this.ackPending = false;
    this.ackDueAt = Infinity;
    this.unackedFrames = 0;
  }

  /** Fragments held above the cumulative point. */
  get bufferedFrames(): number {
    return this.buffer.size;
  }

  private ackAt(time: number): void {
    this.ackPending = true;
    this.ackDueAt = Math.min(this.ackDueAt, time);
  }

  // Fragments arrive here in sequence order; a broken first/last pattern or an oversized
  // message can only come from a buggy peer: drop that message, count it, keep going.
  private assemble(f: DataFrame, out: Buffer[]): void {
    if (f.first && f.last && !this.partial) {
      // A whole message in one fragment (the common case): hand it on as it is, no copy.
      this.skipping = false;
      out.push(Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data.buffer, f.data.byteOffset, f.data.length));
      return;
    }
    if (f.first) {
      if (this.partial) this.malformed++;
      this.skipping = false;
      this.partial = [];
      this.partialBytes = 0;
    } else if (!this.partial) {
      // A continuation with no message started: count it once, unless we are already
      // skipping the rest of a message we dropped.
      if (!this.skipping) this.malformed++;
      this.skipping = !f.last;
      return;
    }
    this.partial.push(f.data);
    this.partialBytes += f.data.length;
    if (this.partialBytes > Math.min(MAX_MESSAGE_BYTES, this.maxBytes)) {
      this.malformed++;
      if (this.partialBytes > this.maxBytes) this.overLimit = true;
      this.partial = null;
      this.partialBytes = 0;
      this.skipping = !f.last;
      return;
    }
    if (f.last) {
      out.push(Buffer.concat(this.partial, this.partialBytes));
      this.partial = null;
      this.partialBytes = 0;
    }
  }
}
