// After an attack the server runs one compacting collection (lib/compact-after-attack.ts): when, decided
// second by second from its drop counter and connections before login; and that the collection does give
// back the pages a plain one keeps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AttackWatch, type AttackSigns } from '../lib/compact-after-attack.ts';
import { compactHeap } from '../lib/gc.ts';
import { ATTACK_COMPACT_GAP_MS, ATTACK_QUIET_S } from '../lib/constants.ts';

/** The seconds (indexes) at which a watch fed `seconds`, one a second from `t0`, says to compact. */
function compactions(seconds: AttackSigns[], watch = new AttackWatch(), t0 = 0): number[] {
  return seconds.flatMap((s, i) => (watch.second(s, t0 + i * 1_000) ? [i] : []));
}

/** `n` seconds of an attack: 2,000 drops a second, 100 connections before login. */
function attack(n: number, from: AttackSigns): AttackSigns[] {
  return Array.from({ length: n }, (_, i) => ({ dropped: from.dropped + (i + 1) * 2_000, preLogin: 100 }));
}

test('a server with no attack never compacts: a few drops and logins are not an attack', () => {
  const seconds = Array.from({ length: 120 }, (_, i) => ({ dropped: i * 3, preLogin: i % 4 }));
  assert.equal(compactions(seconds), []);
});

test('once the attack stops: one compaction after the calm seconds, one more when the held connections are gone', () => {
  const during = attack(10, { dropped: 0, preLogin: 0 });
  const end = during.at(-1)!;
  // The attacker stops: no more drops; its 100 held connections wait for their login deadline (10 s).
  const after = Array.from({ length: 15 }, (_, i) => ({ dropped: end.dropped, preLogin: i < 10 ? 100 : 0 }));
  const at = compactions([{ dropped: 0, preLogin: 0 }, ...during, ...after]);
  const stop = 1 + during.length;
  assert.equal(at, [stop + ATTACK_QUIET_S - 1, stop + 10]);
});

test('a new attack soon after a compaction waits for the gap; connections rising reset the calm', () => {
  const watch = new AttackWatch();
  const first = attack(5, { dropped: 0, preLogin: 0 });
  const calm = (d: number, n: number, pre = 0): AttackSigns[] => Array.from({ length: n }, () => ({ dropped: d, preLogin: pre }));
  let seq = [{ dropped: 0, preLogin: 0 }, ...first, ...calm(first.at(-1)!.dropped, 3)];
  const second = attack(5, seq.at(-1)!);
  seq = [...seq, ...second, ...calm(second.at(-1)!.dropped, 5)];
  assert.is(compactions(seq, watch).length, 1, `only one within ${ATTACK_COMPACT_GAP_MS} ms`);
  const rising = new AttackWatch();
  const up = [{ dropped: 0, preLogin: 0 }, ...attack(3, { dropped: 0, preLogin: 0 }), ...[40, 41, 42, 43, 44].map((p) => ({ dropped: 6_000, preLogin: p }))];
  assert.equal(compactions(up, rising), [], 'connections before login still growing: not over');
});

test('compactHeap gives back at once the old-space pages that a plain full collection keeps', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const oldSpace = (): number => getHeapSpaceStatistics().find((x) => x.space_name === 'old_space')!.space_size;
  const fragmented = (): Array<{ a: string; b: number[] }> => {
    let keep: Array<{ a: string; b: number[] }> = [];
    for (let i = 0; i < 300_000; i++) keep.push({ a: `x${i}`, b: new Array(i % 7 ? 2 : 20).fill(i) });
    gc(); gc(); // all of it in old space now
    keep = keep.filter((_, i) => i % 10 === 0); // the survivors are spread over every page
    return keep;
  };
  let keep = fragmented();
  const before = oldSpace();
  gc();
  const plain = oldSpace();
  keep = [];
  gc(); gc();
  keep = fragmented();
  compactHeap();
  const compacted = oldSpace();
  const mb = (x: number): string => (x / 2 ** 20).toFixed(1);
  assert.ok(compacted < before * 0.5, `old space ${mb(before)} MB, ${mb(plain)} after a plain collection, ${mb(compacted)} compacted`);
  assert.ok(keep.length > 0);
});

test.run();
