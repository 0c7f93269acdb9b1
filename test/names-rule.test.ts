// Tests of the one name rule, folding and skeleton (lib/names.ts) and the reserved names (lib/chat/username.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkName, foldName, nameSkeletons } from '../lib/names.ts';
import { checkUsername } from '../lib/chat/username.ts';

function reason(raw: string): string {
  const r = checkUsername(raw);
  if (r.ok) throw new Error(`${JSON.stringify(raw)} accepted as ${JSON.stringify(r.name)}`);
  return r.reason;
}

const looksAlike = (a: string, b: string): boolean => nameSkeletons(a).some((s) => nameSkeletons(b).includes(s));

test('refuses the forged-lock name "🔒 alice → you" and other symbols, emoji and punctuation', () => {
  assert.match(reason('🔒 alice → you'), /only hold letters, digits.*U\+1F512/);
  for (const raw of ['alice →', 'alice:', 'alice 🙂', '[alice]', 'alice✓', 'a{bold}', 'a/b', 'alice\'s', 'a+b', 'a|ice', '‐alice']) {
    reason(raw);
  }
  assert.match(reason('...'), /letter or a digit/);
  for (const raw of ['bob\ua789 hi', '09\u02d030', 'alice\u01c3', 'a\u01c0b']) assert.match(reason(raw), /drawn like punctuation|only hold letters/);
  assert.ok(checkName('alice…').ok, 'NFKC makes the ellipsis three dots, which are allowed');
});

test('refuses names that draw blank: Hangul fillers, the blank braille pattern and their kin', () => {
  for (const blank of ['\u3164', '\u115f', '\u1160', '\uffa0', '\u2800', '\u17b4', '\u180e', '\ufe0f', '\u034f', '\ufffc']) {
    assert.match(reason(`alice${blank}`), /invisible|not allowed/, `alice + ${blank.codePointAt(0)!.toString(16)}`);
    assert.match(reason(blank), /empty|invisible|not allowed/);
  }
  assert.match(reason('alice\u3164'), /U\+1160|U\+3164/);
  assert.match(reason('alice\u2800'), /U\+2800/);
});

test('refuses zero-width and bidi characters anywhere in a name', () => {
  for (const c of ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u202e', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c']) {
    assert.match(reason(`al${c}ice`), /invisible/, `U+${c.codePointAt(0)!.toString(16)}`);
  }
});

test('refuses a mark on nothing and a stack of marks', () => {
  reason('\u0301alice');
  reason('alice \u0301x');
  reason('a\u0301\u0302\u0303\u0304\u0305lice');
  assert.ok(checkName('ส้ม').ok, 'Thai with a vowel and a tone mark is fine');
});

test('folds the dotless ı and the dotted İ to a plain i, and says so in one function', () => {
  assert.is(foldName('Alı'), 'ali');
  assert.is(foldName('ALİ'), 'ali');
  assert.is(foldName('Ali'), 'ali');
  assert.is(foldName('I\u0307'), 'i', 'a decomposed İ too');
  const c = checkName('Alı');
  assert.ok(c.ok && c.key === 'ali');
});

test('folding is idempotent over a sweep of the BMP', () => {
  for (let cp = 0x20; cp < 0x10000; cp += 1) {
    if (cp >= 0xd800 && cp < 0xe000) continue;
    const s = `a${String.fromCodePoint(cp)}b`;
    const once = foldName(s);
    if (foldName(once) !== once) assert.unreachable(`foldName is not idempotent on U+${cp.toString(16)}`);
  }
});

test('gives look-alike names one skeleton: Cyrillic, Greek, digits, capital I, rn', () => {
  const pairs: Array<[string, string]> = [
    ['alice', '\u0430lice'],          // Cyrillic а
    ['alice', 'ali\u0441e'],          // Cyrillic с
    ['alice', 'a1ice'],
    ['alice', 'AIice'],
    ['alice', 'aIice'],
    ['Bob', 'B\u043eb'],               // Cyrillic о
    ['Bob', 'B0b'],
    ['ops', '\u03bfps'],              // Greek ο
    ['paypal', '\u0440aypal'],        // Cyrillic р
    ['mary', 'rnary'],
    ['Ali', 'Al\u0131'],              // dotless ı
    ['José', 'Jose'],
    ['KEN', '\u039a\u0395\u039d'],    // Greek capitals
  ];
  for (const [a, b] of pairs) assert.ok(looksAlike(a, b), `${a} and ${b} should look alike`);
  for (const [a, b] of [['alice', 'alicia'], ['bob', 'bib'], ['budi', 'budi2'], ['ana', 'anna']]) {
    assert.not.ok(looksAlike(a!, b!), `${a} and ${b} should not look alike`);
  }
});

test('refuses look-alikes of the reserved names', () => {
  for (const raw of ['you', 'YOU', 'y0u', '\u0443ou', 'syst\u0435m', 'Server']) assert.match(reason(raw), /reserved/);
  assert.ok(checkUsername('young').ok);
});

test.run();
