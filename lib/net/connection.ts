// One live secure connection: a reliable Channel whose payloads are sealed into datagrams.
// It owns the channel's timers: one wake-up at the channel's next deadline, and one flush per
// event-loop turn (setImmediate), so everything queued in a turn leaves in as few datagrams as possible.
import { EventEmitter } from 'node:events';
import { Channel } from '../channel/channel.ts';
import { AEAD_TAG_BYTES, HEADER_BYTES } from '../constants.ts';
import { Deadlines } from '../deadlines.ts';
import { ProtocolError } from '../errors.ts';
import type { PacketOpener, PacketSealer } from '../session/protector.ts';

export interface ConnectionOptions {
  connId: Buffer;
  /** SHA-256 of the handshake transcript: names this session (the login's CPace sid). */
  sessionHash: Buffer;
  sealer: PacketSealer;
  opener: PacketOpener;
  /** Sends one whole datagram to the peer (several buffers: their concatenation, gathered by the send). */
  sendDatagram: (datagram: Buffer | Buffer[]) => void;
  /** Counts a dropped datagram by reason. */
  countDrop: (reason: string) => void;
}

export type GoneReason = 'timeout' | 'idle' | 'closed' | 'reset' | 'local';

/**
 * Events: 'message' (Buffer), 'gone' (reason: GoneReason, detail: string) — emitted once.
 * A datagram that fails to open or decode is dropped and counted, never answered.
 */
export class Connection extends EventEmitter {
  readonly connId: Buffer;
  /** SHA-256 of the handshake transcript (lib/session/transcript.ts), the same on both sides. */
  readonly sessionHash: Buffer;
  readonly channel: Channel;
  private readonly sealer: PacketSealer;
  private readonly opener: PacketOpener;
  private readonly sendDatagram: (d: Buffer | Buffer[]) => void;
  private readonly countDrop: (reason: string) => void;
  private readonly now: () => number;
  /** When the shared timer wakes this connection (lib/deadlines.ts owns it); Infinity: not asked. */
  scheduledAt = Infinity;
  private flushQueued = false;
  private dead = false;
  private replaysSeen = 0;
  /** Callers waiting for the send buffer to drain below a level (whenBelow). */
  private drainWaiters: Array<{ below: number; cb: () => void }> = [];

  constructor(o: ConnectionOptions) {
    super();
    this.connId = o.connId;
    this.sessionHash = o.sessionHash;
    this.sealer = o.sealer;
    this.opener = o.opener;
    this.sendDatagram = o.sendDatagram;
    this.countDrop = o.countDrop;
    this.now = () => performance.now(); // the clock of the shared timer (lib/deadlines.ts)
    this.channel = new Channel({
      now: this.now(),
      send: (payload) => this.sendDatagram(this.sealer.sealParts(payload)),
      reusePayload: true, // sealParts has read the payload before send returns
      onMessage: (m) => this.emit('message', m),
      onGone: (reason, detail) => this.finish(reason, detail),
    });
    this.arm();
  }

  get alive(): boolean { return !this.dead; }

  /**
   * Queues one application message; a `bulk` one (a file chunk) goes after normal ones queued meanwhile.
   * Throws ProtocolError ('too_large', 'window_full', 'not_open').
   */
  send(message: Buffer, bulk = false): void {
    if (this.dead) throw new ProtocolError('not_open', 'connection is closed');
    this.channel.sendMessage(message, this.now(), bulk);
    this.scheduleFlush();
  }

  /**
   * Calls `cb` once, as soon as fewer than `below` bytes are queued or in flight: at once if that is so now,
   * else when acks free them. Never called once the connection is gone.
   */
  whenBelow(below: number, cb: () => void): void {
    if (this.dead) return;
    if (this.channel.bufferedBytes < below) { cb(); return; }
    this.drainWaiters.push({ below, cb });
  }

