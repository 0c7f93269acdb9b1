// The test runner (test/run.ts) itself, run on the fixture suites in test/fixtures/runner: a file passes
// only if tests ran and passed; one that ran nothing, crashed, hung or failed fails the run; a skip needs
// a reason, and under CI=true a skip for a missing tool fails. The closing line is the last line of output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const FIXTURES = ['--dir=test/fixtures/runner', '--match=.fixture.ts'];
/** The shortest per-file limit used; the hang fixture costs this much. */
const MIN_TIMEOUT_MS = 2_000;

interface Run { code: number | null; out: string; lines: string[]; ms: number }

/** Runs test/run.ts with `args`; `env` is added to (or, for undefined values, removed from) this process's. */
function runner(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const started = Date.now();
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/run.ts', ...FIXTURES, ...args], { cwd: ROOT, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out, lines: out.trimEnd().split('\n'), ms: Date.now() - started }));
  });
}

/** The runner's line about `name`.fixture.ts, parsed. */
function verdict(run: Run, name: string): { status: string; passed: number; failed: number; skipped: number } {
  const line = run.lines.find((l) => l.includes(`test/fixtures/runner/${name}.fixture.ts `));
  assert.ok(line, `a line for ${name}:\n${run.out}`);
  const m = /^(ok|FAIL|skip) +\S+ +(\d+) passed, (\d+) failed, (\d+) skipped/.exec(line);
  assert.ok(m, `the line for ${name} reads "STATUS file  N passed, N failed, N skipped": ${line}`);
  return { status: m[1]!, passed: Number(m[2]), failed: Number(m[3]), skipped: Number(m[4]) };
}

/** Whether process `pid` still runs (a zombie waiting for its parent does not count). */
function alive(pid: number): boolean {
  try { process.kill(pid, 0); } catch { return false; }
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
}

let dir = '';
test.before(async () => { dir = await mkdtemp(join(tmpdir(), 'obrolan-runner-')); });
test.after(async () => { await rm(dir, { recursive: true, force: true }); });

test('judges each fixture, counts 2 failures + 1 skip as 2 failures, kills a hung file with its children, and ends with the totals', async () => {
  // The per-file limit is set from how long a passing fixture takes here, so a loaded machine does not
  // turn a slow start into a "hang".
  const baseline = await runner(['passes'], { CI: undefined });
  assert.is(baseline.code, 0, baseline.out);
  const timeoutMs = Math.max(MIN_TIMEOUT_MS, 2 * baseline.ms);
  const pidFile = join(dir, 'hang-child.pid');
  const [all, ci] = await Promise.all([
    runner([`--timeout=${timeoutMs}`], { CI: undefined, OBROLAN_FIXTURE_PIDFILE: pidFile }),
    runner(['skips', `--timeout=${timeoutMs}`], { CI: 'true' }),
  ]);

  const expected: Record<string, [string, number, number, number]> = {
    passes: ['ok', 2, 0, 0],
    'fake-total': ['ok', 2, 0, 0],
    fails: ['FAIL', 1, 1, 0],
    mixed: ['FAIL', 1, 2, 1],
    'no-run': ['FAIL', 0, 1, 0],
    empty: ['FAIL', 0, 1, 0],
    crashes: ['FAIL', 0, 1, 0],
    hangs: ['FAIL', 1, 1, 0],
    skips: ['skip', 0, 0, 1],
  };
  for (const [name, [status, passed, failed, skipped]] of Object.entries(expected)) {
    assert.equal(verdict(all, name), { status, passed, failed, skipped }, name);
  }
  assert.match(all.out, /no-run\.fixture\.ts .*no uvu summary/);
  assert.match(all.out, /empty\.fixture\.ts .*ran no test/);
  assert.match(all.out, /hangs\.fixture\.ts .*killed at the time limit/);
  assert.match(all.out, /^ {4}SKIP fixture: the imaginary tool frobnicate is not installed$/m, 'the skip reason is shown');
  assert.is(all.lines.at(-1), '7 passed, 7 failed, 2 skipped', 'the closing line is the last line');
  assert.is(all.code, 1, 'the run fails');

  assert.ok(existsSync(pidFile), 'the hang fixture started its child');
  const pid = Number(await readFile(pidFile, 'utf8'));
  assert.not.ok(alive(pid), `the hung file's child (pid ${pid}) was killed with it`);

  assert.equal(verdict(ci, 'skips'), { status: 'FAIL', passed: 0, failed: 1, skipped: 0 }, 'under CI=true a skip for a missing tool fails');
  assert.match(ci.out, /FAIL \(CI\) fixture: the imaginary tool frobnicate is not installed/);
  assert.is(ci.lines.at(-1), '0 passed, 1 failed');
  assert.is(ci.code, 1);
});

test('passes a run whose files all passed, and fails a run that found no file', async () => {
  const [ok, none] = await Promise.all([runner(['passes']), runner(['no-such-fixture'])]);
  assert.is(ok.lines.at(-1), '2 passed, 0 failed', ok.out);
  assert.is(ok.code, 0);
  assert.is(none.lines.at(-1), '0 passed, 1 failed', none.out);
  assert.match(none.out, /no file ending in \.fixture\.ts/);
  assert.is(none.code, 1);
});

test.run();
