// The load generator's measurement: a few senders offer a paced rate of ~100-byte messages carrying their
// send time; every other client of the fleet should receive each one. A delivery later than LATE_MS
// after its send, or missing, is a failure. A step passes when under 1% of deliveries fail, the queue is
// short (p50 ≤ SHORT_QUEUE_P50_MS, p99 ≤ SHORT_QUEUE_P99_MS: a rate that is only reached by queueing for
// hundreds of ms is not sustained), and latency does not keep growing during the step (a short step could
// otherwise hide a queue that grows by less than LATE_MS before the step ends). The same criterion holds
// for Obrolan and for every relay.
import { performance } from 'node:perf_hooks';
import type { Fleet } from './fleet.ts';
import { CpuMeter, OthersMeter } from './procs.ts';

/** A delivery later than this after its send counts as late, in ms. */
export const LATE_MS = 1_000;
/** A step passes when fewer than this fraction of deliveries are late or missing. */
export const MAX_FAIL_FRACTION = 0.01;
/** A passing step's median and 99th-percentile latency at most, in ms: the short-queue criterion. */
export const SHORT_QUEUE_P50_MS = 10;
export const SHORT_QUEUE_P99_MS = 200;
/** Size of one chat text, in bytes. */
export const TEXT_BYTES = 100;
/** The sender loop wakes at most this often, in ms. */
const TICK_MS = 2;
/** How often a waiting loop looks again, in ms. */
const POLL_MS = 20;
/** Sustained: median latency of the second half's sends ≤ GROWTH_FACTOR × the first half's + GROWTH_SLACK_MS. */
const GROWTH_FACTOR = 2;
const GROWTH_SLACK_MS = 50;

export interface StepOptions {
  /** Clients 0..senders-1 send, round robin. */
  senders: number;
  /** Offered rate, messages/s over all senders. */
  rate: number;
  /** Sending lasts this long, in ms… */
  durationMs: number;
  /** …or, when given, until this returns true (checked after durationMs), but at most maxMs. */
  until?: () => boolean;
  maxMs?: number;
  /** Process id of the server, to measure its CPU during the step. */
  serverPid?: number;
}

export interface StepResult {
  rate: number;
  sent: number;
  /** Seconds of sending. */
  seconds: number;
  expected: number;
  onTime: number;
  late: number;
  missing: number;
  /** One-way latencies of every delivery received (late ones too), in ms, unsorted. */
  latencies: number[];
  /** On-time deliveries per second of sending. */
  deliveriesPerS: number;
  /** Largest lag of a send behind its schedule (the load generator falling behind), in ms. */
  sendLagMs: number;
  failFraction: number;
  /** Median latency of messages sent in the first and in the second half of the step, in ms. */
  p50FirstMs: number;
  p50SecondMs: number;
  /** False when latency grew during the step: a queue was building. */
  sustained: boolean;
  /** False when p50 or p99 was over the short-queue bounds. */
  shortQueue: boolean;
  ok: boolean;
  serverCpuPct: number;
  loadCpuPct: number;
  /** CPU used meanwhile by processes other than the server and the load generator, % of one core. */
  othersCpuPct: number;
  /** CPU the hypervisor gave other tenants meanwhile (steal), % of one core: a noisy host, not our code. */
  stealPct: number;
}

let stepCounter = 0;

