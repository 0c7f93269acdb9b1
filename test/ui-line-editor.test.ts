// The input line's model, without a terminal: editing actions, graphemes, the viewport.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineEditor, viewport } from '../lib/ui/line-editor.ts';

/** Cells as a terminal draws them: CJK and emoji two, combining marks and ZWJ none. */
function cells(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x200d || (c >= 0x300 && c <= 0x36f) || (c >= 0xfe00 && c <= 0xfe0f)) continue;
    n += (c >= 0x1100 && c <= 0xffdc && c >= 0x2e80) || c >= 0x1f300 ? 2 : 1;
  }
  return n;
}

function ed(text: string, cursor?: number): LineEditor {
  const e = new LineEditor();
  e.set(text, cursor);
  return e;
}

test('inserts in the middle and moves by character, Home and End', () => {
  const e = ed('helo');
  e.run('left');
  e.insert('l');
  assert.is(e.text, 'hello');
  e.run('home');
  e.insert('>');
  e.run('end');
  e.insert('!');
  assert.is(e.text, '>hello!');
  assert.is(e.cursor, 7);
});

test('the cursor never splits a CJK character, an emoji, a ZWJ family or a combining accent', () => {
  const family = '👨‍👩‍👧';
  const e = ed(`a${family}b漢é`); // e + combining acute
  e.run('end');
  e.run('left');
  assert.is(e.text.slice(e.cursor), 'é');
  e.run('left');
  e.run('left');
  e.run('left');
  assert.is(e.text.slice(e.cursor), `${family}b漢é`);
  e.run('deleteForward');
  assert.is(e.text, 'ab漢é');
  e.run('end');
  e.run('deleteBack');
  assert.is(e.text, 'ab漢');
  e.set(`x${family}`, 3); // inside the family: snapped back to its start
  assert.is(e.cursor, 1);
});

test('Alt-B and Alt-F move by words; Ctrl-W deletes the word before, Ctrl-Y puts it back', () => {
  const e = ed('hello big world');
  e.run('wordLeft');
  assert.is(e.cursor, 10);
  e.run('wordLeft');
  assert.is(e.cursor, 6);
  e.run('wordRight');
  assert.is(e.cursor, 9);
  e.run('end');
  e.run('deleteWordBack');
  assert.is(e.text, 'hello big ');
  e.run('home');
  e.run('yank');
  assert.is(e.text, 'worldhello big ');
});

test('Ctrl-U and Ctrl-K delete to the start and the end, and Ctrl-Y yanks the last kill', () => {
  const e = ed('one two three', 7);
  e.run('killToEnd');
  assert.is(e.text, 'one two');
  e.run('killToStart');
  assert.is(e.text, '');
  e.run('yank');
  assert.is(e.text, 'one two');
  assert.ok(!e.run('nope' as never), 'an unknown action is refused');
});

test('a long line scrolls so the cursor stays in view, and wide characters are never cut', () => {
  const text = 'abcdefghij漢字xyz';
  let v = viewport(text, text.length, 0, 8, cells);
  assert.ok(v.cursorCol <= 7, `cursor at ${v.cursorCol}`);
  assert.ok(text.endsWith(v.text), v.text);
  assert.ok(cells(v.text) <= 8);
  v = viewport(text, 0, v.start, 8, cells);
  assert.is(v.start, 0);
  assert.is(v.cursorCol, 0);
  assert.is(v.text, 'abcdefgh');
  // Start inside the view: it does not jump.
  const again = viewport(text, 3, 2, 8, cells);
  assert.is(again.start, 2);
  assert.is(again.cursorCol, 1);
  const wide = viewport('漢字漢字漢', 10, 0, 5, cells);
  assert.ok(cells(wide.text) <= 5 && !wide.text.includes('\ufffd'), wide.text);
});

test.run();
