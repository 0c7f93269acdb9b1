// The hostile scenario (issue 12): 50 members chat at 200 msg/s and 20 honest clients log in one after the
// other (in their own process, bench/honest-peer.ts: newcomers are other machines, and their logins must not
// stall the process that times the chat), first with nobody attacking (the baseline), then while bench/hostile-attacker.ts, in its own
// process, forces handshakes and holds connections that never log in from 127.0.0.2–127.0.0.9 and floods
// `keys` requests from a logged-in user. The server runs with its default limits (server-proc --hostile).
// One row: login p95 and chat p99 with their baselines, messages lost, server RSS growth over its idle
// figure and the seconds it took to come back after the attack, and how hard the attack pushed (measured).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BENCH_PASSWORD, freshDir, round2, serverStats, startBenchServer, type BenchContext, type Row } from './context.ts';
import { obrolanFleet, type Fleet, type ObrolanFleetOptions, type OnText } from './fleet.ts';
import { percentile, runStep, settle } from './load.ts';
import { CpuMeter, spawnTs, type Child } from './procs.ts';

const MEMBERS = 50;
/** Members logging in at once (the per-address limit before login is 16). */
const MEMBER_BATCH = 10;
const CHAT_RATE = 200;
const HONEST_LOGINS = 20;
/** Pause between two honest logins, in ms. */
const HONEST_GAP_MS = 150;
/** A login slower than this counts as failed (and as this long in the percentile), in ms. */
const HONEST_TIMEOUT_MS = 10_000;
/** Chat of one phase, in ms (the honest logins run meanwhile). */
const PHASE_MS = 10_000;
/** The attack runs this long before the measured phase starts, in ms (so the held connections are up). */
const ATTACK_WARMUP_MS = 3_000;
/** After the attack: how long to watch the RSS at most; it counts as back once within max(5 MB, 10 %) of its
 * figure before the attack; and the second at which the RSS is reported whatever it is (the goal: back within 15 s). */
const RECOVERY_MAX_MS = 20_000;
const recoveredMarginMb = (beforeMb: number): number => Math.max(5, beforeMb * 0.1);
const RSS_REPORT_S = 15;
/** After a phase, late deliveries are waited for this long at most, in ms (what never comes is lost). */
const SETTLE_MAX_MS = 15_000;

/** UDP datagrams the kernel dropped for a full receive buffer, machine-wide (/proc/net/snmp RcvbufErrors). */
function rcvbufErrors(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const [head, vals] = lines.map((l) => l.trim().split(/\s+/));
    return Number(vals![head!.indexOf('RcvbufErrors')]);
  } catch { return NaN; }
}

interface Phase { loginP95: number; loginFailed: number; chatP99: number; lost: number; cpu: string; serverCpu: number; loadCpu: number; othersCpu: number }

/**
 * 20 honest logins, one after the other, each closed at once, in `peer` (bench/honest-peer.ts: another
 * machine's client, not the process that measures the chat); resolves with their times (ms).
 */
async function honestLogins(peer: Child, tag: string): Promise<{ ms: number[]; failed: number }> {
  const done = peer.nextLine((l) => l.includes('"type":"done"'), HONEST_LOGINS * (HONEST_TIMEOUT_MS + HONEST_GAP_MS));
  peer.proc.stdin!.write(`go ${tag}\n`);
  const r = JSON.parse(await done) as { ms: number[]; failed: number };
  return { ms: r.ms, failed: r.failed };
}

/**
 * A view of `fleet` that also records the latency of every delivery, however late: the step's own tally
 * stops 1 s after its last send and counts later arrivals as missing, which would call late messages lost.
 */
function tallyAll(fleet: Fleet): { view: Fleet; latencies: number[]; done(): void } {
  const latencies: number[] = [];
  let inner: OnText = () => {};
  fleet.onText = (i, text) => {
    const at = Number(text.split('|', 4)[3]); // step|sender|n|sent at (ms)|…
    if (Number.isFinite(at)) latencies.push(performance.now() - at);
    inner(i, text);
  };
  const view: Fleet = {
    kind: fleet.kind, size: fleet.size,
    get onText() { return inner; },
    set onText(fn: OnText) { inner = fn; },
    send: (i, text) => fleet.send(i, text), healthy: () => fleet.healthy(), backlog: () => fleet.backlog(), close: () => fleet.close(),
  };
  return { view, latencies, done: () => { fleet.onText = () => {}; } };
}