  /** Feeds one SEALED datagram addressed to this connection. Returns false if it was dropped. */
  receiveDatagram(datagram: Buffer): boolean {
    if (this.dead) return false;
    const payload = this.opener.open(datagram);
    if (!payload) {
      // Only on this (rare) path: tell a replay from a datagram that does not verify.
      const replays = this.opener.stats.replay;
      this.countDrop(replays > this.replaysSeen ? 'replay' : 'unauthenticated');
      this.replaysSeen = replays;
      return false;
    }
    try {
      this.channel.receive(payload, this.now());
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.countDrop('malformed');
      return false;
    }
    this.scheduleFlush();
    if (this.drainWaiters.length > 0) this.drained();
    return true;
  }

  private drained(): void {
    const level = this.channel.bufferedBytes;
    const due = this.drainWaiters.filter((w) => level < w.below);
    if (due.length === 0) return;
    this.drainWaiters = this.drainWaiters.filter((w) => level >= w.below);
    for (const w of due) w.cb();
  }

  /** Probes datagrams of up to `bytes` towards the peer (lib/net/path-mtu.ts says how large) and uses them once one is answered. */
  probePath(bytes: number): void {
    if (this.dead) return;
    this.channel.probePayload(bytes - HEADER_BYTES - AEAD_TAG_BYTES, this.now());
    this.scheduleFlush();
  }

  /** Sends a CLOSE (best effort) and ends the connection without a 'gone' event for the local side's own close. */
  close(code: number, reason: string): void {
    if (this.dead) return;
    this.channel.close(code, reason, this.now());
    this.flush();
    this.finish('local', reason);
  }

  /** Ends the connection at once (e.g. a verified stateless reset), emitting 'gone'. */
  kill(reason: GoneReason, detail: string): void {
    this.finish(reason, detail);
  }

  /** True when everything sent has been acknowledged. */
  get idle(): boolean { return this.channel.idle; }

  private finish(reason: GoneReason, detail: string): void {
    if (this.dead) return;
    this.dead = true;
    this.drainWaiters = [];
    wakeups.cancel(this);
    this.emit('gone', reason, detail);
  }

  private scheduleFlush(): void {
    if (this.flushQueued || this.dead) return;
    this.flushQueued = true;
    flushSoon(this);
  }

  /** Runs the flush queued by scheduleFlush (called once per turn by the shared flush queue). */
  flushQueuedNow(): void {
    this.flushQueued = false;
    this.flush();
  }

  private flush(): void {
    if (this.dead && !this.channel.wantsFlush) return;
    this.channel.flush(this.now());
    if (!this.dead) this.arm();
  }

  /** Called by the shared timer at (or after) the deadline this connection asked for. */
  onDeadline(): void {
    if (this.dead) return;
    this.channel.onTimeout(this.now());
    this.flush();
  }

  // A wake-up before the deadline is harmless (onTimeout and flush act only on what is due, and it asks
  // again), so only a deadline that moved earlier asks for a new one: a busy connection whose deadlines
  // keep moving later costs one wake-up per deadline, not one per flush.
  private arm(): void {
    wakeups.set(this, this.channel.nextDeadline());
  }
}

/** Every connection's wake-ups, from one timer (lib/deadlines.ts), on performance.now()'s clock. */
const wakeups = new Deadlines<Connection, NodeJS.Timeout>(() => performance.now(), {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (t) => clearTimeout(t),
});

// Every connection with something to send is flushed once at the end of the event-loop turn, all from one
// setImmediate: what a turn queued for a connection (a fan-out, the acks of what arrived) leaves in as few
// datagrams as possible, and a server with many busy connections pays for one immediate, not one each.
let queued: Connection[] = [];
let flushScheduled = false;

function flushSoon(c: Connection): void {
  queued.push(c);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushAll);
}

function flushAll(): void {
  flushScheduled = false;
  const list = queued;
  queued = [];
  let i = 0;
  try {
    for (; i < list.length; i++) list[i]!.flushQueuedNow();
  } finally {
    // Should one throw, the others still get their flush next turn.
    for (i++; i < list.length; i++) flushSoon(list[i]!);
  }
}
