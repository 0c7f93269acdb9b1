// The sender's queue of messages waiting to be cut into fragments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageQueue } from '../lib/channel/queue.ts';

test('cuts messages into pieces in order, saying where each piece lies in its message', () => {
  const q = new MessageQueue();
  q.push(Buffer.from('abcdefgh'));
  q.push(Buffer.from('xy'));
  assert.is(q.bytes, 10);
  const pieces: Array<[string, boolean, boolean]> = [];
  while (!q.isEmpty) {
    const data = q.cut(3);
    pieces.push([data.toString(), q.cutFirst, q.cutLast]);
  }
  assert.equal(pieces, [['abc', true, false], ['def', false, false], ['gh', false, true], ['xy', true, true]]);
  assert.is(q.bytes, 0);
  assert.is(q.nextLength(3), 0);
});

test('a message that fits is handed on as it is, not as a view', () => {
  const q = new MessageQueue();
  const m = Buffer.from('whole');
  q.push(m);
  assert.is(q.nextLength(100), 5);
  assert.is(q.cut(100), m);
});

test('stays small over a long run', () => {
  const q = new MessageQueue();
  for (let i = 0; i < 10_000; i++) { q.push(Buffer.from([i & 0xff])); q.cut(10); }
  assert.ok(q.isEmpty);
  assert.ok((q as unknown as { queue: unknown[] }).queue.length < 3_000, 'cut entries are dropped');
});

test.run();
