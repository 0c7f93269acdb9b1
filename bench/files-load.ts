// Rows of the files bench that need a transfer in another process (bench/file-peer.ts):
//   transfer_lossy  one file through a relay that drops 2 % of datagrams each way (seeded), MB/s
//   chat50          chat latency of 50 members at 100 msg/s, without a transfer and while one runs beside it
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

async function peer(ctx: BenchContext, port: number, sizeMb: number, extra: string[] = [], beside = false): Promise<Child> {
  const name = extra.length > 0 ? 'lossy' : 'beside';
  const dir = await freshDir(ctx.clientRoot, `file-peer-${name}`);
  const child = await spawnTs('bench/file-peer.ts', ['--port', String(port), '--dir', dir, '--keys-dir', join(ctx.root, 'load-keys'), '--size-mb', String(sizeMb), '--prefix', name, ...extra],
    { stdin: true, timeoutMs: 120_000 });
  // The sender and the recipient stand for two other machines on the LAN: on this one their CPU must not
  // take turns with the server's and the 50 members' (a real LAN gives each its own), so they run at the
  // lowest priority and get what the others leave.
  if (beside) setPriority(child.proc.pid!, 19);
  return child;
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
      lost: s.missing, late: s.late, server_cpu_pct: round2(s.serverCpuPct), server_loop_delay_p99_ms: st.loop_delay_p99_ms, server_loop_delay_max_ms: st.loop_delay_max_ms };
  };
  try {
    rows.push({ ...await step(), transfer: false });
    await settle(fleet);
    let moved: { mb_s: number; seconds: number } | undefined;
    const going = transfer(p, 600_000).then((r) => { moved = r; });
    const busy = await step();
    const during = moved === undefined; // the step ended before the transfer: every message was sent while it ran
    await going;
    rows.push({ ...busy, transfer: true, whole_step_during_transfer: during, transfer_mb_s: moved!.mb_s });
  } finally {
    await p.stop();
    await fleet.close();
  }
  return rows;
}
