// The server under test, as its own process: a ChatServer on 127.0.0.1 with flood control raised so the
// load generator, not the per-user limit, sets the rate. Prints one JSON line per event on stdout:
//   {"type":"listening","port":P,"pid":N,"create_ms":…,"listen_ms":…}   once, when ready
//   {"type":"stats",…ServerStats,"rss_mb":…}                         on SIGUSR2
// SIGTERM/SIGINT stop the server and exit 0 (so `node --cpu-prof` writes its profile).
// --hostile (the hostile scenario): the default limits before login for every address, 127.0.0.1 included;
// otherwise 127.0.0.1, where every load client is, is exempt from the per-address limits before login.
// Usage: node --import tsx bench/server-proc.ts --history-dir DIR [--password S] [--port N] [--hostile]
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ChatServer } from '../lib/chat/server.ts';
import { capYoungGeneration } from '../lib/app/young-generation.ts';

/** Flood control for the benchmark: far above any rate one load client offers, in messages/s and messages. */
const BENCH_FLOOD = { ratePerS: 1_000_000, burst: 1_000_000 };
/** Every load client comes from 127.0.0.1: allow them all (the idle ramp goes to 2,000). */
const BENCH_MAX_PER_IP = 100_000;
/** Longest a clean stop may take before the process exits anyway, in ms. */
const STOP_LIMIT_MS = 5_000;

const line = (o: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(o) + '\n'); };

async function main(): Promise<void> {
  // As server.ts does (lib/app/young-generation.ts); OBROLAN_BENCH_YOUNG_GEN=off measures without it.
  if (process.env.OBROLAN_BENCH_YOUNG_GEN !== 'off') capYoungGeneration();
  const { values } = parseArgs({
    options: { 'history-dir': { type: 'string' }, password: { type: 'string' }, port: { type: 'string' }, hostile: { type: 'boolean' } },
    strict: true,
  });
  const historyDir = values['history-dir'];
  if (!historyDir) throw new Error('--history-dir is required');
  const started = performance.now();
  const server = await ChatServer.create({
    host: '127.0.0.1', port: Number(values.port ?? 0), password: values.password ?? 'bench', historyDir, flood: BENCH_FLOOD, maxConnectionsPerIp: BENCH_MAX_PER_IP,
    exemptIps: values.hostile ? [] : ['127.0.0.1'],
    onProgress: (text) => process.stderr.write(`${text}\n`),
  });
  const created = performance.now();
  // Errors of the room (a failed history write) go to stderr; the bench counts missing deliveries anyway.
  server.on('log', (text: string) => { if (text.startsWith('could not')) process.stderr.write(`${text}\n`); });
  // OBROLAN_BENCH_TRACE=1: one stderr line per stored message with its text and the time (epoch ms) the
  // server had stored and fanned it out, to tell server-side delay from the rest when hunting a stall.
  if (process.env.OBROLAN_BENCH_TRACE === '1') {
    server.on('message', (m: { text: string }) => process.stderr.write(`stored ${(performance.timeOrigin + performance.now()).toFixed(1)} ${m.text.slice(0, 40)}\n`));
  }
  // Event-loop delay since the previous stats line: a blocked loop delays every client at once.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  process.on('SIGUSR2', () => {
    const mem = process.memoryUsage();
    line({
      type: 'stats', ...server.stats(), rss_mb: round(mem.rss / 2 ** 20), heap_used_mb: round(mem.heapUsed / 2 ** 20),
      heap_total_mb: round(mem.heapTotal / 2 ** 20), new_space_mb: round((getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')?.space_size ?? 0) / 2 ** 20),
      external_mb: round((mem.external + mem.arrayBuffers) / 2 ** 20), loop_delay_max_ms: round(loop.max / 1e6), loop_delay_p99_ms: round(loop.percentile(99) / 1e6),
    });
    loop.reset();
  });
  // OBROLAN_BENCH_PROBE_DIR (memory hunts): SIGHUP writes there the memory figures, /proc/self/smaps and a
  // heap snapshot, then (with --expose-gc) collects and writes the figures again.
  const probeDir = process.env.OBROLAN_BENCH_PROBE_DIR;
  if (probeDir) {
    let n = 0;
    process.on('SIGHUP', () => {
      const tag = `${probeDir}/probe-${++n}`;
      const figures = (): Record<string, number> => Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, round(v / 2 ** 20)]));
      const before = figures();
      writeFileSync(`${tag}.smaps`, readFileSync('/proc/self/smaps'));
      if (process.env.OBROLAN_BENCH_PROBE_SNAPSHOT === '1') writeHeapSnapshot(`${tag}.heapsnapshot`);
      const g = (globalThis as { gc?: () => void }).gc;
      g?.();
      const after = figures();
      writeFileSync(`${tag}-aftergc.smaps`, readFileSync('/proc/self/smaps'));
      writeFileSync(`${tag}.json`, JSON.stringify({ before, after, spaces: getHeapSpaceStatistics() }, null, 1));
      process.stderr.write(`probe ${tag}: before ${JSON.stringify(before)} after gc ${JSON.stringify(after)}\n`);
    });
  }
  const stop = (): void => {
    setTimeout(() => process.exit(0), STOP_LIMIT_MS).unref();
    server.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Last, after the signal handlers: the parent may signal the moment it reads this line.
  const { port } = await server.listen();
  line({ type: 'listening', port, pid: process.pid, create_ms: round(created - started), listen_ms: round(performance.now() - started) });
}

const round = (x: number): number => Math.round(x * 10) / 10;

main().catch((err: Error) => {
  process.stderr.write(`server-proc: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
