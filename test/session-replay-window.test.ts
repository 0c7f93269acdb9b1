import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_PACKET_NUMBER, REPLAY_WINDOW } from '../lib/constants.ts';
import { ReplayWindow } from '../lib/session/replay-window.ts';
import { Rng } from './support/rng.ts';

test('accepts a packet number until it is committed, then never again', () => {
  const w = new ReplayWindow();
  assert.is(w.size, REPLAY_WINDOW);
  assert.ok(w.accepts(0));
  assert.ok(w.accepts(0), 'asking does not consume');
  w.commit(0);
  assert.not.ok(w.accepts(0));
  w.commit(5);
  assert.not.ok(w.accepts(5));
  for (const pn of [1, 2, 3, 4, 6]) assert.ok(w.accepts(pn), `pn ${pn}`);
});

test('refuses numbers at or below highest minus the window size', () => {
  const w = new ReplayWindow(100);
  w.commit(1000);
  assert.not.ok(w.accepts(900));
  assert.not.ok(w.accepts(0));
  assert.ok(w.accepts(901));
  w.commit(901);
  assert.not.ok(w.accepts(901));
  w.commit(900);
  assert.is(w.highest, 1000, 'a refused commit changes nothing');
});

test('a jump past the whole window forgets the old bits without losing new ones', () => {
  const w = new ReplayWindow(2048);
  w.commit(10);
  w.commit(2057);
  assert.not.ok(w.accepts(10), 'pn 10 is still inside the window and was committed');
  assert.ok(w.accepts(11));
  w.commit(2058);
  assert.not.ok(w.accepts(10));
  assert.ok(w.accepts(2058 + 2048), 'slot 10 was reused for 2058, not left set');
  w.commit(100_000);
  assert.ok(w.accepts(100_000 - 2047));
  assert.not.ok(w.accepts(100_000 - 2048));
  assert.not.ok(w.accepts(100_000));
});

test('refuses numbers that are not 48-bit non-negative integers', () => {
  const w = new ReplayWindow(16);
  for (const pn of [-1, 0.5, NaN, Infinity, MAX_PACKET_NUMBER + 1]) assert.not.ok(w.accepts(pn), String(pn));
  assert.ok(w.accepts(MAX_PACKET_NUMBER));
  w.commit(MAX_PACKET_NUMBER);
  assert.not.ok(w.accepts(MAX_PACKET_NUMBER));
  assert.ok(w.accepts(MAX_PACKET_NUMBER - 15));
});

test('agrees with a simple set model over 20,000 seeded operations', () => {
  for (const size of [1, 31, 32, 33, 2048]) {
    const rng = new Rng(size); // seeded (test/support/rng.ts): a failing sequence reproduces
    const w = new ReplayWindow(size);
    const seen = new Set<number>();
    let highest = -1;
    for (let step = 0; step < 20_000; step++) {
      const pn = Math.max(0, highest + rng.int(size * 2 + 40) - size - 20);
      const expected = !seen.has(pn) && pn > highest - size;
      assert.is(w.accepts(pn), expected, `size ${size} step ${step} pn ${pn} highest ${highest}`);
      if (expected && rng.chance(0.8)) {
        w.commit(pn);
        seen.add(pn);
        highest = Math.max(highest, pn);
      }
    }
  }
});

test('refuses a window size that is not a positive integer', () => {
  assert.throws(() => new ReplayWindow(0), RangeError);
  assert.throws(() => new ReplayWindow(1.5), RangeError);
});

test.run();
