// Fan-out and latency. Fan-out: N clients in one room, a few senders, the offered rate doubled until a step
// fails (bench/load.ts: ≥ 1% late or missing, a long or growing queue), then bisected; the same search,
// with the same load generator, against two bare UDP relays (bench/raw-relay.ts): one datagram per
// delivery, and packing up to 8 messages a datagram as Obrolan does (the machine's limit for that packing).
// Latency: 50 clients at 1,000 messages/s, one-way latency from send to the 'message' event.
import { performance } from 'node:perf_hooks';
import { BENCH_PASSWORD, freshDir, round2, serverStats, startBenchServer, type BenchContext, type Row } from './context.ts';
import { obrolanFleet, rawFleet, type Fleet } from './fleet.ts';
import { percentile, runStep, settle, type StepResult } from './load.ts';
import { spawnTs, type Child } from './procs.ts';

/** Clients in the room, per fan-out run. */
const FANOUT_SIZES = [10, 50, 200];
const FANOUT_SIZES_QUICK = [50];
/** Clients that send. */
const SENDERS = 4;
/** The first step offers this many deliveries/s (msgs/s × (N − 1)): Obrolan, and the raw relay (which goes far higher). */
const START_DELIVERIES_PER_S = 4_000;
const RAW_START_DELIVERIES_PER_S = 64_000;
/** The search stops once the passing and failing rates are this close (ratio). */
const RESOLUTION = 1.3;
const RESOLUTION_QUICK = 1.5;
/** A fresh fleet must be quiet this long before the first step, in ms. */
const FRESH_QUIET_MS = 1_000;
/** Most steps of one search. */
const MAX_STEPS = 10;
/** Sending time of one step, in ms. */
const STEP_MS = 1_500;
const STEP_MS_QUICK = 1_000;
/** The latency run: clients, msgs/s, ms of sending. */
const LATENCY_CLIENTS = 50;
const LATENCY_RATE = 1_000;
const LATENCY_MS = 1_500;
const LATENCY_MS_QUICK = 1_000;
/** The latency run first offers the same load this long, unmeasured, in ms: a server runs for hours, so its
 * figures should not include the JIT compiling its hot paths in the first seconds after start. */
const LATENCY_WARMUP_MS = 2_000;

type FleetMaker = () => Promise<Fleet>;

/** A step, with the datagrams the server sent per delivery when it can tell (coalescing: below 1 is better). */
export type Step = StepResult & { datagramsPerDelivery?: number };

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

function describe(kind: string, n: number, r: Step): string {
  return `  ${kind} N=${n}: ${fmt(r.rate)} msg/s → ${fmt(r.deliveriesPerS)} deliveries/s, ${(100 * r.failFraction).toFixed(2)}% late/missing` +
    (r.datagramsPerDelivery !== undefined ? `, ${r.datagramsPerDelivery.toFixed(2)} datagrams/delivery` : '') +
    `, p50 ${r.p50FirstMs.toFixed(1)}→${r.p50SecondMs.toFixed(1)} ms, p99 ${percentile(r.latencies, 0.99).toFixed(1)} ms` +
    `, CPU server ${r.serverCpuPct.toFixed(0)}% load ${r.loadCpuPct.toFixed(0)}% others ${r.othersCpuPct.toFixed(0)}% steal ${r.stealPct.toFixed(0)}% ${r.ok ? 'ok' : !r.sustained ? 'FAIL (latency growing)' : !r.shortQueue ? 'FAIL (long queue)' : 'FAIL'}`;
}

/** The next rate to try: double until a step fails, then bisect (geometric mean); undefined when done. */
function nextRate(rate: number, best: number, failAt: number, resolution: number): number | undefined {
  if (failAt / Math.max(best, 1) <= resolution) return undefined;
  const next = Math.max(1, Math.round(!Number.isFinite(failAt) ? rate * 2 : best === 0 ? rate / 2 : Math.sqrt(best * failAt)));
  return next === best || next === failAt ? undefined : next;
}

/** Makes fleets, logging how long each took, and waits until a fresh one is quiet. */
async function freshFleet(make: FleetMaker, n: number, ctx: BenchContext): Promise<Fleet> {
  const t0 = performance.now();
  const f = await make();
  ctx.log(`  (${f.kind} fleet of ${n} ready in ${Math.round(performance.now() - t0)} ms)`);
  // New members' join work (key fingerprints saved by every client) runs on after login: let it finish.
  await settle(f, FRESH_QUIET_MS);
  return f;
}