async function phase(fleet: Fleet, peer: Child, tag: string, serverPid: number): Promise<Phase> {
  const all = tallyAll(fleet);
  const [step, logins] = await Promise.all([
    runStep(all.view, { senders: MEMBERS, rate: CHAT_RATE, durationMs: PHASE_MS, serverPid }),
    honestLogins(peer, tag),
  ]);
  await settle(all.view, 500, SETTLE_MAX_MS);
  all.done();
  const cpu = `CPU % of a core: server ${step.serverCpuPct.toFixed(0)}, load ${step.loadCpuPct.toFixed(0)}, others ${step.othersCpuPct.toFixed(0)}; ` +
    `${step.late + step.missing} of ${step.expected} deliveries later than 1 s`;
  return { loginP95: percentile(logins.ms, 0.95), loginFailed: logins.failed, chatP99: percentile(all.latencies, 0.99), lost: Math.max(0, step.expected - all.latencies.length), cpu,
    serverCpu: Math.round(step.serverCpuPct), loadCpu: Math.round(step.loadCpuPct), othersCpu: Math.round(step.othersCpuPct) };
}

/** Samples the server's RSS and pre-login count every second until `stop()`; keeps the peaks. */
function sampler(server: Child): { stop(): Promise<{ rssPeak: number; preLoginPeak: number }> } {
  let rssPeak = 0;
  let preLoginPeak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const s = await serverStats(server).catch(() => undefined);
      if (s) { rssPeak = Math.max(rssPeak, s.rss_mb ?? 0); preLoginPeak = Math.max(preLoginPeak, s.preLogin ?? 0); }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return { stop: async () => { running = false; await loop; return { rssPeak, preLoginPeak }; } };
}

/**
 * Seconds until the server's RSS is within recoveredMarginMb(beforeMb) of `beforeMb` (null if not within
 * RECOVERY_MAX_MS); the RSS RSS_REPORT_S seconds after the attack, whatever it is; the live heap (MB) then.
 */
