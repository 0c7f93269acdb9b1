// Reliable, ordered, exactly-once messages over an unreliable datagram service.
//
// The channel sits below the crypto session: it produces and consumes *payloads* (frames
// encoded by lib/wire.ts, at most `maxPayload` bytes each); the session seals each payload
// into one datagram. Like quic-go's ackhandler it never reads the clock and owns no timers:
// every call takes `now` (ms), and the owner asks `nextDeadline()` when to call
// `onTimeout(now)` and then `flush(now)`.
//
// Liveness: onGone('timeout') exactly GIVE_UP_MS after the last ack progress (or the first
// unacked send), onGone('idle') IDLE_TIMEOUT_MS after the last valid payload; with real
// timers add the timer's own latency. A PING goes out after KEEPALIVE_MS without sending.
//
// Sequence numbers are per fragment (u32, from 0); a session that would need more than
// 2^32 fragments stops sending new data (far beyond any chat session's life).
import { cutUtf8 } from '../bytes.ts';
import {
  GIVE_UP_MS, IDLE_TIMEOUT_MS, KEEPALIVE_MS, LARGE_PAYLOAD_MAX_BYTES, MAX_MESSAGE_BYTES, MAX_PAYLOAD_BYTES,
  SEND_BUFFER_MAX_BYTES,
} from '../constants.ts';
import { ProtocolError } from '../errors.ts';
import { decodeFrames, type Frame } from '../wire.ts';
import { maxDataFor, Payload } from './payload.ts';
import { PathProbe, PROBE_FRAME_OVERHEAD } from './probe.ts';
import { Receiver } from './receive.ts';
import { Sender } from './send.ts';
import type { ChannelStats } from './stats.ts';

export type { ChannelStats } from './stats.ts';

/** Longest CLOSE reason sent, in bytes of UTF-8 (longer reasons are cut). */
const CLOSE_REASON_MAX_BYTES = 200;

/** Why a channel ended: no ack progress, nothing received, or the peer closed it. */
export type GoneReason = 'timeout' | 'idle' | 'closed';

export interface ChannelOptions {
  /** Creation time, ms. */
  now: number;
  /** Emits one datagram payload (≤ maxPayload bytes). */
  send: (payload: Buffer) => void;
  /** One whole application message, in order, exactly once. */
  onMessage: (message: Buffer) => void;
  /** Called once; after it the channel is dead. Not called for a local close(). */
  onGone: (reason: GoneReason, detail: string) => void;
  /** Largest payload at the start, in bytes (default MAX_PAYLOAD_BYTES); probe() may raise it. */
  maxPayload?: number;
  /** `send` is done with each payload when it returns: payloads are then built in one reused buffer. */
  reusePayload?: boolean;
}

type State = 'open' | 'closing' | 'closed' | 'dead';

/** A reliable ordered message channel driven by the caller's clock. See the file header. */
export class Channel {
  private readonly opts: ChannelOptions;
  private maxPayload: number;
  /** Largest data in one fragment, so a full DATA frame, an ACK and a PING share a payload. */
  private maxData: number;
  private readonly probe = new PathProbe();
  private readonly sender: Sender;
  private readonly receiver = new Receiver();
  private state: State = 'open';
  private lastNow: number;
  private lastSentAt: number;
  private lastReceivedAt: number;
  private pingPending = false;
  private closeFrame: Frame | null = null;
  private readonly payload = new Payload();
  private counts = { sent: 0, received: 0, delivered: 0 };

  /** Throws RangeError if maxPayload cannot hold an ACK, a PING and a useful DATA frame. */
  constructor(opts: ChannelOptions) {
    this.opts = opts;
    this.maxPayload = this.maxData = 0;
    this.sender = new Sender(opts.now);
    this.setMaxPayload(opts.maxPayload ?? MAX_PAYLOAD_BYTES);
    this.lastNow = this.lastSentAt = this.lastReceivedAt = opts.now;
  }

