// Skipping a test for a missing tool, without letting CI pass on tests that never ran.
//
//   import { skipOrFail } from './support/skip.ts';
//   if (!hasTmux) skipOrFail('windows: tmux not found (apt-get install tmux)');
//   else test('…', async () => { … });
//   test.run();
//
// Outside CI it prints "SKIP <reason>" (test/run.ts shows that line and counts the file as skipped instead
// of failing it for running no test) and counts one skipped test in uvu's summary. Under CI (CI=true, or any
// CI value but "false"/"0"), where .ci/run installs what the tests need (tmux) and the run is root, a skip
// means part of the product went untested: it prints "FAIL (CI) <reason>" and the process exits 1, so the
// file and the run fail. Use it for whatever CI provides: tmux, root, `ip` for network namespaces.
import { test } from 'uvu';

/** True when the environment says this is a CI run (CI set to anything but "", "false" or "0"). */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== 'false' && v !== '0';
}

/**
 * Records that the caller's tests will not run, and why (`reason` says what is missing and how to get it).
 * Outside CI: prints "SKIP <reason>" and counts a skipped test. Under CI: prints "FAIL (CI) <reason>" and
 * makes the process exit 1. Call it before `test.run()`; the caller then registers no test for it.
 */
export function skipOrFail(reason: string): void {
  if (!underCi()) {
    console.log(`SKIP ${reason}`);
    test.skip(reason, () => {});
    return;
  }
  console.log(`FAIL (CI) ${reason}: under CI=true a missing tool fails the run, since CI installs it`);
  // uvu sets process.exitCode when its summary is written; 'exit' listeners run after that.
  process.on('exit', () => { process.exitCode = 1; });
}