async function recovery(server: Child, beforeMb: number, log: (line: string) => void): Promise<{ s: number | null; rssAtReportMb: number; heapMb: number; compactions: number; rss: number[]; loopMaxMs: number }> {
  const t0 = performance.now();
  const seen: string[] = [];
  let heapMb = NaN;
  let back: number | null = null;
  let rssAtReportMb = NaN;
  let compactions = 0;
  const rss: number[] = [];
  let loopMaxMs = 0;
  try {
    for (let elapsed = 0; elapsed < RECOVERY_MAX_MS; elapsed = performance.now() - t0) {
      const s = await serverStats(server);
      seen.push(`${s.rss_mb}/${s.heap_used_mb}/${s.heap_total_mb}/${s.new_space_mb}/${s.external_mb}`);
      heapMb = s.heap_used_mb ?? NaN;
      rss.push(s.rss_mb ?? NaN);
      loopMaxMs = Math.max(loopMaxMs, s.loop_delay_max_ms ?? 0); // the compactions' pauses show here
      compactions = s.compactions ?? 0;
      if (back === null && (s.rss_mb ?? Infinity) <= beforeMb + recoveredMarginMb(beforeMb)) back = round2(elapsed / 1000);
      if (elapsed >= RSS_REPORT_S * 1000) { rssAtReportMb = s.rss_mb ?? NaN; if (back !== null) break; }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    return { s: back, rssAtReportMb, heapMb, compactions, rss, loopMaxMs };
  } finally {
    log(`  RSS/heap used/heap total/new space/external after the attack, each second: ${seen.join(', ')} MB (RSS before it: ${beforeMb} MB; back means within ${recoveredMarginMb(beforeMb).toFixed(1)} MB)`);
  }
}

export async function hostileScenario(ctx: BenchContext): Promise<Row[]> {
  const server = await startBenchServer(ctx, { args: ['--hostile'] });
  let attacker: Child | undefined;
  let fleet: Fleet | undefined;
  let peer: Child | undefined;
  try {
    const o: ObrolanFleetOptions = { port: server.port, password: BENCH_PASSWORD, keys: ctx.keys, dir: await freshDir(ctx.clientRoot, 'hostile'), prefix: 'm' };
    fleet = await obrolanFleet(o, MEMBERS, MEMBER_BATCH);
    peer = await spawnTs('bench/honest-peer.ts', ['--port', String(server.port), '--dir', await freshDir(ctx.clientRoot, 'honest'), '--keys-dir', join(ctx.root, 'load-keys'),
      '--count', String(HONEST_LOGINS), '--gap-ms', String(HONEST_GAP_MS), '--timeout-ms', String(HONEST_TIMEOUT_MS)], { stdin: true });
    await settle(fleet);
    const idleMb = (await serverStats(server)).rss_mb!;
    ctx.log(`  ${MEMBERS} members in; server RSS ${idleMb} MB; baseline…`);
    const base = await phase(fleet, peer, 'b', server.pid);
    ctx.log(`  baseline: login p95 ${base.loginP95.toFixed(0)} ms, chat p99 ${base.chatP99.toFixed(1)} ms, lost ${base.lost} (${base.cpu}); attack…`);
    const pre = await serverStats(server);
    const beforeMb = pre.rss_mb!;
    ctx.log(`  before the attack: RSS ${pre.rss_mb}, heap used ${pre.heap_used_mb}, heap total ${pre.heap_total_mb}, new space ${pre.new_space_mb}, external ${pre.external_mb} MB`);
    const heapBefore = pre.heap_used_mb!;
    const dir = await freshDir(ctx.clientRoot, 'attacker');
    attacker = await spawnTs('bench/hostile-attacker.ts', [String(server.port), BENCH_PASSWORD, dir, 'm', String(MEMBERS)],
      { readyWhen: (l) => l.includes('"ready"') });
    const last = { handshakes: 0 };
    attacker.proc.stdout!.on('data', (d: Buffer) => {
      for (const l of d.toString().split('\n')) if (l.includes('"attack"')) { try { Object.assign(last, JSON.parse(l)); } catch { /* partial line */ } }
    });
    const attackerCpu = new CpuMeter(attacker.pid);
    const samples = sampler(server);
    await new Promise((r) => setTimeout(r, ATTACK_WARMUP_MS));
    const from = { handshakes: last.handshakes, at: performance.now() };
    const before = await serverStats(server);
    const kernelDrops = rcvbufErrors();
    const hit = await phase(fleet, peer, 'a', server.pid);
    const after = await serverStats(server);
    const drops = after.dropped as unknown as Record<string, number>;
    const was = before.dropped as unknown as Record<string, number>;
    ctx.log(`  during the attack (${hit.cpu}): kernel receive-buffer drops ${rcvbufErrors() - kernelDrops}; server loop delay p99 ${after.loop_delay_p99_ms} ms, max ${after.loop_delay_max_ms} ms; datagrams in ${after.datagramsIn! - before.datagramsIn!}, out ${after.datagramsOut! - before.datagramsOut!}; dropped ${Object.entries(drops).map(([k, v]) => `${k} ${v - (was[k] ?? 0)}`).join(', ')}`);
    const handshakesPerS = (last.handshakes - from.handshakes) / ((performance.now() - from.at) / 1000);
    const attackerPct = attackerCpu.pct();
    await attacker.stop();
    attacker = undefined;
    const peaks = await samples.stop();
    ctx.log(`  attack: login p95 ${hit.loginP95.toFixed(0)} ms (${hit.loginFailed} failed), chat p99 ${hit.chatP99.toFixed(1)} ms, lost ${hit.lost}, RSS peak ${peaks.rssPeak} MB, ${handshakesPerS.toFixed(0)} forced handshakes/s, ${peaks.preLoginPeak} connections before login; attackers used ${attackerPct.toFixed(0)}% of a core`);
    const recovered = await recovery(server, beforeMb, ctx.log);
    return [{
      scenario: 'hostile', login_p95_ms: round2(hit.loginP95), baseline_login_p95_ms: round2(base.loginP95),
      chat_p99_ms: round2(hit.chatP99), baseline_chat_p99_ms: round2(base.chatP99), lost: hit.lost + base.lost,
      rss_growth_mb: round2(peaks.rssPeak - idleMb), rss_recovered_s: recovered.s, rss_before_attack_mb: beforeMb,
      rss_recovered_margin_mb: round2(recoveredMarginMb(beforeMb)), [`rss_${RSS_REPORT_S}s_after_mb`]: recovered.rssAtReportMb, compactions: recovered.compactions,
      rss_after_attack_each_s_mb: recovered.rss, heap_used_after_mb: recovered.heapMb, heap_used_before_mb: heapBefore,
      server_cpu_pct: hit.serverCpu, baseline_server_cpu_pct: base.serverCpu, load_cpu_pct: hit.loadCpu, baseline_load_cpu_pct: base.loadCpu,
      attack_others_cpu_pct: hit.othersCpu, baseline_others_cpu_pct: base.othersCpu, attacker_cpu_pct: Math.round(attackerPct),
      server_loop_delay_p99_last_s_ms: after.loop_delay_p99_ms, server_loop_delay_max_after_attack_ms: recovered.loopMaxMs,
      attack_handshakes_per_s: round2(handshakesPerS), attack_prelogin_conns: peaks.preLoginPeak,
      login_failed: hit.loginFailed + base.loginFailed,
    }];
  } finally {
    await attacker?.stop();
    await peer?.stop();
    await fleet?.close();
    await server.stop();
  }
}
