// The gate that keeps RSA signatures from taking every thread of the pool.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Gate } from '../lib/gate.ts';

/** A job that records when it runs and finishes when told. */
function controlled(log: string[], name: string): { job: () => Promise<string>; finish: (fail?: boolean) => void } {
  let settle!: (fail?: boolean) => void;
  const done = new Promise<void>((resolve, reject) => { settle = (fail) => (fail ? reject(new Error(`${name} failed`)) : resolve()); });
  return {
    job: async () => { log.push(`start ${name}`); await done; log.push(`end ${name}`); return name; },
    finish: (fail) => settle(fail),
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('runs at most `max` jobs at once and starts the others in arrival order', async () => {
  const gate = new Gate(2);
  const log: string[] = [];
  const jobs = ['a', 'b', 'c', 'd'].map((n) => controlled(log, n));
  const results = jobs.map((j) => gate.run(j.job));
  await tick();
  assert.equal(log, ['start a', 'start b']);
  assert.is(gate.active, 2);
  assert.is(gate.queued, 2);
  jobs[1]!.finish();
  await tick();
  assert.equal(log, ['start a', 'start b', 'end b', 'start c']);
  jobs[0]!.finish();
  jobs[2]!.finish();
  jobs[3]!.finish();
  assert.equal(await Promise.all(results), ['a', 'b', 'c', 'd']);
  assert.is(gate.active, 0);
  assert.is(gate.queued, 0);
});

test('a job that fails frees its place for the next one', async () => {
  const gate = new Gate(1);
  const log: string[] = [];
  const [a, b] = [controlled(log, 'a'), controlled(log, 'b')];
  const ra = gate.run(a.job);
  const rb = gate.run(b.job);
  a.finish(true);
  await ra.then(() => assert.unreachable('a should fail'), (e: Error) => assert.match(e.message, 'a failed'));
  b.finish();
  assert.is(await rb, 'b');
  assert.is(gate.active, 0);
});

test('refuses a gate with no room', () => {
  assert.throws(() => new Gate(0), RangeError);
  assert.throws(() => new Gate(1.5), RangeError);
});

test.run();
