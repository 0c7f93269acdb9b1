// A CPU profile of the server under the 50-client fan-out: the server runs under `node --cpu-prof`, the load
// generator offers a steady rate for a few seconds, the server stops cleanly (so the profile is written),
// and the profile is summarised by self time per function and per file.
// Run alone: npm run bench -- --only profile [--profile-rate N]
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BENCH_PASSWORD, freshDir, round2, startBenchServer, type BenchContext, type Row } from './context.ts';
import { obrolanFleet } from './fleet.ts';
import { percentile, runStep, settle } from './load.ts';
import { ROOT } from './procs.ts';

/** Clients and senders of the profiled run; its length of sending, in ms. */
const PROFILE_CLIENTS = 50;
const PROFILE_SENDERS = 4;
const PROFILE_MS = 6_000;
/** Offered msgs/s when neither --profile-rate nor an earlier 50-client fan-out result gives one. */
const PROFILE_RATE_DEFAULT = 200;
/** Sampling interval of the profiler, in µs. */
const SAMPLE_US = 500;
/** Functions and files listed. */
const TOP = 25;

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface SelfTime { name: string; file: string; ms: number; pct: number }

function shortFile(url: string): string {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const rel = relative(ROOT, path);
  return rel.startsWith('..') ? path : rel;
}

/** Self time per function and per file of a .cpuprofile (program, idle and GC kept apart as their own names). */
export function summarise(p: CpuProfile): { functions: SelfTime[]; files: SelfTime[]; totalMs: number; idleMs: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const fn = new Map<string, SelfTime>();
  const file = new Map<string, SelfTime>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    totalUs += us;
    if (cf.functionName === '(idle)') { idleUs += us; continue; }
    const f = shortFile(cf.url);
    // tsx-compiled modules report line 0 for every function: then the file alone is shown.
    const where = cf.url && cf.lineNumber > 0 ? `${f}:${cf.lineNumber + 1}` : f;
    const key = `${cf.functionName || '(anonymous)'} ${where}`;
    const a = fn.get(key) ?? { name: cf.functionName || '(anonymous)', file: where, ms: 0, pct: 0 };
    a.ms += us / 1000;
    fn.set(key, a);
    const g = file.get(f) ?? { name: f, file: f, ms: 0, pct: 0 };
    g.ms += us / 1000;
    file.set(f, g);
  }
  const busyMs = (totalUs - idleUs) / 1000;
  const top = (m: Map<string, SelfTime>): SelfTime[] => [...m.values()].sort((a, b) => b.ms - a.ms).slice(0, TOP)
    .map((x) => ({ ...x, ms: round2(x.ms), pct: round2((100 * x.ms) / Math.max(busyMs, 1e-9)) }));
  return { functions: top(fn), files: top(file), totalMs: round2(totalUs / 1000), idleMs: round2(idleUs / 1000) };
}

/** Text table of a summary (percentages are of the server's busy time, idle excluded). */
export function formatProfile(s: ReturnType<typeof summarise>): string {
  const line = (x: SelfTime): string => `${x.ms.toFixed(0).padStart(7)} ms ${x.pct.toFixed(1).padStart(5)}%  ${x.name}${x.file !== x.name ? `  ${x.file}` : ''}\n`;
  return `profile: ${s.totalMs.toFixed(0)} ms sampled, ${(s.totalMs - s.idleMs).toFixed(0)} ms busy\n` +
    `top functions by self time:\n${s.functions.map(line).join('')}by file:\n${s.files.map(line).join('')}`;
}

/** Profiles the server during a steady 50-client fan-out at `rate` msgs/s (default: the 50-client result of this run). */
export async function profileScenario(ctx: BenchContext, earlier: Row[], rateArg?: number): Promise<Row[]> {
  const found = earlier.find((r) => r.scenario === 'fanout' && r.clients === PROFILE_CLIENTS)?.msgs_per_s;
  const rate = rateArg ?? (typeof found === 'number' && found > 0 ? found : PROFILE_RATE_DEFAULT);
  const profDir = await freshDir(ctx.root, 'profile');
  const server = await startBenchServer(ctx, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-interval=${SAMPLE_US}`] });
  let step;
  try {
    const fleet = await obrolanFleet({ port: server.port, password: BENCH_PASSWORD, keys: ctx.keys, dir: await freshDir(ctx.clientRoot, 'profile'), prefix: 'prof' }, PROFILE_CLIENTS);
    try {
      await settle(fleet);
      step = await runStep(fleet, { senders: PROFILE_SENDERS, rate, durationMs: ctx.quick ? PROFILE_MS / 2 : PROFILE_MS, serverPid: server.pid });
    } finally {
      await fleet.close();
    }
  } finally {
    await server.stop();
  }
  const file = (await readdir(profDir)).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`the server wrote no profile into ${profDir}`);
  const s = summarise(JSON.parse(await readFile(join(profDir, file), 'utf8')) as CpuProfile);
  ctx.log(`  profiled at ${rate} msg/s: ${Math.round(step.deliveriesPerS)} deliveries/s, ${(100 * step.failFraction).toFixed(2)}% late/missing, p99 ${percentile(step.latencies, 0.99).toFixed(1)} ms`);
  ctx.log(formatProfile(s));
  return [{
    scenario: 'profile', clients: PROFILE_CLIENTS, msgs_per_s: rate, deliveries_per_s: Math.round(step.deliveriesPerS),
    server_cpu_pct: Math.round(step.serverCpuPct), busy_ms: round2(s.totalMs - s.idleMs),
    top_functions: s.functions.slice(0, 15), top_files: s.files.slice(0, 10),
  }];
}

// Alone, it summarises a profile file: node --import tsx bench/profile.ts FILE.cpuprofile
if (process.argv[1]?.endsWith('profile.ts') && process.argv[2]) {
  const s = summarise(JSON.parse(await readFile(process.argv[2], 'utf8')) as CpuProfile);
  process.stdout.write(formatProfile(s));
}
