// Buffers a connection keeps for its lifetime.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ownCopy } from '../lib/bytes.ts';

test('ownCopy gives bytes in memory of their own, not a slice of a shared pool', () => {
  const pooled = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(pooled.buffer.byteLength > pooled.length, 'Buffer.from of 8 bytes is a pool slice');
  const kept = ownCopy(pooled);
  assert.equal([...kept], [...pooled]);
  assert.is(kept.buffer.byteLength, 8);
  pooled[0] = 99;
  assert.is(kept[0], 1, 'a copy, not a view');
});

test.run();
