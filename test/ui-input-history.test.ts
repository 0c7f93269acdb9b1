// Up/Down history and Tab completion of the chat input, without a terminal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyCompletion, nextCompletion, startCompletion } from '../lib/ui/complete.ts';
import { InputHistory } from '../lib/ui/input-history.ts';

test('Up goes back through sent lines and Down returns to the line being typed', () => {
  const h = new InputHistory(100, ['old']);
  h.add('one');
  h.add('two');
  assert.is(h.up('draft'), 'two');
  assert.is(h.up('two'), 'one');
  assert.is(h.up('one'), 'old');
  assert.is(h.up('old'), undefined);
  assert.is(h.down(), 'one');
  assert.is(h.down(), 'two');
  assert.is(h.down(), 'draft');
  assert.is(h.down(), undefined);
});

test('keeps the newest lines only, and no blanks or repeats', () => {
  const h = new InputHistory(3);
  for (const l of ['a', 'b', 'b', ' ', 'c', 'd']) h.add(l);
  assert.equal(h.list(), ['b', 'c', 'd']);
});

const src = { names: ['budi', 'Bunga', 'carol'], commands: ['/help', '/msg', '/me', '/quit'] };

test('a name at the start of the line gets ": ", elsewhere a blank; Tab again cycles', () => {
  let c = startCompletion('bu', 2, src)!;
  assert.equal(applyCompletion(c), { text: 'budi: ', cursor: 6 });
  c = nextCompletion(c);
  assert.equal(applyCompletion(c), { text: 'Bunga: ', cursor: 7 });
  c = nextCompletion(c);
  assert.equal(applyCompletion(c).text, 'budi: ');
  const mid = startCompletion('hi ca and more', 5, src)!;
  assert.equal(applyCompletion(mid), { text: 'hi carol and more', cursor: 8 });
});

test('completes /commands at the start and names after /msg, and nothing for no match', () => {
  const cmd = startCompletion('/m', 2, src)!;
  assert.equal(cmd.choices, ['/me', '/msg']);
  assert.equal(applyCompletion(cmd).text, '/me ');
  const dm = startCompletion('/msg ca', 7, src)!;
  assert.equal(applyCompletion(dm).text, '/msg carol ');
  assert.is(startCompletion('zz', 2, src), undefined);
  assert.is(startCompletion('', 0, src), undefined);
});

test.run();
