// Scale: how many idle logged-in clients one server holds (and what they cost it), and a login storm of
// 200 clients at once while a few others chat.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChatClient } from '../lib/chat/client.ts';
import { BENCH_PASSWORD, freshDir, round2, serverStats, startBenchServer, type BenchContext, type Row } from './context.ts';
import { awaitCloses, loginClient, obrolanFleet, type ObrolanFleetOptions } from './fleet.ts';
import { percentile, runStep, settle } from './load.ts';
import { CpuMeter, rssMbOf, spawnTs, type Child } from './procs.ts';

/** Idle: most clients, clients per batch, and the time the ramp may take, in ms. */
const IDLE_TARGET = 2_000;
const IDLE_TARGET_QUICK = 500;
const IDLE_BATCH = 100;
const IDLE_RAMP_BUDGET_MS = 20_000;
const IDLE_RAMP_BUDGET_QUICK_MS = 10_000;
/** Idle: pause after the ramp, then the window over which idle CPU is measured, in ms. */
const IDLE_SETTLE_MS = 1_000;
const IDLE_MEASURE_MS = 5_000;
/** Storm: clients logging in at once, clients chatting meanwhile, and their rate in msgs/s. */
const STORM_CLIENTS = 200;
const STORM_CHATTERS = 10;
const STORM_SENDERS = 2;
const STORM_CHAT_RATE = 50;
/** Storm: chat runs this long before the storm starts; a storm login gives up after this long, in ms. */
const STORM_LEAD_MS = 300;
const STORM_LOGIN_LIMIT_MS = 10_000;
const STORM_MAX_MS = STORM_LOGIN_LIMIT_MS + 2_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Batch { size: number; ms: number; serverCpuMs: number; failures: number; error?: string }

async function closeAll(clients: ChatClient[]): Promise<void> {
  for (let i = 0; i < clients.length; i += 200) await Promise.all(clients.slice(i, i + 200).map((c) => c.close().catch(() => {})));
}

/** Logs in one batch at once; pushes the clients that got in. */
async function loginBatch(o: ObrolanFleetOptions, from: number, size: number, serverPid: number, into: ChatClient[]): Promise<Batch> {
  const cpu = new CpuMeter(serverPid);
  const t0 = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: size }, (_, k) => loginClient(o, `${o.prefix}${from + k}`)));
  const batch: Batch = { size, ms: performance.now() - t0, serverCpuMs: cpu.usedMs(), failures: 0 };
  for (const s of settled) {
    if (s.status === 'fulfilled') into.push(s.value.client);
    else { batch.failures++; batch.error ??= (s.reason as Error).message; }
  }
  return batch;
}

interface Ramp { batches: Batch[]; seconds: number; stopped: string }

/** Logs in batches of IDLE_BATCH into `clients` until `target`, a failed batch, or the time budget. */
async function ramp(ctx: BenchContext, o: ObrolanFleetOptions, serverPid: number, clients: ChatClient[]): Promise<Ramp> {
  const target = ctx.idleClients ?? (ctx.quick ? IDLE_TARGET_QUICK : IDLE_TARGET);
  const budget = ctx.idleBudgetMs ?? (ctx.quick ? IDLE_RAMP_BUDGET_QUICK_MS : IDLE_RAMP_BUDGET_MS);
  const batches: Batch[] = [];
  const t0 = performance.now();
  let stopped = '';
  let named = 0;
  while (clients.length < target) {
    if (performance.now() - t0 > budget) { stopped = `ramp stopped at the ${budget / 1000} s budget`; break; }
    const b = await loginBatch(o, named, Math.min(IDLE_BATCH, target - clients.length), serverPid, clients);
    named += b.size;
    batches.push(b);
    ctx.log(`  ${clients.length} in: batch of ${b.size} took ${Math.round(b.ms)} ms, server ${Math.round(b.serverCpuMs / b.size)} ms CPU per join${b.failures ? `, ${b.failures} failed (${b.error})` : ''}`);
    if (b.failures) { stopped = `ramp stopped: ${b.failures} logins failed (${b.error})`; break; }
  }
  if (stopped) ctx.log(`  ${stopped}`);
  return { batches, seconds: (performance.now() - t0) / 1000, stopped };
}

