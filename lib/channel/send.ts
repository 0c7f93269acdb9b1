// Sending half of the reliable channel: fragments in flight, loss detection (timeout with F-RTO, fast
// retransmit) and the send window; the message queue in channel-queue.ts, fragments and their pool in
// channel-fragment.ts, RTT/RTO in channel-rtt.ts, pacing in channel-pacer.ts.
// Pure bookkeeping: no clock reads, no I/O. Used by lib/channel/channel.ts.
import { FAST_RETRANSMIT_THRESHOLD, SEND_WINDOW_INITIAL, SEND_WINDOW_MAX, SEND_WINDOW_MIN } from '../constants.ts';
import { deadlineOf, freshFragment, recycleFragment, type Fragment } from './fragment.ts';
import { InFlight } from './inflight.ts';
import { LaneQueue } from './queue.ts';
import { Pacer } from './pacer.ts';
import { RttEstimator } from './rtt.ts';
import { ProtocolError } from '../errors.ts';
import type { Frame } from '../wire.ts';

/** Pacing rate = gain × window / srtt; above 1 so pacing never becomes the bottleneck. */
const PACING_GAIN = 1.25;
/** RTT assumed for pacing before the first sample, in ms. */
const PACING_INITIAL_RTT_MS = 100;
/** Floor of the RTT used for pacing, in ms (loopback RTTs are far below timer resolution). */
const PACING_MIN_RTT_MS = 1;
/** Suspects resent on the first ack after a timeout that covers only resent fragments; doubles per ack. */
const GO_BACK_FIRST = 2;
/** Largest sequence number a u32 can carry. */
const MAX_SEQ = 0xffff_ffff;

type AckFrame = Extract<Frame, { type: 'ack' }>;

/** Sender state of one channel direction. */
export class Sender {
  window = SEND_WINDOW_INITIAL;
  readonly rtt = new RttEstimator();
  retransmits = 0;
  fragmentsSent = 0;
  /** Last time an ack made progress, or when data became outstanding; drives give-up, ms. */
  progressAt = 0;
  /** Data bytes of fragments sent and not acked. */
  inFlightBytes = 0;
  readonly inFlight = new InFlight<Fragment>(); // sequence order

  private nextSeq = 0;
  private readonly queue = new LaneQueue();
  private readonly lost = new Set<Fragment>();
  private ackCredit = 0;
  /** Fragments in flight marked suspect. */
  private suspects = 0;
  /** An ack arrived while fragments were suspect, so the path works: the next timeouts are real losses. */
  private pathProven = false;
  /** Suspects resent on the last ack that covered only resent fragments (0: none yet). */
  private goBack = 0;
  private recoveryStartAt = -Infinity;
  /** Some fragment in flight has had a timeout (its timer is doubled). */
  private backedOff = false;
  /** Spaces data payloads out (lib/channel/pacer.ts) at gain × window / srtt. */
  readonly pacer: Pacer;

  constructor(now: number) {
    this.pacer = new Pacer(now, () => this.pacingRate());
  }

  /** Queues a whole message (the caller has checked its size and owns no reference to it); bulk ones go after normal ones. */
  enqueue(message: Buffer, bulk = false): void {
    this.queue.push(message, bulk);
  }

  /** Bytes of messages not yet cut into fragments. */
  get queuedBytes(): number {
    return this.queue.bytes;
  }

  get hasQueued(): boolean {
    return !this.queue.isEmpty;
  }

  /** New data is queued and the window has room for it. */
  get canSendNew(): boolean {
    return this.hasQueued && this.inFlight.size < this.window && this.nextSeq <= MAX_SEQ;
  }

  get hasLost(): boolean {
    return this.lost.size > 0;
  }

  /** Data bytes the next new fragment would carry if allowed `maxData` bytes. */
  nextChunkLength(maxData: number): number {
    return this.queue.nextLength(maxData);
  }

  /** Cuts the next fragment (at most `maxData` bytes) off the queue and records it as sent. */
  takeFragment(maxData: number, now: number): Fragment {
    const data = this.queue.cut(maxData);
    const f = freshFragment(this.nextSeq++, this.queue.cutFirst, this.queue.cutLast, data);
    if (this.inFlight.size === 0) this.progressAt = now;
    this.inFlight.add(f);
    this.inFlightBytes += data.length;
    this.markSent(f, now);
    return f;
  }

