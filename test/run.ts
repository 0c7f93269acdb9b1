// Runs every uvu suite (test/**/*.test.ts) in its own process, two at a time, each under a time limit,
// and closes with the line CI reads as the last line of output: "N passed, N failed[, N skipped]".
// One process per file keeps a hang or a crash in one suite from hiding the others.
//
// A file passes only if it proves it ran: its output ends with a uvu summary counting at least one test,
// every counted test passed, and it exited 0. A file that ran no test (no summary, or "Total: 0") passes
// as skipped only if it printed a reason on a line starting with "SKIP" (see test/support/skip.ts).
// uvu's Total already excludes skipped tests, so failed = Total − Passed; the last summary counts (a test
// may log a line that looks like one). A file still running after the time limit is killed with its whole
// process group (servers, clients, anything it spawned) and counts as failed.
//
// Usage: node --import tsx test/run.ts [filter] [--dir=test] [--match=.test.ts] [--timeout=ms]
//   filter     run only files whose path contains it (several: separated by commas)
//   --dir      the folder to search (default test/); test/runner.test.ts points it at test/fixtures/runner
//   --match    the file-name ending that makes a file a suite (default .test.ts)
//   --timeout  per-file limit in ms (default OBROLAN_TEST_TIMEOUT_MS, else 180000)
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { cpus } from 'node:os';

const ROOT = new URL('..', import.meta.url).pathname;
const PARALLEL = Math.max(1, Math.min(2, cpus().length));

interface Options { filter: string | undefined; dir: string; match: string; timeoutMs: number }

type Verdict = 'ok' | 'FAIL' | 'skip';

interface FileResult { file: string; verdict: Verdict; passed: number; failed: number; skipped: number; ms: number; output: string; why: string }

/** What a uvu summary said; undefined when the output holds none. */
interface Summary { total: number; passed: number; skipped: number }

const USAGE = 'usage: node --import tsx test/run.ts [filter[,filter…]] [--dir=test] [--match=.test.ts] [--timeout=ms]\n';

function parseArgs(argv: string[]): Options {
  const flags = new Map<string, string>();
  let filter: string | undefined;
  for (const a of argv) {
    const m = /^--(\w+)=(.*)$/.exec(a);
    if (m && ['dir', 'match', 'timeout'].includes(m[1]!)) flags.set(m[1]!, m[2]!);
    else if (a === '--help' || a === '-h') { process.stdout.write(USAGE); process.exit(0); }
    else if (a.startsWith('-')) { process.stderr.write(`unknown flag ${a}\n${USAGE}`); process.exit(2); }
    else filter = a;
  }
  const timeoutMs = Number(flags.get('timeout') ?? process.env.OBROLAN_TEST_TIMEOUT_MS ?? 180_000);
  if (!(timeoutMs > 0)) { process.stderr.write(`--timeout must be a number of ms, got ${flags.get('timeout')}\n`); process.exit(2); }
  return { filter, dir: resolve(ROOT, flags.get('dir') ?? 'test'), match: flags.get('match') ?? '.test.ts', timeoutMs };
}

function findTests(dir: string, match: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path, match));
    else if (name.endsWith(match)) out.push(path);
  }
  return out.sort();
}

/** The last uvu summary in `output` (Total, Passed and Skipped on consecutive lines). */
function lastSummary(output: string): Summary | undefined {
  const all = [...output.matchAll(/^\s*Total:\s+(\d+)\s*\n\s*Passed:\s+(\d+)\s*\n\s*Skipped:\s+(\d+)\s*$/gm)];
  const m = all.at(-1);
  return m ? { total: Number(m[1]), passed: Number(m[2]), skipped: Number(m[3]) } : undefined;
}

/** The verdict on one file from its output and how its process ended. */
function judge(output: string, exitCode: number | null, timedOut: boolean): Omit<FileResult, 'file' | 'ms' | 'output'> {
  const s = lastSummary(output);
  const passed = s?.passed ?? 0;
  const skipped = s?.skipped ?? 0;
  let failed = s ? Math.max(0, s.total - s.passed) : 0;
  const skipReason = output.split('\n').some((l) => l.startsWith('SKIP'));
  // Why a file fails although no counted test failed (a counted failure speaks for itself).
  let why = '';
  if (timedOut) why = 'killed at the time limit (hung: an open socket, timer or child?)';
  else if (failed) why = '';
  else if (exitCode !== 0) why = `exited with ${exitCode ?? 'a signal'}`;
  else if (!s) why = skipReason ? '' : 'printed no uvu summary (test.run() missing?) and no SKIP reason';
  else if (s.total === 0) why = skipReason ? '' : 'ran no test (Total: 0) and printed no SKIP reason';
  if (why && failed === 0) failed = 1;
  if (failed) return { verdict: 'FAIL', passed, failed, skipped, why };
  if (passed === 0) return { verdict: 'skip', passed, failed, skipped: Math.max(skipped, 1), why: '' };
  return { verdict: 'ok', passed, failed, skipped, why: '' };
}

const running = new Set<ChildProcess>();

/** Kills `child` and everything it started (it leads its own process group). */
function killGroup(child: ChildProcess): void {
  try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* the group is already gone */ }
}

function runFile(file: string, o: Options): Promise<FileResult> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout can kill what it spawned too
    });
    running.add(child);
    let output = '';
    let timedOut = false;
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const timer = setTimeout(() => { timedOut = true; killGroup(child); }, o.timeoutMs);
    // Whatever the file left running after it exited (a server, a client) goes with it.
    child.on('exit', () => killGroup(child));
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      if (timedOut) output += `\n[run] killed after ${o.timeoutMs} ms\n`;
      done({ file: relative(ROOT, file), ms: Date.now() - started, output, ...judge(output, code, timedOut) });
    });
  });
}

function report(r: FileResult): void {
  const status = r.verdict === 'ok' ? 'ok  ' : r.verdict;
  const why = r.why ? ` — ${r.why}` : '';
  process.stdout.write(`${status} ${r.file}  ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${(r.ms / 1000).toFixed(1)} s)${why}\n`);
  if (r.verdict === 'FAIL') process.stdout.write(r.output.replace(/^/gm, '    | ') + '\n');
  else for (const line of r.output.split('\n')) if (line.startsWith('SKIP')) process.stdout.write(`    ${line}\n`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const files = findTests(o.dir, o.match).filter((f) => !o.filter || o.filter.split(',').some((part) => f.includes(part)));
  const queue = [...files];
  const results: FileResult[] = [];
  async function worker(): Promise<void> {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const r = await runFile(file, o);
      results.push(r);
      report(r);
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const sum = (k: 'passed' | 'failed' | 'skipped'): number => results.reduce((n, r) => n + r[k], 0);
  const failed = sum('failed') + (files.length ? 0 : 1);
  if (!files.length) process.stdout.write(`no file ending in ${o.match} under ${relative(ROOT, o.dir) || '.'}${o.filter ? ` matching "${o.filter}"` : ''}\n`);
  process.stdout.write(`\n${files.length} files\n${sum('passed')} passed, ${failed} failed${sum('skipped') ? `, ${sum('skipped')} skipped` : ''}\n`);
  process.exitCode = failed ? 1 : 0;
}

// Interrupted (Ctrl-C, CI cancel): take the running files' process groups down too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of running) killGroup(child);
    process.exit(130);
  });
}

await main();
