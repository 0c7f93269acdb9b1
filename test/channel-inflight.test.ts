// The sender's fragments in flight: an array by sequence number with holes, not a Map.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InFlight } from '../lib/channel/inflight.ts';

const frag = (seq: number) => ({ seq });
const seqs = (set: InFlight<{ seq: number }>): number[] => [...set.values()].map((f) => f.seq);

test('keeps fragments in order, skips the ones acknowledged out of order, and counts them', () => {
  const set = new InFlight<{ seq: number }>();
  const fs = [5, 6, 7, 8, 9].map(frag);
  for (const f of fs) set.add(f);
  assert.is(set.size, 5);
  assert.ok(set.delete(fs[2]!));
  assert.not.ok(set.delete(fs[2]!), 'twice is a no-op');
  assert.not.ok(set.delete(frag(6)), 'only the very fragment that was added');
  assert.equal(seqs(set), [5, 6, 8, 9]);
  set.delete(fs[0]!);
  set.delete(fs[1]!);
  assert.equal(seqs(set), [8, 9]);
  assert.is(set.size, 2);
  assert.is(set.min((f) => f.seq), 8);
});

test('deleting while iterating visits every fragment once', () => {
  const set = new InFlight<{ seq: number }>();
  for (let i = 0; i < 10; i++) set.add(frag(i));
  const seen: number[] = [];
  for (const f of set.values()) { seen.push(f.seq); if (f.seq % 3 !== 0) set.delete(f); }
  assert.equal(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(seqs(set), [0, 3, 6, 9]);
});

test('refuses a fragment that does not follow the last one, and starts afresh when empty', () => {
  const set = new InFlight<{ seq: number }>();
  set.add(frag(0));
  assert.throws(() => set.add(frag(2)), RangeError);
  set.delete(set.values().next().value!);
  set.add(frag(40));
  assert.equal(seqs(set), [40]);
});

test('stays small over a long run: acknowledged slots are dropped', () => {
  const set = new InFlight<{ seq: number }>();
  const live: Array<{ seq: number }> = [];
  for (let seq = 0; seq < 100_000; seq++) {
    const f = frag(seq);
    set.add(f);
    live.push(f);
    if (live.length > 50) set.delete(live.shift()!);
  }
  assert.is(set.size, 50);
  assert.equal(seqs(set), live.map((f) => f.seq));
  assert.ok((set as unknown as { slots: unknown[] }).slots.length < 5_000, 'the array does not grow with the run');
});

test.run();
