// Bracketed paste and Alt-Enter taken out of the terminal input before neo-blessed's key parser.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PasteSplitter } from '../lib/ui/term-input.ts';

function run(chunks: string[]): Array<[string, string]> {
  const s = new PasteSplitter();
  const out: Array<[string, string]> = [];
  for (const c of chunks) s.feed(c, (k) => out.push(['keys', k]), (p) => out.push(['paste', p]));
  return out;
}

test('keys before and after a paste in one read keep their order', () => {
  assert.equal(run(['ab\x1b[200~one\r\ntwo\x1b[201~cd\r']), [['keys', 'ab'], ['paste', 'one\ntwo'], ['keys', 'cd\r']]);
});

test('a paste split over many reads, markers split too, arrives once and whole', () => {
  const text = 'x'.repeat(5000);
  const whole = `\x1b[200~${text}\x1b[201~`;
  const chunks: string[] = [];
  for (let i = 0; i < whole.length; i += 7) chunks.push(whole.slice(i, i + 7));
  assert.equal(run(chunks), [['paste', text]]);
});

test('Alt-Enter becomes a pasted line break; a lone Escape still goes to the keys', () => {
  assert.equal(run(['a\x1b\rb']), [['keys', 'a'], ['paste', '\n'], ['keys', 'b']]);
  assert.equal(run(['\x1b']), [['keys', '\x1b']]);
});

test.run();
