// `npm run bench`: Obrolan against the machine's limit, in one run. Prints a table (or, with --json, one JSON
// object per line). Flags:
//   --json                 one JSON object per line on stdout (progress still goes to stderr)
//   --quick                about a minute: shorter steps, the fan-out at 50 clients only, one run per start-up
//                          figure, a 10 s idle ramp (for development; the figures are rougher)
//   --only A,B             only these scenarios: fanout, latency, idle, storm, history, e2e, client, profile, hostile,
//                          files (issue 19; not in the default set: --only files). The default run searches the
//                          fan-out at 10 and 50 clients; --only fanout also at 200 (about 35 s more)
//   --profile              also profile the server (node --cpu-prof) under the 50-client fan-out
//   --profile-rate N       offered msgs/s for the profile run (default: the 50-client fan-out result, else 200)
//   --idle-budget S        let the idle ramp run up to S seconds (default 20: the whole run must fit in 3 minutes)
//   --idle-clients N       stop the idle ramp at N clients (default 2,000; the goal is stated at 1,000)
//   --wait-quiet S         first wait up to S seconds for other processes to leave the CPU (a shared machine)
//   --save                 also write every row to bench/results/YYYY-MM-DD-HHMM.json (UTC), the file the README
//                          and docs/PERFORMANCE.md name for each figure they quote
//   --client-store         load clients also write their own history copy and known users to disk, as each
//                          person's machine does; all of them in one process then measure that process, not the
//                          server (by default they keep it in memory: bench/fleet.ts); rows say client_store: true
// Every child process is killed at the end, also on Ctrl-C.
import { parseArgs } from 'node:util';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { makeContext, removeTempDirsSync, type BenchContext, type Row } from './context.ts';
import { e2eRoomScenario } from './e2e.ts';
import { fanoutScenario, latencyScenario } from './fanout.ts';
import { killAllChildren, OthersMeter } from './procs.ts';
import { profileScenario } from './profile.ts';
import { formatTable } from './report.ts';
import { idleScenario, stormScenario } from './scale.ts';
import { clientStartScenario, historyScenario } from './startup.ts';
import { setLoadClientStore } from './fleet.ts';
import { hostileScenario } from './hostile.ts';
import { filesScenario } from './files.ts';

type Scenario = (ctx: BenchContext, earlier: Row[]) => Promise<Row[]>;

let profileRate: number | undefined;

const SCENARIOS: Record<string, Scenario> = {
  fanout: (ctx) => fanoutScenario(ctx),
  latency: (ctx) => latencyScenario(ctx),
  idle: (ctx) => idleScenario(ctx),
  storm: (ctx) => stormScenario(ctx),
  history: (ctx) => historyScenario(ctx),
  e2e: (ctx) => e2eRoomScenario(ctx),
  client: (ctx) => clientStartScenario(ctx),
  profile: (ctx, earlier) => profileScenario(ctx, earlier, profileRate),
  hostile: (ctx) => hostileScenario(ctx),
  files: (ctx) => filesScenario(ctx),
};
/** Scenarios whose load clients --client-store changes. */
const STORE_SENSITIVE = new Set(['fanout', 'latency', 'storm', 'idle', 'profile']);

const DEFAULT_SET = ['fanout', 'latency', 'idle', 'storm', 'history', 'e2e', 'client'];

/** Others' CPU (% of one core) under which the machine counts as quiet; how long it must stay so, in ms. */
const QUIET_PCT = 15;
const QUIET_SAMPLE_MS = 3_000;

/** Waits until processes other than ours use under QUIET_PCT of the CPU over QUIET_SAMPLE_MS, at most `maxMs`. */
async function waitQuiet(maxMs: number, log: (line: string) => void): Promise<void> {
  const until = Date.now() + maxMs;
  for (;;) {
    const m = new OthersMeter();
    await new Promise((r) => setTimeout(r, QUIET_SAMPLE_MS));
    const pct = m.pct();
    if (pct < QUIET_PCT) return log(`machine quiet (others ${pct.toFixed(0)}% CPU)`);
    if (Date.now() > until) return log(`machine still busy (others ${pct.toFixed(0)}% CPU); measuring anyway`);
    log(`waiting for a quiet machine: others use ${pct.toFixed(0)}% CPU`);
  }
}

