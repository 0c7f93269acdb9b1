// Development aid: one steady step against a fresh server, with the server's counters before and after.
// Usage: node --import tsx bench/step.ts [--clients N] [--rate MSGS_PER_S] [--ms MS] [--senders K]
import { parseArgs } from 'node:util';
import { makeContext, freshDir, serverStats, startBenchServer, BENCH_PASSWORD } from './context.ts';
import { obrolanFleet } from './fleet.ts';
import { percentile, runStep, settle } from './load.ts';
import { killAllChildren } from './procs.ts';

const { values } = parseArgs({ options: { clients: { type: 'string' }, rate: { type: 'string' }, ms: { type: 'string' }, senders: { type: 'string' } } });
const n = Number(values.clients ?? 50);
const rate = Number(values.rate ?? 1000);
const { ctx, dispose } = await makeContext(false, (l) => process.stderr.write(l + '\n'));
const server = await startBenchServer(ctx);
if (process.env.SERVER_OUT) { const { createWriteStream } = await import('node:fs'); const out = createWriteStream(process.env.SERVER_OUT); server.proc.stdout!.on('data', (d: Buffer) => out.write(d)); }
try {
  const fleet = await obrolanFleet({ port: server.port, password: BENCH_PASSWORD, keys: ctx.keys, dir: await freshDir(ctx.clientRoot, 'step'), prefix: 's' }, n);
  await settle(fleet, 1000);
  const { monitorEventLoopDelay } = await import('node:perf_hooks'); const h = monitorEventLoopDelay({ resolution: 5 }); h.enable();
  const before = await serverStats(server);
  const r = await runStep(fleet, { senders: Number(values.senders ?? 4), rate, durationMs: Number(values.ms ?? 3000), serverPid: server.pid });
  const after = await serverStats(server);
  const d = (k: string): number => (after[k] ?? 0) - (before[k] ?? 0);
  const deliveries = r.onTime + r.late;
  console.log(JSON.stringify({
    clients: n, rate, deliveries_per_s: Math.round(r.deliveriesPerS), fail_pct: +(100 * r.failFraction).toFixed(2),
    p50: +percentile(r.latencies, 0.5).toFixed(2), p99: +percentile(r.latencies, 0.99).toFixed(2), ok: r.ok,
    server_cpu: Math.round(r.serverCpuPct), load_cpu: Math.round(r.loadCpuPct),
    dgram_out_per_delivery: +(d('datagramsOut') / deliveries).toFixed(3), dgram_in_per_delivery: +(d('datagramsIn') / deliveries).toFixed(3),
    retransmits: d('retransmits'), load_loop_p99: +(h.percentile(99) / 1e6).toFixed(1), load_loop_max: +(h.max / 1e6).toFixed(1), rss_mb: after.rss_mb, loop_p99: after.loop_delay_p99_ms, loop_max: after.loop_delay_max_ms,
  }));
  await fleet.close();
} finally {
  await server.stop();
  killAllChildren();
  await dispose();
}