/** Idle scale: log in batches of 100 up to 2,000 (500 with --quick), then measure the server at rest. */
export async function idleScenario(ctx: BenchContext): Promise<Row[]> {
  const server = await startBenchServer(ctx);
  const clients: ChatClient[] = [];
  try {
    const o: ObrolanFleetOptions = { port: server.port, password: BENCH_PASSWORD, keys: ctx.keys, dir: await freshDir(ctx.clientRoot, 'idle'), prefix: 'idle' };
    const { batches, seconds, stopped } = await ramp(ctx, o, server.pid, clients);
    await sleep(IDLE_SETTLE_MS);
    const cpu = new CpuMeter(server.pid);
    await sleep(IDLE_MEASURE_MS);
    const cpuPct = cpu.pct();
    const held = clients.filter((c) => c.state === 'connected').length;
    const stats = await serverStats(server);
    const perJoin = (b: Batch | undefined): number => (b ? round2(b.serverCpuMs / b.size) : NaN);
    return [{
      scenario: 'idle', idle_clients: held, rss_mb: round2(rssMbOf(server.pid)), cpu_pct: round2(cpuPct), ramp_s: round2(seconds),
      join_cpu_ms_first: perJoin(batches[0]), join_cpu_ms_last: perJoin(batches.at(-1)),
      batch_ms_first: Math.round(batches[0]?.ms ?? NaN), batch_ms_last: Math.round(batches.at(-1)?.ms ?? NaN),
      server_users: stats.users, server_heap_mb: stats.heap_used_mb, server_external_mb: stats.external_mb,
      server_heap_total_mb: stats.heap_total_mb, server_new_space_mb: stats.new_space_mb,
      join_messages: (held * (held - 1)) / 2, load_rss_mb: round2(process.memoryUsage().rss / 2 ** 20), ...(stopped ? { stopped } : {}),
    }];
  } finally {
    // Stop the server first: its CLOSE ends every client at once, instead of 2,000 leave broadcasts.
    await server.stop();
    await closeAll(clients);
    await awaitCloses();
  }
}

/**
 * Logs STORM_CLIENTS in at once, from `peer` (bench/storm-peer.ts: other machines, not the process that times
 * the chat); returns how long until every login settled, how many failed and how many are in.
 */
async function storm(peer: Child): Promise<{ ms: number; failures: number; in: number }> {
  const done = peer.nextLine((l) => l.includes('"type":"done"'), STORM_MAX_MS + 5_000);
  peer.proc.stdin!.write('go\n');
  return JSON.parse(await done) as { ms: number; failures: number; in: number };
}

/** Login storm: 200 clients log in at once while 10 others chat at 50 msgs/s; time to all in, chat latency meanwhile. */
export async function stormScenario(ctx: BenchContext): Promise<Row[]> {
  const server = await startBenchServer(ctx);
  let peer: Child | undefined;
  try {
    const base = { port: server.port, password: BENCH_PASSWORD, keys: ctx.keys, dir: await freshDir(ctx.clientRoot, 'storm') };
    peer = await spawnTs('bench/storm-peer.ts', ['--port', String(server.port), '--dir', await freshDir(ctx.clientRoot, 'storm-peer'), '--keys-dir', join(ctx.root, 'load-keys'),
      '--count', String(STORM_CLIENTS), '--limit-ms', String(STORM_LOGIN_LIMIT_MS)], { stdin: true });
    const chatters = await obrolanFleet({ ...base, prefix: 'chat' }, STORM_CHATTERS);
    try {
      await settle(chatters);
      let done = false;
      const chat = runStep(chatters, { senders: STORM_SENDERS, rate: STORM_CHAT_RATE, durationMs: STORM_LEAD_MS * 2, until: () => done, maxMs: STORM_MAX_MS });
      await sleep(STORM_LEAD_MS);
      await serverStats(server); // resets the server's event-loop delay record
      const serverCpu = new CpuMeter(server.pid);
      const loadCpu = new CpuMeter();
      const peerCpu = new CpuMeter(peer.pid);
      const s = await storm(peer);
      const serverPct = serverCpu.pct();
      const loadPct = loadCpu.pct();
      const peerPct = peerCpu.pct();
      const stats = await serverStats(server);
      done = true;
      const r = await chat;
      ctx.log(`  ${s.in} of ${STORM_CLIENTS} in after ${Math.round(s.ms)} ms; chat p99 ${percentile(r.latencies, 0.99).toFixed(1)} ms over ${r.sent} messages`);
      return [{
        // "All in" only means something when all got in; otherwise it is missing and `logged_in` says how many did.
        scenario: 'login_storm', clients: STORM_CLIENTS, logged_in: s.in, all_in_ms: s.failures ? NaN : Math.round(s.ms),
        login_limit_ms: STORM_LOGIN_LIMIT_MS, chat_msgs_per_s: STORM_CHAT_RATE, chat_p50_ms: round2(percentile(r.latencies, 0.5)),
        chat_p99_ms: round2(percentile(r.latencies, 0.99)), chat_late_or_missing_pct: round2(100 * r.failFraction),
        server_cpu_pct: Math.round(serverPct), load_cpu_pct: Math.round(loadPct), newcomers_cpu_pct: Math.round(peerPct), server_loop_delay_max_ms: stats.loop_delay_max_ms,
      }];
    } finally {
      await chatters.close();
    }
  } finally {
    await peer?.stop();
    await server.stop();
  }
}