/** One step; with `counts`, also the server's datagrams sent per delivery (from its stats before and after). */
async function countedStep(fleet: Fleet, n: number, rate: number, ctx: BenchContext, server: Child, counts: boolean): Promise<Step> {
  const before = counts ? await serverStats(server) : undefined;
  const r: Step = await runStep(fleet, { senders: Math.min(SENDERS, n - 1), rate, durationMs: ctx.quick ? STEP_MS_QUICK : STEP_MS, serverPid: server.pid });
  if (before) r.datagramsPerDelivery = ((await serverStats(server)).datagramsOut! - before.datagramsOut!) / Math.max(1, r.onTime + r.late);
  ctx.log(describe(fleet.kind, n, r));
  return r;
}

/**
 * The highest offered rate that passes, by doubling then bisecting, one step at a time (`step()`), so that
 * several searches can take turns and see the same noise. Rebuilds the fleet when it broke or will not settle.
 */
export class RateSearch {
  readonly steps: Step[] = [];
  best: Step | undefined;
  private fleet: Fleet | undefined;
  private failAt = Infinity;
  private rate: number | undefined;

  constructor(private readonly make: FleetMaker, private readonly n: number, start: number, private readonly ctx: BenchContext,
    private readonly server: Child, private readonly counts = false) {
    this.rate = Math.max(1, Math.round(start));
  }

  get done(): boolean { return this.rate === undefined || this.steps.length >= MAX_STEPS; }

  /** Runs the next step (making the fleet first if needed); does nothing once done. */
  async step(): Promise<void> {
    if (this.done) return;
    if (!this.fleet) this.fleet = await freshFleet(this.make, this.n, this.ctx);
    else if (!this.fleet.healthy() || !(await settle(this.fleet))) {
      this.ctx.log(`  (${this.fleet.kind} fleet rebuilt: a client was dropped or a backlog would not drain)`);
      await this.fleet.close();
      this.fleet = await freshFleet(this.make, this.n, this.ctx);
    }
    const rate = this.rate!;
    const r = await countedStep(this.fleet, this.n, rate, this.ctx, this.server, this.counts);
    this.steps.push(r);
    if (r.ok && (!this.best || r.rate > this.best.rate)) this.best = r;
    if (!r.ok) this.failAt = Math.min(this.failAt, rate);
    this.rate = nextRate(rate, this.best?.rate ?? 0, this.failAt, this.ctx.quick ? RESOLUTION_QUICK : RESOLUTION);
    // A finished search lets its clients go at once: idle fleets would only add to the others' noise.
    if (this.done) await this.close();
  }

  async close(): Promise<void> {
    const f = this.fleet;
    this.fleet = undefined;
    await f?.close();
  }
}

/** Runs the searches in turns, one step each, until all are done. */
async function interleaved(searches: RateSearch[]): Promise<void> {
  try {
    while (searches.some((s) => !s.done)) for (const s of searches) await s.step();
  } finally {
    for (const s of searches) await s.close();
  }
}

/** Server CPU per delivery, in µs: CPU % of one core × 10,000 / deliveries per second. */
function usPerDelivery(r: Step | undefined): number {
  return r && r.deliveriesPerS > 0 ? round2((r.serverCpuPct * 10_000) / r.deliveriesPerS) : NaN;
}

function fanoutRow(n: number, ob: RateSearch, raw: RateSearch, packed: RateSearch): Row {
  const d = ob.best?.deliveriesPerS ?? 0;
  const rd = raw.best?.deliveriesPerS ?? 0;
  const pd = packed.best?.deliveriesPerS ?? 0;
  const row: Row = {
    scenario: 'fanout', clients: n, msgs_per_s: ob.best?.rate ?? 0, deliveries_per_s: Math.round(d),
    raw_msgs_per_s: raw.best?.rate ?? 0, raw_deliveries_per_s: Math.round(rd), ratio_vs_raw: rd > 0 ? round2(d / rd) : 0,
    packed_raw_deliveries_per_s: Math.round(pd), ratio_vs_packed_raw: pd > 0 ? round2(d / pd) : 0,
    server_us_per_delivery: usPerDelivery(ob.best),
    server_cpu_pct: Math.round(ob.best?.serverCpuPct ?? NaN), load_cpu_pct: Math.round(ob.best?.loadCpuPct ?? NaN),
    others_cpu_pct: Math.round(ob.best?.othersCpuPct ?? NaN), steal_pct: Math.round(ob.best?.stealPct ?? NaN),
    raw_relay_cpu_pct: Math.round(raw.best?.serverCpuPct ?? NaN), raw_steal_pct: Math.round(raw.best?.stealPct ?? NaN),
    packed_raw_steal_pct: Math.round(packed.best?.stealPct ?? NaN),
    p50_ms: round2(percentile(ob.best?.latencies ?? [], 0.5)), p99_ms: round2(percentile(ob.best?.latencies ?? [], 0.99)),
    datagrams_per_delivery: round2(ob.best?.datagramsPerDelivery ?? NaN), steps: ob.steps.length + raw.steps.length + packed.steps.length,
  };
  // A search with no passing step measured nothing: an error row, not a 0 that reads like a figure.
  const none = [['Obrolan', ob], ['raw relay', raw], ['packed raw relay', packed]].filter(([, s]) => !(s as RateSearch).best).map(([k]) => k);
  return none.length ? { ...row, error: `no passing step for ${none.join(', ')} at ${n} clients` } : row;
}

