// A discrete-event simulator for protocol tests: a fake clock, an impaired in-memory
// datagram link (seeded loss, duplication, reordering, delay, outages), and a driver that
// runs anything with the quic-go style timer API (nextDeadline / onTimeout / flush).
//
//   const sim = new Sim();
//   const link = createLink(sim, new Rng(7), { loss: 0.2, delayMs: 5, jitterMs: 5 });
//   const { a, b } = connectChannels(sim, link);
//   a.send(Buffer.from('hi')); sim.runUntil(() => b.messages.length === 1, 10_000);
//
// Everything is deterministic for a given seed: events at the same time run in the order
// they were scheduled.
import { Channel, type ChannelOptions, type GoneReason } from '../../lib/channel/channel.ts';
import { ProtocolError } from '../../lib/errors.ts';
import type { Rng } from './rng.ts';

/** Events processed at one instant before the simulator assumes a busy loop, in events. */
const SAME_TIME_LIMIT = 100_000;

interface SimEvent { time: number; order: number; fn: () => void; cancelled: boolean }

/** A scheduled event; cancel() keeps it from running. */
export interface Timer { cancel(): void; readonly time: number }

/** A fake clock with an event queue (a binary heap ordered by time, then by scheduling order). */
export class Sim {
  /** Current simulated time, ms. */
  now = 0;
  /** Events run so far. */
  events = 0;
  private heap: SimEvent[] = [];
  private order = 0;

  /** Runs `fn` at absolute `time` ms (now if `time` is in the past). */
  at(time: number, fn: () => void): Timer {
    const ev: SimEvent = { time: Math.max(time, this.now), order: this.order++, fn, cancelled: false };
    this.push(ev);
    return { cancel: () => { ev.cancelled = true; }, time: ev.time };
  }

  /** Runs `fn` after `delayMs`. */
  after(delayMs: number, fn: () => void): Timer {
    return this.at(this.now + delayMs, fn);
  }

  /** Runs every event up to and including `untilMs`, then sets the clock to `untilMs`. */
  run(untilMs: number): void {
    this.runUntil(() => false, untilMs);
    this.now = Math.max(this.now, untilMs);
  }

  /**
   * Runs events until `done()` is true (checked before each event) or the next event is
   * after `limitMs`. Returns done(). Throws if one instant never stops producing events.
   */
  runUntil(done: () => boolean, limitMs: number): boolean {
    let sameTime = 0;
    while (!done()) {
      const ev = this.heap[0];
      if (!ev || ev.time > limitMs) return done();
      this.pop();
      if (ev.cancelled) continue;
      sameTime = ev.time === this.now ? sameTime + 1 : 0;
      if (sameTime > SAME_TIME_LIMIT) throw new Error(`simulation stuck at ${this.now} ms`);
      this.now = ev.time;
      this.events++;
      ev.fn();
    }
    return true;
  }

  /** Events waiting (cancelled ones included until they reach the front). */
  get pending(): number {
    return this.heap.length;
  }

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.time < b.time || (a.time === b.time && a.order < b.order);
  }

  private push(ev: SimEvent): void {
    const h = this.heap;
    h.push(ev);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/** Impairments of a link, the same in both directions. Probabilities are per datagram. */
export interface LinkOptions {
  /** Probability a datagram is lost. */
  loss?: number;
  /** Probability a datagram is delivered twice (each copy delayed independently). */
  duplicate?: number;
  /** Probability a datagram is held back by an extra random delay, so later ones overtake it. */
  reorder?: number;
  /** Base one-way delay, ms. */
  delayMs?: number;
  /** Uniform extra delay in [0, jitterMs), ms. */
  jitterMs?: number;
  /** Datagrams longer than this are lost, in bytes (a path that cannot carry them); default: no limit. */
  mtu?: number;
}

/** Counters of a link (both directions together). */
export interface LinkStats { sent: number; delivered: number; lost: number; duplicated: number }

/** One end of a link. */
export interface LinkEnd {
  /** Sends one datagram to the other end (it is copied). */
  send(bytes: Uint8Array): void;
  /** Sets the one receiver of datagrams arriving at this end. */
  onReceive(cb: (bytes: Buffer) => void): void;
}

export interface Link {
  a: LinkEnd;
  b: LinkEnd;
  stats: LinkStats;
  /** Darkens (true) or restores (false) the link; datagrams sent or arriving while dark are lost. */
  setDown(down: boolean): void;
  readonly down: boolean;
}

/** An impaired datagram link between two ends, `a` and `b`, driven by `sim` and `rng`. */
export function createLink(sim: Sim, rng: Rng, options: LinkOptions = {}): Link {
  const { loss = 0, duplicate = 0, reorder = 0, delayMs = 1, jitterMs = 0, mtu = Infinity } = options;
  const stats: LinkStats = { sent: 0, delivered: 0, lost: 0, duplicated: 0 };
  let down = false;
  const receivers: Array<((bytes: Buffer) => void) | null> = [null, null];

  function transmit(to: 0 | 1, bytes: Uint8Array): void {
    stats.sent++;
    if (down || bytes.length > mtu || rng.chance(loss)) { stats.lost++; return; }
    const copies = rng.chance(duplicate) ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let delay = delayMs + rng.next() * jitterMs;
      if (rng.chance(reorder)) delay += rng.next() * 2 * (delayMs + jitterMs + 1);
      const copy = Buffer.from(bytes);
      sim.after(delay, () => {
        if (down) { stats.lost++; return; }
        stats.delivered++;
        receivers[to]?.(copy);
      });
    }
  }

  const end = (self: 0 | 1): LinkEnd => ({
    send: (bytes) => transmit(self === 0 ? 1 : 0, bytes),
    onReceive: (cb) => { receivers[self] = cb; },
  });
  return {
    a: end(0), b: end(1), stats,
    setDown: (d) => { down = d; },
    get down() { return down; },
  };
}

