// Fan-out and latency. Fan-out: N clients in one room, a few senders, the offered rate doubled until a step
// fails (≥ 1% of deliveries late or missing), then bisected; the same search, with the same load
// generator, against the bare UDP relay (bench/raw-relay.ts) as the machine's limit.
// Latency: 50 clients at 1,000 messages/s, one-way latency from send to the 'message' event.
import { BENCH_PASSWORD, freshDir, startBenchServer, type BenchContext, type Row } from './context.ts';
import { obrolanFleet, rawFleet, type Fleet } from './fleet.ts';
import { percentile, runStep, settle, type StepResult } from './load.ts';
import { spawnTs, type Child } from './procs.ts';

/** Clients in the room, per fan-out run. */
const FANOUT_SIZES = [10, 50, 200];
const FANOUT_SIZES_QUICK = [10, 50];
/** Clients that send. */
const SENDERS = 4;
/** The first step offers this many deliveries/s (msgs/s × (N − 1)). */
const START_DELIVERIES_PER_S = 4_000;
/** The search stops once the passing and failing rates are this close (ratio). */
const RESOLUTION = 1.2;
const RESOLUTION_QUICK = 1.5;
/** Most steps of one search. */
const MAX_STEPS = 10;
/** Sending time of one step, in ms. */
const STEP_MS = 2_000;
const STEP_MS_QUICK = 1_000;
/** The latency run: clients, msgs/s, ms of sending. */
const LATENCY_CLIENTS = 50;
const LATENCY_RATE = 1_000;
const LATENCY_MS = 3_000;

type FleetMaker = () => Promise<Fleet>;

export interface Search { best: StepResult | undefined; steps: StepResult[] }

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

function describe(kind: string, n: number, r: StepResult): string {
  return `  ${kind} N=${n}: ${fmt(r.rate)} msg/s → ${fmt(r.deliveriesPerS)} deliveries/s, ${(100 * r.failFraction).toFixed(2)}% late/missing` +
    `, p50 ${r.p50FirstMs.toFixed(1)}→${r.p50SecondMs.toFixed(1)} ms, p99 ${percentile(r.latencies, 0.99).toFixed(1)} ms` +
    `, CPU server ${r.serverCpuPct.toFixed(0)}% load ${r.loadCpuPct.toFixed(0)}% others ${r.othersCpuPct.toFixed(0)}% ${r.ok ? 'ok' : r.sustained ? 'FAIL' : 'FAIL (latency growing)'}`;
}

/** The highest offered rate that passes, by doubling then bisecting. Rebuilds the fleet when it broke or will not settle. */
export async function searchMax(make: FleetMaker, n: number, start: number, ctx: BenchContext, serverPid: number): Promise<Search> {
  let fleet = await make();
  const steps: StepResult[] = [];
  let best: StepResult | undefined;
  let failAt = Infinity;
  let rate = Math.max(1, Math.round(start));
  try {
    for (let i = 0; i < MAX_STEPS; i++) {
      if (!fleet.healthy() || !(await settle(fleet))) {
        ctx.log(`  (${fleet.kind} fleet rebuilt: a client was dropped or a backlog would not drain)`);
        await fleet.close();
        fleet = await make();
        await settle(fleet);
      }
      const r = await runStep(fleet, { senders: Math.min(SENDERS, n - 1), rate, durationMs: ctx.quick ? STEP_MS_QUICK : STEP_MS, serverPid });
      steps.push(r);
      ctx.log(describe(fleet.kind, n, r));
      if (r.ok && (!best || r.rate > best.rate)) best = r;
      if (!r.ok) failAt = Math.min(failAt, rate);
      const lo = best?.rate ?? 0;
      if (failAt / Math.max(lo, 1) <= (ctx.quick ? RESOLUTION_QUICK : RESOLUTION)) break;
      if (!Number.isFinite(failAt)) rate = rate * 2;
      else if (!best) rate = rate / 2;
      else rate = Math.sqrt(lo * failAt);
      rate = Math.max(1, Math.round(rate));
      if (rate === lo || rate === failAt) break;
    }
  } finally {
    await fleet.close();
  }
  return { best, steps };
}

/** Fan-out at 10, 50 and 200 clients (10 and 50 with --quick), Obrolan and the raw relay in turn. */
export async function fanoutScenario(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const server = await startBenchServer(ctx);
  let relay: Child | undefined;
  try {
    relay = await spawnTs('bench/raw-relay.ts', []);
    const relayPort = Number(relay.ready.port);
    for (const n of ctx.quick ? FANOUT_SIZES_QUICK : FANOUT_SIZES) {
      const start = START_DELIVERIES_PER_S / (n - 1);
      const dir = await freshDir(ctx.clientRoot, `fanout${n}`);
      let made = 0;
      const makeObrolan = (): Promise<Fleet> => obrolanFleet({ port: server.port, password: BENCH_PASSWORD, keys: ctx.keys, dir, prefix: `f${n}r${made++}u` }, n);
      ctx.log(`fan-out, ${n} clients: Obrolan`);
      const ob = await searchMax(makeObrolan, n, start, ctx, server.pid);
      ctx.log(`fan-out, ${n} clients: raw UDP relay`);
      const raw = await searchMax(() => rawFleet(relayPort, n), n, Math.max(start, (ob.best?.rate ?? start) / 2), ctx, relay.pid);
      const d = ob.best?.deliveriesPerS ?? 0;
      const rd = raw.best?.deliveriesPerS ?? 0;
      rows.push({
        scenario: 'fanout', clients: n, msgs_per_s: ob.best?.rate ?? 0, deliveries_per_s: Math.round(d),
        raw_msgs_per_s: raw.best?.rate ?? 0, raw_deliveries_per_s: Math.round(rd), ratio_vs_raw: rd > 0 ? round2(d / rd) : 0,
        server_cpu_pct: Math.round(ob.best?.serverCpuPct ?? NaN), load_cpu_pct: Math.round(ob.best?.loadCpuPct ?? NaN),
        others_cpu_pct: Math.round(ob.best?.othersCpuPct ?? NaN),
        p99_ms: round2(percentile(ob.best?.latencies ?? [], 0.99)), steps: ob.steps.length + raw.steps.length,
      });
    }
  } finally {
    await relay?.stop();
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
      await settle(fleet);
      const r = await runStep(fleet, { senders: SENDERS, rate: LATENCY_RATE, durationMs: ctx.quick ? LATENCY_MS / 2 : LATENCY_MS, serverPid: server.pid });
      ctx.log(describe('latency', LATENCY_CLIENTS, r));
      return [{
        scenario: 'latency', clients: LATENCY_CLIENTS, msgs_per_s: LATENCY_RATE,
        p50_ms: round2(percentile(r.latencies, 0.5)), p99_ms: round2(percentile(r.latencies, 0.99)),
        late_or_missing_pct: round2(100 * r.failFraction), deliveries_per_s: Math.round(r.deliveriesPerS),
        server_cpu_pct: Math.round(r.serverCpuPct), load_cpu_pct: Math.round(r.loadCpuPct), others_cpu_pct: Math.round(r.othersCpuPct),
      }];
    } finally {
      await fleet.close();
    }
  } finally {
    await server.stop();
  }
}

export const round2 = (x: number): number => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);
