// Tab after /accept, /decline and /cancel completes transfer ids as the window shows them (8 characters):
// offers waiting for an answer after /accept and /decline, every transfer after /cancel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyCompletion, nextCompletion, startCompletion, type CompletionSource } from '../lib/ui/complete.ts';

const src: CompletionSource = {
  names: ['budi', 'sari'], commands: ['/accept', '/decline', '/cancel', '/send'],
  offers: ['426c95ef0011223344556677', '4a00ff0011223344'],
  transfers: ['426c95ef0011223344556677', '4a00ff0011223344', '90abcdef99887766'],
};

test('/accept then Tab offers the waiting offers, cycling, and completes a unique prefix', () => {
  const c = startCompletion('/accept ', 8, src)!;
  assert.equal(c.choices, ['426c95ef', '4a00ff00']);
  assert.equal(applyCompletion(c), { text: '/accept 426c95ef ', cursor: 17 });
  assert.equal(applyCompletion(nextCompletion(c)).text, '/accept 4a00ff00 ');
  const one = startCompletion('/decline 4a', 11, src)!;
  assert.equal(applyCompletion(one).text, '/decline 4a00ff00 ');
});

test('/cancel completes every transfer, not only offers; nothing matches: no completion', () => {
  assert.equal(startCompletion('/cancel 9', 9, src)!.choices, ['90abcdef']);
  assert.is(startCompletion('/accept 9', 9, src), undefined);
  assert.is(startCompletion('/accept ', 8, { names: [], commands: [] }), undefined);
});

test('a name is not offered after /accept, and names still complete elsewhere', () => {
  assert.is(startCompletion('/accept b', 9, src), undefined);
  assert.equal(startCompletion('hi b', 4, src)!.choices, ['budi']);
});

test.run();
