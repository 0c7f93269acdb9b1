import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envelopeProblem, KeyHolders, keyProblem } from '../lib/chat/room-e2e.ts';

const member = (name: string, ready = true) => ({ name, ready });

test('a member lacks a sender key until given that epoch; a new epoch starts over', () => {
  const h = new KeyHolders({ ratePerS: 5, burst: 10 }, () => 0);
  const [ani, budi, citra, dewi] = [member('ani'), member('budi'), member('citra'), member('dewi', false)];
  assert.equal(h.missing(ani, 7, [ani, budi, citra, dewi]), ['budi', 'citra'], 'not the sender, not a member still joining');
  assert.is(h.given(ani, budi, 7), 'new');
  assert.equal(h.missing(ani, 7, [ani, budi, citra]), ['citra']);
  assert.equal(h.missing(ani, 8, [ani, budi, citra]), ['budi', 'citra'], 'another epoch than the one given');
  assert.is(h.given(ani, budi, 8), 'new');
  assert.equal(h.missing(ani, 8, [ani, budi, citra]), ['citra']);
});

test('a key message given twice is not forwarded twice, and epochs started too fast are refused', () => {
  let now = 0;
  const h = new KeyHolders({ ratePerS: 1, burst: 2 }, () => now);
  const [ani, budi] = [member('ani'), member('budi')];
  assert.is(h.given(ani, budi, 1), 'new');
  assert.is(h.given(ani, budi, 1), 'duplicate');
  assert.is(h.given(ani, budi, 2), 'new');
  assert.is(h.given(ani, budi, 3), 'flood', 'a burst of 2 epochs, then one per second');
  now = 1_000;
  assert.is(h.given(ani, budi, 3), 'new');
});

test('the server refuses envelopes and key messages with another sender, room or context, and garbage', () => {
  const room = 'SHA256:' + 'A'.repeat(43);
  for (const x of [null, 1, 'x', [], {}, { v: 2 }]) {
    assert.type(envelopeProblem(x, { from: 'ani', id: 'm1', room }), 'string');
    assert.type(keyProblem(x, { from: 'ani', to: 'budi', epoch: 1, room }), 'string');
  }
});

test.run();