function machine(): Row {
  const cpu = cpus();
  return {
    scenario: 'machine', date: new Date().toISOString(), cores: cpu.length, cpu: cpu[0]?.model ?? '?',
    mem_gb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}`,
    // Other people's work on a shared machine skews every figure: say how busy it was at the start.
    loadavg_1m: Math.round(loadavg()[0]! * 100) / 100,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' }, quick: { type: 'boolean' }, only: { type: 'string' },
      profile: { type: 'boolean' }, 'profile-rate': { type: 'string' }, 'client-store': { type: 'boolean' }, 'wait-quiet': { type: 'string' },
      'idle-budget': { type: 'string' }, 'idle-clients': { type: 'string' }, save: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- [--json] [--quick] [--only fanout,latency,idle,storm,history,e2e,client,profile,hostile,files] [--profile] [--profile-rate N] [--idle-budget S] [--idle-clients N] [--wait-quiet S] [--client-store] [--save]\n');
    return 0;
  }
  if (values['profile-rate'] !== undefined) profileRate = Number(values['profile-rate']);
  const withStore = values['client-store'] === true;
  const names = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [...DEFAULT_SET, ...(values.profile ? ['profile'] : [])];
  const unknown = names.filter((n) => !SCENARIOS[n]);
  if (unknown.length) {
    process.stderr.write(`error: unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}\n`);
    return 2;
  }
  const log = (line: string): void => { process.stderr.write(line + '\n'); };
  if (values['wait-quiet']) await waitQuiet(Number(values['wait-quiet']) * 1000, log);
  const rows: Row[] = [machine()];
  const emit = (r: Row): void => { rows.push(r); if (values.json) process.stdout.write(JSON.stringify(r) + '\n'); };
  rows[0]!.client_store = withStore;
  if (values.json) process.stdout.write(JSON.stringify(rows[0]) + '\n');
  const { ctx, dispose } = await makeContext(values.quick === true, log);
  if (values['idle-budget']) ctx.idleBudgetMs = Number(values['idle-budget']) * 1000;
  if (values['idle-clients']) ctx.idleClients = Number(values['idle-clients']);
  // The whole default run should fit in about 3 minutes; the 200-client search is the longest and in no goal.
  if (!values.only && !values.quick) ctx.fanoutSizes = [10, 50];
  const started = Date.now();
  const secondsOf: Record<string, number> = {};
  let failed = 0;
  try {
    for (const name of names) {
      log(`── ${name}`);
      const t0 = Date.now();
      const others = new OthersMeter();
      try {
        setLoadClientStore(withStore && STORE_SENSITIVE.has(name));
        for (const r of await SCENARIOS[name]!(ctx, rows)) {
          const marked = STORE_SENSITIVE.has(name) ? { ...r, client_store: withStore } : r;
          emit({ ...marked, others_cpu_pct: marked.others_cpu_pct ?? Math.round(others.pct()), steal_pct: marked.steal_pct ?? Math.round(others.stealPct()) });
        }
      } catch (err) {
        failed++;
        emit({ scenario: name, error: (err as Error).message });
        log(`${name} failed: ${(err as Error).stack ?? (err as Error).message}`);
      }
      secondsOf[name] = Math.round((Date.now() - t0) / 100) / 10;
      log(`   (${name}: ${secondsOf[name]!.toFixed(1)} s)`);
    }
  } finally {
    killAllChildren();
    await dispose();
  }
  // The run's own length, in the saved file too (the default run should take about 3 minutes).
  emit({ scenario: 'run', wall_s: Math.round((Date.now() - started) / 100) / 10, scenario_s: secondsOf, quick: values.quick === true });
  log(`bench finished in ${rows.at(-1)!.wall_s} s`);
  if (values.save) log(`saved ${await saveRows(rows)}`);
  if (!values.json) process.stdout.write(formatTable(rows));
  return failed ? 1 : 0;
}

/** Writes `rows` to bench/results/YYYY-MM-DD-HHMM.json (UTC, one JSON object a line; -2, -3… when that minute has one); returns the path. */
async function saveRows(rows: Row[]): Promise<string> {
  const stamp = new Date().toISOString().slice(0, 16).replace('T', '-').replace(':', '');
  const dir = new URL('./results/', import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  const body = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  for (let n = 1; ; n++) {
    const path = `${dir}${stamp}${n > 1 ? `-${n}` : ''}.json`;
    try { await writeFile(path, body, { flag: 'wx' }); return path; } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; }
  }
}

process.on('exit', killAllChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAllChildren();
    removeTempDirsSync();
    process.stderr.write(`\n${sig}: children killed, temporary files removed\n`);
    process.exit(130);
  });
}

// Exit explicitly: a load client's stray timer must not keep the benchmark alive after its report.
main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  killAllChildren();
  process.exit(1);
});
