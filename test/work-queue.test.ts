// The server's login queue (lib/work-queue.ts): tasks run in order, at most about one budget per event-loop
// turn, and what arrives between two slices (a member's chat datagram) runs before the next slice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WorkQueue } from '../lib/work-queue.ts';

const busy = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end) { /* work */ } };

test('ten tasks of 2 ms with a 4 ms budget run in order over several turns, and a timer due meanwhile runs between them', async () => {
  const errors: unknown[] = [];
  const q = new WorkQueue(4, (e) => errors.push(e));
  const log: string[] = [];
  for (let i = 0; i < 10; i++) q.push(() => { busy(2); log.push(`t${i}`); });
  setTimeout(() => log.push('chat'), 0);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(log.filter((x) => x !== 'chat'), Array.from({ length: 10 }, (_, i) => `t${i}`), 'in order');
  assert.ok(q.slices >= 4, `${q.slices} slices`);
  const at = log.indexOf('chat');
  assert.ok(at > 0 && at < 10, `the timer ran between slices (at ${at})`);
  assert.is(q.size, 0);
  assert.equal(errors, []);
});

test('a task that throws is reported and the others still run', async () => {
  const errors: unknown[] = [];
  const q = new WorkQueue(4, (e) => errors.push(e));
  const ran: number[] = [];
  q.push(() => ran.push(1));
  q.push(() => { throw new Error('boom'); });
  q.push(() => ran.push(3));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(ran, [1, 3]);
  assert.is((errors[0] as Error).message, 'boom');
});

test.run();