/** Fan-out at 10, 50 and 200 clients (10 and 50 with --quick): Obrolan and the two relays, a step of each in turn. */
export async function fanoutScenario(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const server = await startBenchServer(ctx);
  let relay: Child | undefined;
  let packedRelay: Child | undefined;
  try {
    relay = await spawnTs('bench/raw-relay.ts', []);
    packedRelay = await spawnTs('bench/raw-relay.ts', ['--packed']);
    const relayPort = Number(relay.ready.port);
    const packedPort = Number(packedRelay.ready.port);
    for (const n of ctx.fanoutSizes ?? (ctx.quick ? FANOUT_SIZES_QUICK : FANOUT_SIZES)) {
      const dir = await freshDir(ctx.clientRoot, `fanout${n}`);
      let made = 0;
      const makeObrolan = (): Promise<Fleet> => obrolanFleet({ port: server.port, password: BENCH_PASSWORD, keys: ctx.keys, dir, prefix: `f${n}r${made++}u` }, n);
      ctx.log(`fan-out, ${n} clients: Obrolan, the raw UDP relay and the packed one, a step of each in turn`);
      const ob = new RateSearch(makeObrolan, n, START_DELIVERIES_PER_S / (n - 1), ctx, server, true);
      const raw = new RateSearch(() => rawFleet(relayPort, n), n, RAW_START_DELIVERIES_PER_S / (n - 1), ctx, relay);
      const packed = new RateSearch(() => rawFleet(packedPort, n), n, RAW_START_DELIVERIES_PER_S / (n - 1), ctx, packedRelay);
      await interleaved([ob, raw, packed]);
      rows.push(fanoutRow(n, ob, raw, packed));
    }
  } finally {
    await relay?.stop();
    await packedRelay?.stop();
    await server.stop();
  }
  return rows;
}

/** One-way latency with 50 clients at 1,000 messages/s. */
export async function latencyScenario(ctx: BenchContext): Promise<Row[]> {
  const server = await startBenchServer(ctx);
  try {
    const dir = await freshDir(ctx.clientRoot, 'latency');
    const fleet = await obrolanFleet({ port: server.port, password: BENCH_PASSWORD, keys: ctx.keys, dir, prefix: 'lat' }, LATENCY_CLIENTS);
    try {
      await settle(fleet, FRESH_QUIET_MS);
      const warm = await runStep(fleet, { senders: SENDERS, rate: LATENCY_RATE, durationMs: LATENCY_WARMUP_MS, serverPid: server.pid });
      ctx.log(describe('latency warm-up', LATENCY_CLIENTS, warm));
      await settle(fleet);
      const r = await runStep(fleet, { senders: SENDERS, rate: LATENCY_RATE, durationMs: ctx.quick ? LATENCY_MS_QUICK : LATENCY_MS, serverPid: server.pid });
      ctx.log(describe('latency', LATENCY_CLIENTS, r));
      return [{
        scenario: 'latency', clients: LATENCY_CLIENTS, msgs_per_s: LATENCY_RATE,
        p50_ms: round2(percentile(r.latencies, 0.5)), p99_ms: round2(percentile(r.latencies, 0.99)),
        late_or_missing_pct: round2(100 * r.failFraction), deliveries_per_s: Math.round(r.deliveriesPerS),
        server_cpu_pct: Math.round(r.serverCpuPct), load_cpu_pct: Math.round(r.loadCpuPct), others_cpu_pct: Math.round(r.othersCpuPct), steal_pct: Math.round(r.stealPct),
      }];
    } finally {
      await fleet.close();
    }
  } finally {
    await server.stop();
  }
}