  /**
   * Queues one message (sent on the next flush). Not copied: the caller must not change it afterwards,
   * which lets the server queue one encoded broadcast for every member. Throws ProtocolError 'too_large'
   * above MAX_MESSAGE_BYTES, 'window_full' if queued + in-flight bytes would exceed
   * SEND_BUFFER_MAX_BYTES, 'not_open' after close() or the peer is gone. A `bulk` message (a file chunk)
   * leaves after the normal messages queued before it starts (LaneQueue in lib/channel/queue.ts).
   */
  sendMessage(message: Uint8Array, now: number, bulk = false): void {
    if (this.state !== 'open') throw new ProtocolError('not_open', `channel not open: ${this.state}`);
    if (message.length > MAX_MESSAGE_BYTES) {
      throw new ProtocolError('too_large', `message of ${message.length} bytes exceeds ${MAX_MESSAGE_BYTES}`);
    }
    const buffered = this.sender.queuedBytes + this.sender.inFlightBytes;
    if (buffered + message.length > SEND_BUFFER_MAX_BYTES) {
      throw new ProtocolError('window_full', `send buffer full: ${buffered} bytes queued or in flight`,
        { buffered, limit: SEND_BUFFER_MAX_BYTES });
    }
    this.lastNow = Math.max(this.lastNow, now);
    this.sender.enqueue(Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.length), bulk);
  }

  /**
   * Takes one payload from the peer. Throws ProtocolError (from decoding, or 'bad_ack' for an
   * ack of data never sent) and then leaves the channel unchanged. Ignored once closed or gone.
   */
  receive(payload: Buffer, now: number): void {
    const frames = decodeFrames(payload);
    if (this.state !== 'open') return;
    for (const f of frames) if (f.type === 'ack') this.sender.checkAck(f);
    this.lastNow = Math.max(this.lastNow, now);
    const silentMs = now - this.lastReceivedAt;
    this.lastReceivedAt = now;
    this.counts.received++;
    const messages: Buffer[] = [];
    let closed: Extract<Frame, { type: 'close' }> | null = null;
    for (const f of frames) {
      if (f.type === 'data') this.receiver.onData(f, now, messages);
      else if (f.type === 'ack') this.sender.onAck(f, now);
      else if (f.type === 'ping') this.receiver.onPing(now);
      else if (f.type === 'probe') this.probe.answer = payload.length;
      else if (f.type === 'probe_ack') { if (this.probe.confirmed(f.size)) this.setMaxPayload(f.size); }
      else closed ??= f;
    }
    // The peer was silent longer than a timeout and is heard again: the path is back (a link that went
    // dark, a laptop that woke up). Resend the oldest timed-out fragment now rather than at its backed-off
    // deadline, up to RTO_MAX_MS away.
    if (silentMs > this.sender.rtt.rtoMs) this.sender.onPathBack(now);
    if (closed) this.state = 'dead';
    // Callbacks last, so a callback that throws or re-enters sees consistent state.
    this.counts.delivered += messages.length;
    for (const m of messages) this.opts.onMessage(m);
    if (closed) this.opts.onGone('closed', closed.reason || `peer closed (code ${closed.code})`);
  }

  /** Sends what is due as few payloads as possible: ack, ping, retransmissions, new data. */
  flush(now: number): void {
    if (this.state === 'closed' || this.state === 'dead') return;
    this.lastNow = Math.max(this.lastNow, now);
    const probeSize = this.probe.due(now);
    if (probeSize > 0) {
      this.payload.push({ type: 'probe', padding: probeSize - PROBE_FRAME_OVERHEAD });
      this.emit(now);
    }
    if (this.probe.answer > 0) {
      this.payload.push({ type: 'probe_ack', size: this.probe.answer });
      this.probe.answer = 0;
    }
    const hasData = this.sender.hasLost || this.sender.canSendNew;
    const dataGoes = hasData && this.sender.pacer.ready(now);
    if (this.receiver.ackDueAt <= now || (this.receiver.ackPending && (dataGoes || this.closeFrame))) {
      this.payload.push(this.receiver.buildAck(now));
    }
    if (this.closeFrame) {
      this.payload.push(this.closeFrame);
      this.emit(now);
      this.state = 'closed';
      return;
    }
    if (this.pingPending) {
      this.payload.push({ type: 'ping' });
      this.pingPending = false;
    }
    while ((this.sender.hasLost || this.sender.canSendNew) && this.sender.pacer.ready(now)) {
      if (this.payload.fillData(this.sender, this.maxPayload, this.maxData, now) === 0) break; // cannot happen: maxData leaves room for ack + ping
      this.sender.pacer.spend();
      this.emit(now);
    }
    if (this.payload.count > 0) this.emit(now);
  }

  /** Absolute ms of the next timer (ack, retransmit, pacing, keepalive, idle, give-up); Infinity if none. */
  nextDeadline(): number {
    if (this.state === 'closed' || this.state === 'dead') return Infinity;
    if (this.closeFrame || this.pingPending || this.probe.answer > 0) return this.lastNow;
    let t = Math.min(this.receiver.ackDueAt, this.sender.retransmitDeadline(), this.probe.nextAt,
      this.lastSentAt + KEEPALIVE_MS, this.lastReceivedAt + IDLE_TIMEOUT_MS);
    if (this.sender.hasLost || this.sender.canSendNew) t = Math.min(t, this.sender.pacer.readyAt());
    if (this.sender.inFlight.size > 0) t = Math.min(t, this.sender.progressAt + GIVE_UP_MS);
    return t;
  }

  /** Handles everything due at `now` (the caller then calls flush(now)); may call onGone. */
  onTimeout(now: number): void {
    if (this.state !== 'open') return;
    this.lastNow = Math.max(this.lastNow, now);
    if (this.sender.inFlight.size > 0 && now >= this.sender.progressAt + GIVE_UP_MS) {
      this.die('timeout', `no acknowledgement for ${now - this.sender.progressAt} ms with data outstanding`);
      return;
    }
    if (now >= this.lastReceivedAt + IDLE_TIMEOUT_MS) {
      this.die('idle', `nothing received for ${now - this.lastReceivedAt} ms`);
      return;
    }
    this.sender.onTimeout(now);
    if (now >= this.lastSentAt + KEEPALIVE_MS) this.pingPending = true;
  }

  /**
   * Queues a CLOSE frame (sent on the next flush, best effort) and stops the channel; queued
   * data is dropped (wait for `idle` first to close gracefully). onGone is not called.
   * Throws RangeError for a code outside u16.
   */
  close(code: number, reason: string, now: number): void {
    if (!Number.isInteger(code) || code < 0 || code > 0xffff) throw new RangeError(`close code out of range: ${code}`);
    if (this.state !== 'open') return;
    this.lastNow = Math.max(this.lastNow, now);
    this.closeFrame = { type: 'close', code, reason: cutUtf8(reason, CLOSE_REASON_MAX_BYTES) };
    this.state = 'closing';
  }

  /**
   * Probes whether payloads of `size` bytes reach the peer (PROBE / PROBE_ACK) and uses them once one is
   * answered; a size not above the present one does nothing. Throws RangeError beyond LARGE_PAYLOAD_MAX_BYTES.
   */
  probePayload(size: number, now: number): void {
    if (!Number.isInteger(size) || size > LARGE_PAYLOAD_MAX_BYTES) throw new RangeError(`cannot probe a payload of ${size} bytes`);
    if (size <= this.maxPayload || this.state !== 'open') return;
    this.lastNow = Math.max(this.lastNow, now);
    this.probe.start(size, now);
  }

  get payloadLimit(): number { return this.maxPayload; } // largest payload used now, in bytes
  /** Limits what the peer can make this channel hold (see Receiver.setLimits). */
  setReceiveLimits(window: number, maxBytes: number): void { this.receiver.setLimits(window, maxBytes); }
  /** True once the peer sent beyond those limits. */
  get overLimit(): boolean { return this.receiver.overLimit; }

  /** Bytes queued or in flight (what SEND_BUFFER_MAX_BYTES limits): stats().queuedBytes without the copy. */
  get bufferedBytes(): number { return this.sender.queuedBytes + this.sender.inFlightBytes; }

  /** Nothing queued or unacknowledged. */
  get idle(): boolean {
    return !this.sender.hasQueued && this.sender.inFlight.size === 0;
  }

  /** Something is queued to send now: data within window and pacing, a due ack, a ping, a close. */
  get wantsFlush(): boolean {
    if (this.state === 'closed' || this.state === 'dead') return false;
    if (this.closeFrame || this.pingPending || this.probe.answer > 0 || this.receiver.ackDueAt <= this.lastNow || this.probe.nextAt <= this.lastNow) return true;
    return (this.sender.hasLost || this.sender.canSendNew) && this.sender.pacer.readyAt() <= this.lastNow;
  }

  /** True once the channel was closed locally or the peer is gone. */
  get isClosed(): boolean {
    return this.state !== 'open';
  }

  stats(): ChannelStats {
    const s = this.sender;
    return {
      sent: this.counts.sent, retransmits: s.retransmits, received: this.counts.received,
      duplicates: this.receiver.duplicates, srttMs: s.rtt.srttMs, rtoMs: s.rtt.rtoMs, window: s.window,
      inFlight: s.inFlight.size, queuedBytes: s.queuedBytes + s.inFlightBytes,
      delivered: this.counts.delivered, fragmentsSent: s.fragmentsSent,
      dropped: this.receiver.dropped, malformed: this.receiver.malformed,
    };
  }

  private setMaxPayload(size: number): void {
    const maxData = maxDataFor(size);
    this.maxPayload = size;
    this.maxData = maxData;
    this.sender.pacer.setPayloadSize(size);
  }

  private die(reason: GoneReason, detail: string): void {
    this.state = 'dead';
    this.opts.onGone(reason, detail);
  }

  private emit(now: number): void {
    const hadAck = this.payload.hasAck;
    const payload = this.payload.encode(this.opts.reusePayload === true);
    if (hadAck) this.receiver.ackSent();
    this.lastSentAt = now;
    this.counts.sent++;
    this.opts.send(payload);
  }
}