  /** Lost fragments in the order they were declared lost. */
  lostFragments(): IterableIterator<Fragment> {
    return this.lost.values();
  }

  /** Records a retransmission of a lost fragment. */
  resend(f: Fragment, now: number): void {
    this.lost.delete(f);
    f.lost = false;
    this.retransmits++;
    this.markSent(f, now);
  }

  /** Throws ProtocolError 'bad_ack' when an ack covers sequence numbers never sent. Changes nothing. */
  checkAck(ack: AckFrame): void {
    const top = ack.ranges.length > 0 ? ack.ranges[ack.ranges.length - 1]![1] : ack.cumulative;
    if (ack.cumulative > this.nextSeq || top > this.nextSeq) {
      throw new ProtocolError('bad_ack', `ack up to ${top} covers fragments never sent (next ${this.nextSeq})`);
    }
  }

  /** Applies an ACK frame (already checked): frees acked fragments, samples RTT, detects losses. */
  onAck(ack: AckFrame, now: number): void {
    const ranges = ack.ranges;
    let r = 0;
    let newestSentAt = -Infinity; // of the newest fragment acked that was sent once (Karn)
    let acked = 0;
    let ackedSuspect = false;
    const flight = this.inFlight;
    for (let i = flight.start, end = flight.end; i < end; i++) {
      const f = flight.at(i);
      if (f === undefined) continue;
      while (r < ranges.length && ranges[r]![1] <= f.seq) r++;
      const inRange = r < ranges.length && ranges[r]![0] <= f.seq;
      if (f.seq >= ack.cumulative && !inRange) {
        if (r >= ranges.length) break; // nothing above this fragment is acked
        continue;
      }
      this.inFlight.delete(f);
      this.lost.delete(f);
      if (f.suspect) { f.suspect = false; this.suspects--; ackedSuspect = true; }
      this.inFlightBytes -= f.data.length;
      acked++;
      if (f.sendCount === 1 && f.sentAt >= newestSentAt) newestSentAt = f.sentAt;
      recycleFragment(f);
    }
    if (newestSentAt > -Infinity) this.rtt.sample(now - newestSentAt, ack.delayMs);
    if (acked > 0) {
      this.progressAt = now;
      this.grow(acked);
      if (ackedSuspect || this.suspects > 0) this.resolveSuspects(ack, ackedSuspect, now);
      if (this.backedOff) this.collapseBackoff(now);
    }
    if (ranges.length > 0) this.detectFastLoss(ranges);
  }

  /**
   * On a retransmission timeout, resends only the oldest fragment whose timeout passed and backs off
   * the whole connection, as TCP does with its one timer: every other fragment in flight waits the
   * doubled timeout as a suspect, until an ack shows the path works (onAck). A stalled receiver then
   * costs one resend per (doubling) timeout, not the whole window each time. Once an ack has proven the
   * path since, fragments still timing out are lost for real, and all of them are resent at once.
   * Halves the window if any fragment timed out.
   */
  onTimeout(now: number): void {
    let newLoss = false;
    let oldest: Fragment | undefined;
    const proven = this.pathProven;
    this.pathProven = false;
    for (const f of this.inFlight.values()) {
      if (f.lost || f.deadline > now) continue;
      f.timeouts++;
      this.backedOff = true;
      if (f.sentAt > this.recoveryStartAt) newLoss = true;
      if (proven || !oldest) this.markLost(f);
      oldest ??= f;
    }
    if (oldest && !proven) {
      this.goBack = 0;
      const wait = this.rtt.backedOff(oldest.timeouts);
      for (const f of this.inFlight.values()) {
        if (f.lost) continue;
        if (!f.suspect) { f.suspect = true; this.suspects++; }
        if (f.deadline < now + wait) f.deadline = now + wait;
      }
    }
    // One cut per loss episode: fragments sent before the last cut were sent with the old
    // window, so their loss says nothing new about the path (as TCP's recovery period).
    if (newLoss) {
      this.window = Math.max(SEND_WINDOW_MIN, Math.floor(this.window / 2));
      this.ackCredit = 0;
      this.recoveryStartAt = now;
    }
  }

  /**
   * The peer is heard again after a silence: if the oldest fragment in flight has timed out before and is
   * still unacked, it is resent at once instead of at its backed-off deadline.
   */
  onPathBack(now: number): void {
    for (const f of this.inFlight.values()) {
      if (f.lost) return; // already queued for resending
      if (f.timeouts > 0 && f.deadline > now) this.markLost(f);
      return;
    }
  }