/** Anything with the quic-go style timer API. */
export interface Driven {
  nextDeadline(): number;
  onTimeout(now: number): void;
  flush(now: number): void;
}

/**
 * Keeps one wake-up scheduled at `target.nextDeadline()`; at it calls onTimeout(now) then
 * flush(now). Call the returned `poke()` after anything that may change the deadline (a
 * receive, a send) — it flushes and reschedules. `stop()` cancels the wake-up.
 */
export function drive(sim: Sim, target: Driven): { poke(): void; stop(): void } {
  let timer: Timer | null = null;
  let stopped = false;
  function schedule(): void {
    if (stopped) return;
    const t = target.nextDeadline();
    if (timer && timer.time === Math.max(t, sim.now)) return;
    timer?.cancel();
    timer = Number.isFinite(t) ? sim.at(t, wake) : null;
  }
  function wake(): void {
    timer = null;
    target.onTimeout(sim.now);
    target.flush(sim.now);
    schedule();
  }
  return {
    poke: () => { target.flush(sim.now); schedule(); },
    stop: () => { stopped = true; timer?.cancel(); timer = null; },
  };
}

/** One channel of a simulated pair, with what it received and how it ended. */
export interface SimPeer {
  channel: Channel;
  /** Messages delivered by onMessage, in order. */
  messages: Buffer[];
  /** Set when onGone was called. */
  gone: { reason: GoneReason; detail: string; at: number } | null;
  /** ProtocolErrors thrown by receive (the payload was dropped). */
  errors: ProtocolError[];
  /** sendMessage + flush + reschedule. Throws what sendMessage throws. */
  send(message: Uint8Array): void;
  /** Delivers a payload as if it came from the link (receive + flush), counting ProtocolErrors. */
  deliver(payload: Buffer): void;
  /** close + flush (the CLOSE frame goes out at once). */
  close(code: number, reason: string): void;
  /** Cancels this peer's wake-up. */
  stop(): void;
}

/** Creates a Channel on one link end and drives it from the simulator. */
export function simPeer(sim: Sim, end: LinkEnd, extra: Partial<ChannelOptions> = {}): SimPeer {
  const peer: SimPeer = {
    channel: new Channel({
      now: sim.now,
      send: (p) => end.send(p),
      onMessage: (m) => peer.messages.push(m),
      onGone: (reason, detail) => { peer.gone = { reason, detail, at: sim.now }; },
      ...extra,
    }),
    messages: [], gone: null, errors: [],
    send(message) { peer.channel.sendMessage(message, sim.now); driver.poke(); },
    deliver(payload) {
      try { peer.channel.receive(payload, sim.now); } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        peer.errors.push(err);
      }
      driver.poke();
    },
    close(code, reason) { peer.channel.close(code, reason, sim.now); driver.poke(); },
    stop() { driver.stop(); },
  };
  const driver = drive(sim, peer.channel);
  end.onReceive((bytes) => peer.deliver(bytes));
  driver.poke();
  return peer;
}

/** Two channels talking over `link`: `a` on link.a, `b` on link.b. */
export function connectChannels(sim: Sim, link: Link, extra: Partial<ChannelOptions> = {}): { a: SimPeer; b: SimPeer } {
  return { a: simPeer(sim, link.a, extra), b: simPeer(sim, link.b, extra) };
}
