// One timer for every connection's wake-ups, driven here by a fake clock and fake timers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Deadlines, type Sleeper } from '../lib/deadlines.ts';

/** A fake clock with one pending timer at most (Deadlines keeps just one). */
function fakeTimers() {
  const t = { now: 0, pending: undefined as undefined | { fn: () => void; at: number }, sets: 0, fires: 0 };
  const api = {
    set: (fn: () => void, ms: number) => { t.sets++; t.pending = { fn, at: t.now + ms }; return t.pending; },
    clear: (h: unknown) => { if (t.pending === h) t.pending = undefined; },
  };
  /** Advances to `until`, firing the timer whenever it is due. */
  const run = (until: number): void => {
    while (t.pending && t.pending.at <= until) {
      const p = t.pending;
      t.pending = undefined;
      t.now = p.at;
      t.fires++;
      p.fn();
    }
    t.now = until;
  };
  return { t, api, run };
}

function sleeper(log: Array<[string, number]>, name: string, again?: (now: number) => number): Sleeper & { name: string } {
  const s = {
    name, scheduledAt: Infinity,
    onDeadline: (now: number) => { log.push([name, now]); if (again) d!.set(s, again(now)); },
  };
  return s;
}
let d: Deadlines<Sleeper> | undefined;

test('wakes each sleeper at its deadline, earliest first, from a single timer', () => {
  const { t, api, run } = fakeTimers();
  d = new Deadlines(() => t.now, api);
  const log: Array<[string, number]> = [];
  const [a, b, c] = ['a', 'b', 'c'].map((n) => sleeper(log, n));
  d.set(a!, 30);
  d.set(b!, 10);
  d.set(c!, 20);
  run(100);
  assert.equal(log, [['b', 10], ['c', 20], ['a', 30]]);
  assert.is(d.waiting, 0);
  assert.is(t.pending, undefined, 'no timer left once nobody waits');
});

test('an earlier deadline replaces a later one; a later one changes nothing', () => {
  const { t, api, run } = fakeTimers();
  d = new Deadlines(() => t.now, api);
  const log: Array<[string, number]> = [];
  const a = sleeper(log, 'a');
  d.set(a, 50);
  d.set(a, 20);
  d.set(a, 40);
  run(100);
  assert.equal(log, [['a', 20]], 'woken once, at the earliest asked for');
});

test('cancelling the last sleeper clears the timer, so nothing keeps a process alive', () => {
  const { t, api, run } = fakeTimers();
  d = new Deadlines(() => t.now, api);
  const log: Array<[string, number]> = [];
  const [a, b] = [sleeper(log, 'a'), sleeper(log, 'b')];
  d.set(a, 10);
  d.set(b, 20);
  d.cancel(a);
  assert.ok(t.pending, 'b still waits');
  d.cancel(b);
  assert.is(t.pending, undefined);
  run(100);
  assert.equal(log, []);
});

test('a sleeper that asks again for a time already past is woken at the next timer, not in a loop', () => {
  const { t, api, run } = fakeTimers();
  d = new Deadlines(() => t.now, api);
  const log: Array<[string, number]> = [];
  let wakes = 0;
  const a = sleeper(log, 'a', (now) => (++wakes < 3 ? now - 1 : Infinity));
  d.set(a, 5);
  run(5);
  assert.is(log.length, 3, 'woken three times, as it asked');
  assert.is(t.fires, 3, 'each time by a timer of its own: never twice in one firing');
  assert.is(d.waiting, 0);
});

test('many re-armed sleepers keep the heap bounded and wake in order', () => {
  const { t, api, run } = fakeTimers();
  d = new Deadlines(() => t.now, api);
  const log: Array<[string, number]> = [];
  const sleepers = Array.from({ length: 100 }, (_, i) => sleeper(log, `s${i}`));
  // Each moves its deadline earlier 50 times: 5,000 entries, 4,900 of them stale.
  for (let k = 50; k > 0; k--) for (const [i, s] of sleepers.entries()) d.set(s, 1_000 + i + k * 1_000);
  run(10_000);
  assert.equal(log.map(([n]) => n), sleepers.map((s) => s.name));
  assert.equal(log.map(([, at]) => at), sleepers.map((_, i) => 2_000 + i));
  assert.is(d.waiting, 0);
});

test.run();
