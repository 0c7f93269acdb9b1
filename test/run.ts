// Runs every uvu suite (test/**/*.test.ts) in its own process, two at a time,
// each under a time limit, and closes with the line CI reads: "N passed, N failed".
// One process per file keeps a hang or a crash in one suite from hiding the others.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cpus } from 'node:os';

const ROOT = new URL('..', import.meta.url).pathname;
const FILE_TIMEOUT_MS = Number(process.env.OBROLAN_TEST_TIMEOUT_MS ?? 180_000);
const PARALLEL = Math.max(1, Math.min(2, cpus().length));

interface FileResult { file: string; passed: number; failed: number; skipped: number; ms: number; output: string }

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

function runFile(file: string): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[run] killed after ${FILE_TIMEOUT_MS} ms (hung: an open socket or timer?)\n`;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0);
      let failed = Math.max(0, total - passed - skipped);
      // A crash, a hang or a non-zero exit with nothing counted still counts as one failure.
      if (code !== 0 && failed === 0) failed = 1;
      resolve({ file: relative(ROOT, file), passed, failed, skipped, ms: Date.now() - started, output });
    });
  });
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const files = findTests(join(ROOT, 'test')).filter((f) => !filter || f.includes(filter));
  const queue = [...files];
  const results: FileResult[] = [];
  async function worker(): Promise<void> {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const r = await runFile(file);
      results.push(r);
      const status = r.failed ? 'FAIL' : 'ok  ';
      process.stdout.write(`${status} ${r.file}  ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${(r.ms / 1000).toFixed(1)} s)\n`);
      if (r.failed) process.stdout.write(r.output.replace(/^/gm, '    | ') + '\n');
      else for (const line of r.output.split('\n')) if (line.startsWith('SKIP')) process.stdout.write(`    ${line}\n`);
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const skipped = results.reduce((n, r) => n + r.skipped, 0);
  process.stdout.write(`\n${files.length} files\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exitCode = failed ? 1 : 0;
}

await main();