/** The text of one message: step id, sender, number, send time (ms, performance.now()), padded to TEXT_BYTES. */
function makeText(step: number, sender: number, n: number, at: number): string {
  const head = `${step}|${sender}|${n}|${at.toFixed(3)}|`;
  return head + 'x'.repeat(Math.max(0, TEXT_BYTES - head.length));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What arrived of one step's messages: latencies, split by the half of the step the message was sent in. */
class Tally {
  readonly latencies: number[] = [];
  readonly halves: [number[], number[]] = [[], []];
  onTime = 0;
  late = 0;

  constructor(private readonly step: number, private readonly middle: number) {}

  /** Counts one delivered text (texts of other steps are ignored). */
  readonly add = (_receiver: number, text: string): void => {
    // "step|sender|n|at|…": read the step and the send time without splitting the whole text.
    const a = text.indexOf('|');
    if (a < 0 || Number(text.slice(0, a)) !== this.step) return;
    const b = text.indexOf('|', a + 1);
    const c = text.indexOf('|', b + 1);
    const at = Number(text.slice(c + 1, text.indexOf('|', c + 1)));
    const ms = performance.now() - at;
    this.latencies.push(ms);
    this.halves[at < this.middle ? 0 : 1].push(ms);
    if (ms <= LATE_MS) this.onTime++; else this.late++;
  };
}

/** Sends at `o.rate` from `t0` until the step ends; resolves with the count, the largest lag and the last send time. */
function paceSends(fleet: Fleet, o: StepOptions, step: number, t0: number): Promise<{ sent: number; lagMs: number; lastSend: number }> {
  const maxMs = o.maxMs ?? o.durationMs;
  let sent = 0;
  let lagMs = 0;
  let lastSend = t0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - t0;
      const stop = elapsed >= maxMs || (elapsed >= o.durationMs && (!o.until || o.until()));
      // Due by now: message k is due at (k + 1) / rate; a late tick sends the backlog at once and records the lag.
      const due = Math.floor((elapsed * o.rate) / 1000);
      if (due > sent) lagMs = Math.max(lagMs, elapsed - ((sent + 1) * 1000) / o.rate);
      for (; sent < due; sent++) {
        lastSend = performance.now();
        fleet.send(sent % o.senders, makeText(step, sent % o.senders, sent, lastSend));
      }
      if (stop) resolve({ sent, lagMs, lastSend }); else setTimeout(tick, TICK_MS);
    };
    tick();
  });
}

/** Runs one paced step on `fleet` and counts what arrived. Never throws for lost messages; they count as missing. */
export async function runStep(fleet: Fleet, o: StepOptions): Promise<StepResult> {
  const step = ++stepCounter;
  const t0 = performance.now();
  const tally = new Tally(step, t0 + o.durationMs / 2);
  fleet.onText = tally.add;
  const server = o.serverPid !== undefined ? new CpuMeter(o.serverPid) : undefined;
  const load = new CpuMeter();
  const others = new OthersMeter();
  const { sent, lagMs, lastSend } = await paceSends(fleet, o, step, t0);
  const seconds = (performance.now() - t0) / 1000;
  const expected = sent * (fleet.size - 1);
  // Anything arriving after lastSend + LATE_MS is late whatever it is, so waiting longer tells nothing.
  while (tally.onTime + tally.late < expected && performance.now() < lastSend + LATE_MS + POLL_MS) await sleep(POLL_MS);
  fleet.onText = () => {};
  const onTime = Math.min(tally.onTime, expected);
  const missing = Math.max(0, expected - tally.onTime - tally.late);
  const failFraction = expected > 0 ? (tally.late + missing) / expected : 1;
  const p50FirstMs = percentile(tally.halves[0], 0.5);
  const p50SecondMs = percentile(tally.halves[1], 0.5);
  const sustained = !(p50SecondMs > GROWTH_FACTOR * p50FirstMs + GROWTH_SLACK_MS);
  const shortQueue = percentile(tally.latencies, 0.5) <= SHORT_QUEUE_P50_MS && percentile(tally.latencies, 0.99) <= SHORT_QUEUE_P99_MS;
  return {
    rate: o.rate, sent, seconds, expected, onTime, late: tally.late, missing, latencies: tally.latencies,
    deliveriesPerS: onTime / seconds, sendLagMs: lagMs, failFraction, p50FirstMs, p50SecondMs, sustained, shortQueue,
    ok: expected > 0 && failFraction < MAX_FAIL_FRACTION && sustained && shortQueue,
    serverCpuPct: server ? server.pct() : NaN, loadCpuPct: load.pct(), othersCpuPct: others.pct(), stealPct: others.stealPct(),
  };
}

/**
 * Waits until the fleet is quiet: nothing unacknowledged and no delivery for `quietMs`, at most `maxMs`.
 * Returns false when it did not get quiet (a backlog is still draining).
 */
export async function settle(fleet: Fleet, quietMs = 300, maxMs = 5_000): Promise<boolean> {
  const t0 = performance.now();
  let last = performance.now();
  fleet.onText = () => { last = performance.now(); };
  try {
    while (performance.now() - t0 < maxMs) {
      if (fleet.backlog() === 0 && performance.now() - last >= quietMs) return true;
      await sleep(POLL_MS);
    }
    return false;
  } finally {
    fleet.onText = () => {};
  }
}

/** The p-th percentile (0..1) of `xs` (nearest rank); NaN when empty. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}
