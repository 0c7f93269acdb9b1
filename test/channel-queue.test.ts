// The sender's queue of messages waiting to be cut into fragments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LaneQueue, MessageQueue } from '../lib/channel/queue.ts';
import { Sim, connectChannels, createLink } from './support/sim.ts';
import { Rng } from './support/rng.ts';

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

test('a normal message goes before bulk ones not yet started; a bulk one already started finishes first', () => {
  const q = new LaneQueue();
  q.push(Buffer.from('BBBBBB'), true);
  q.push(Buffer.from('CCCCCC'), true);
  const first = q.cut(4); // the bulk message starts
  q.push(Buffer.from('chat'), false);
  const pieces = [first.toString()];
  while (!q.isEmpty) pieces.push(q.cut(4).toString());
  assert.equal(pieces, ['BBBB', 'BB', 'chat', 'CCCC', 'CC']);
  assert.is(q.bytes, 0);
});

test('over a channel, a chat message sent after 64 file chunks is delivered second, not 65th', () => {
  const sim = new Sim();
  const { a, b } = connectChannels(sim, createLink(sim, new Rng(3), { delayMs: 2 }));
  const chunk = (i: number): Buffer => Buffer.alloc(32 * 1024, i);
  for (let i = 0; i < 64; i++) a.channel.sendMessage(chunk(i), sim.now, true);
  a.channel.flush(sim.now); // the first chunk starts leaving
  a.send(Buffer.from('hello'));
  assert.ok(sim.runUntil(() => b.messages.length === 65, 60_000), 'all delivered');
  assert.is(b.messages[1]!.toString(), 'hello');
  assert.ok(b.messages[0]!.equals(chunk(0)) && b.messages[2]!.equals(chunk(1)) && b.messages[64]!.equals(chunk(63)), 'chunks in their order');
});

test.run();
