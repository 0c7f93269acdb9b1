// Rows of the files bench that need a transfer in another process (bench/file-peer.ts):
//   transfer_lossy  one file through a relay that drops 2 % of datagrams each way (seeded), MB/s
//   chat50          chat latency of 50 members at 100 msg/s, without a transfer and while one runs beside it
import { execFileSync } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { Child } from './procs.ts';
import { spawnTs } from './procs.ts';
import { BENCH_PASSWORD, freshDir, round2, serverStats, type BenchContext, type Row } from './context.ts';
import { obrolanFleet } from './fleet.ts';
import { percentile, runStep, settle } from './load.ts';

const LOSS = 0.02;
const CHAT_MEMBERS = 50;
const CHAT_RATE = 100;
/** The uncounted first step, in ms. */
const WARM_UP_MS = 1_000;

/**
 * How the transfer beside the chat is kept off the cores the server and the 50 members need. The sender and
 * the recipient stand for two other machines on the LAN (a real LAN gives each its own CPU), so they should
 * get only what the others leave: SCHED_IDLE (`chrt --idle 0`, util-linux) does exactly that, for every
 * thread from the start. nice 19 does not quite: a woken nice-19 task still preempts a busy one, and V8's
 * threads start before a renice. Measured on this machine (2 cores, 5 pairs each): chat p99 beside the
 * transfer 11–19 ms with SCHED_IDLE, 21–38 ms with nice 19, the transfer as fast or faster (38–40 MB/s).
 * Without chrt: nice 19, and the row says so.
 */
const IDLE_LAUNCHER = ['chrt', '--idle', '0'];
let idleWorks: boolean | undefined;
function schedIdleAvailable(): boolean {
  if (idleWorks === undefined) {
    try { execFileSync(IDLE_LAUNCHER[0]!, [...IDLE_LAUNCHER.slice(1), 'true'], { stdio: 'ignore' }); idleWorks = true; } catch { idleWorks = false; }
  }
  return idleWorks;
}

async function peer(ctx: BenchContext, port: number, sizeMb: number, extra: string[] = [], beside = false): Promise<Child & { sched: string }> {
  const name = extra.length > 0 ? 'lossy' : 'beside';
  const dir = await freshDir(ctx.clientRoot, `file-peer-${name}`);
  const idle = beside && schedIdleAvailable();
  const child = await spawnTs('bench/file-peer.ts', ['--port', String(port), '--dir', dir, '--keys-dir', join(ctx.root, 'load-keys'), '--size-mb', String(sizeMb), '--prefix', name, ...extra],
    { stdin: true, timeoutMs: 120_000, ...(idle ? { launcher: IDLE_LAUNCHER } : {}) });
  if (beside && !idle) setPriority(child.proc.pid!, 19);
  return Object.assign(child, { sched: !beside ? 'normal' : idle ? 'idle' : 'nice19' });
}

/** Sends "go" and resolves with the peer's done line (rejects on a failed one). */
async function transfer(p: Child, timeoutMs: number): Promise<{ mb_s: number; seconds: number }> {
  const done = p.nextLine((l) => /"type":"(done|failed)"/.test(l), timeoutMs);
  p.proc.stdin!.write('go\n');
  const r = JSON.parse(await done) as { type: string; mb_s: number; seconds: number; reason?: string };
  if (r.type !== 'done') throw new Error(`files bench: the transfer failed (${r.reason})`);
  return r;
}

export async function lossyRow(ctx: BenchContext, port: number, sizeMb: number): Promise<Row> {
  const p = await peer(ctx, port, sizeMb, ['--loss', String(LOSS)]);
  try {
    const r = await transfer(p, 600_000);
    return { scenario: 'files', what: 'transfer_lossy', loss_pct: LOSS * 100, size_mb: sizeMb, mb_s: r.mb_s, seconds: r.seconds };
  } finally {
    await p.stop();
  }
}

export async function chat50Rows(ctx: BenchContext, server: Child & { port: number }, sizeMb: number): Promise<Row[]> {
  const port = server.port;
  const serverPid = server.proc.pid!;
  const fleet = await obrolanFleet({ port, password: BENCH_PASSWORD, keys: ctx.keys, dir: await freshDir(ctx.clientRoot, 'files-chat50'), prefix: 'm' }, CHAT_MEMBERS);
  const p = await peer(ctx, port, sizeMb, [], true);
  const rows: Row[] = [];
  // The server's event-loop delay over the step: tells a busy server from a busy load process.
  const step = async (): Promise<Row> => {
    await serverStats(server); // resets the server's loop-delay histogram
    const s = await runStep(fleet, { senders: 10, rate: CHAT_RATE, durationMs: ctx.quick ? 2_000 : 4_000, serverPid });
    const st = await serverStats(server);
    return { scenario: 'files', what: 'chat50', members: CHAT_MEMBERS, rate: CHAT_RATE, p50_ms: round2(percentile(s.latencies, 0.5)), p99_ms: round2(percentile(s.latencies, 0.99)),
      lost: s.missing, late: s.late, server_cpu_pct: round2(s.serverCpuPct), load_cpu_pct: round2(s.loadCpuPct), server_loop_delay_p99_ms: st.loop_delay_p99_ms, server_loop_delay_max_ms: st.loop_delay_max_ms };
  };
  try {
    // A short step first, not counted: the members' first messages meet cold code (JIT) and fresh state, and
    // the figure without a transfer is the comparison for the one with it.
    await runStep(fleet, { senders: 10, rate: CHAT_RATE, durationMs: WARM_UP_MS });
    await settle(fleet);
    rows.push({ ...await step(), transfer: false });
    await settle(fleet);
    let moved: { mb_s: number; seconds: number } | undefined;
    const going = transfer(p, 600_000).then((r) => { moved = r; });
    const busy = await step();
    const during = moved === undefined; // the step ended before the transfer: every message was sent while it ran
    await going;
    rows.push({ ...busy, transfer: true, whole_step_during_transfer: during, transfer_mb_s: moved!.mb_s, peer_sched: p.sched });
  } finally {
    await p.stop();
    await fleet.close();
  }
  return rows;
}