  /** Earliest retransmission deadline of a fragment in flight, ms; Infinity if none. */
  retransmitDeadline(): number {
    return this.inFlight.min(deadlineOf);
  }

  private pacingRate(): number {
    const rtt = Math.max(PACING_MIN_RTT_MS, this.rtt.hasSample ? this.rtt.srttMs : PACING_INITIAL_RTT_MS);
    return (PACING_GAIN * this.window) / rtt; // payloads per ms
  }

  private markSent(f: Fragment, now: number): void {
    f.sentAt = now;
    f.sendCount++;
    f.deadline = now + this.rtt.backedOff(f.timeouts);
    this.fragmentsSent++;
  }

  // The path works again after a timeout. As in F-RTO (RFC 5682): if this ack covers a suspect, the
  // timeout was spurious (the receiver was slow, not the path): suspects below something acked are
  // missing, the others get one plain timeout from now, after which all then due are lost. If it covers
  // only resent fragments, it may be a real loss: go back N as TCP's slow start does, resending the
  // lowest 2, 4, 8… suspects on each such ack, until one covers a suspect or none is left.
  private resolveSuspects(ack: AckFrame, ackedSuspect: boolean, now: number): void {
    if (ackedSuspect) {
      const top = ack.ranges.length > 0 ? ack.ranges[ack.ranges.length - 1]![1] - 1 : ack.cumulative - 1;
      for (const f of this.inFlight.values()) {
        if (!f.suspect) continue;
        f.suspect = false;
        if (f.seq < top) this.markLost(f);
        else f.deadline = Math.min(f.deadline, now + this.rtt.rtoMs);
      }
      this.suspects = 0;
    } else {
      this.goBack = Math.max(GO_BACK_FIRST, this.goBack * 2);
      let n = this.goBack;
      for (const f of this.inFlight.values()) {
        if (n === 0) break;
        if (!f.suspect) continue;
        this.markLost(f);
        n--;
      }
      if (this.suspects > 0) return;
    }
    this.goBack = 0;
    this.pathProven = true;
  }

  // An ack made progress, so the path works: a fragment resent during an outage no longer waits out its
  // doubled timeouts (up to RTO_MAX_MS) should that resend be lost too, but one plain timeout, as TCP
  // recomputes its timer once new data is acknowledged. Suspects are resolveSuspects' business.
  private collapseBackoff(now: number): void {
    for (const f of this.inFlight.values()) {
      if (f.timeouts === 0) continue;
      f.timeouts = 0;
      if (!f.lost && !f.suspect) f.deadline = Math.min(f.deadline, Math.max(now, f.sentAt + this.rtt.rtoMs));
    }
    this.backedOff = false;
  }

  /** Declares `f` lost (to be resent), and no longer a suspect. */
  private markLost(f: Fragment): void {
    if (f.suspect) { f.suspect = false; this.suspects--; }
    if (!f.lost) { f.lost = true; this.lost.add(f); }
  }

  // Additive increase: one more fragment per window's worth acknowledged.
  private grow(acked: number): void {
    this.ackCredit += acked;
    while (this.ackCredit >= this.window && this.window < SEND_WINDOW_MAX) {
      this.ackCredit -= this.window;
      this.window++;
    }
    if (this.window >= SEND_WINDOW_MAX) this.ackCredit = 0;
  }

  // A fragment still unacked while FAST_RETRANSMIT_THRESHOLD later ones are acked is
  // resent once without waiting for its timeout.
  private detectFastLoss(ranges: ReadonlyArray<[number, number]>): void {
    const above: number[] = new Array(ranges.length + 1).fill(0); // acked count in ranges[i..]
    for (let i = ranges.length - 1; i >= 0; i--) above[i] = above[i + 1]! + ranges[i]![1] - ranges[i]![0];
    let r = 0;
    for (const f of this.inFlight.values()) {
      while (r < ranges.length && ranges[r]![0] <= f.seq) r++;
      if (r >= ranges.length || above[r]! < FAST_RETRANSMIT_THRESHOLD) break;
      if (f.lost || f.fastRetransmitted) continue;
      f.fastRetransmitted = true;
      this.markLost(f);
    }
  }
}
