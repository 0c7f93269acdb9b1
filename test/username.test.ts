// Tests of the username rules (lib/chat/username.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { USERNAME_MAX_CHARS } from '../lib/constants.ts';
import { checkUsername, type NameCheck } from '../lib/chat/username.ts';

function accepted(raw: string): { name: string; key: string } {
  const r = checkUsername(raw);
  if (!r.ok) throw new Error(`${JSON.stringify(raw)} refused: ${r.reason}`);
  return { name: r.name, key: r.key };
}

function refused(raw: string, what = JSON.stringify(raw)): string {
  const r: NameCheck = checkUsername(raw);
  if (r.ok) throw new Error(`${what} accepted as ${JSON.stringify(r.name)}`);
  assert.is(r.code, 'bad_name');
  assert.ok(/^[A-Z"].*[.]$/.test(r.reason), `the reason is a sentence: ${r.reason}`);
  return r.reason;
}

test('accepts ordinary names and keeps how they are written', () => {
  for (const name of ['budi', 'Budi Santoso', 'Siti_99', 'José', 'Ñoño', '李小龙', 'Ана', 'a', 'x'.repeat(USERNAME_MAX_CHARS), 'ส้ม', 'क्षि', 'a.b-c_d']) {
    assert.is(accepted(name).name, name);
  }
});

test('trims spaces around the name', () => {
  assert.equal(accepted('  Budi \u3000'), { name: 'Budi', key: 'budi' });
});

test('refuses an empty name or one of only spaces', () => {
  for (const raw of ['', ' ', '   ', '\u3000', '\u00a0']) assert.match(refused(raw), /empty/);
});

test('refuses a name longer than 32 characters, counting code points', () => {
  assert.match(refused('x'.repeat(USERNAME_MAX_CHARS + 1)), /at most 32/);
  // 32 astral letters are 64 UTF-16 units but 32 characters.
  accepted('𐐀'.repeat(USERNAME_MAX_CHARS));
  assert.match(refused('𐐀'.repeat(USERNAME_MAX_CHARS + 1)), /at most 32/);
  refused('x'.repeat(100_000), 'a huge name');
});

test('counts combining characters after NFKC, so a decomposed é is one character', () => {
  const decomposed = 'e\u0301'.repeat(USERNAME_MAX_CHARS); // 64 code points before NFKC, 32 after
  const r = accepted(decomposed);
  assert.is(r.name, '\u00e9'.repeat(USERNAME_MAX_CHARS));
  assert.is(accepted('Jose\u0301').key, accepted('José').key);
  // A mark with no precomposed form still counts.
  refused('x'.repeat(USERNAME_MAX_CHARS) + '\u0353');
  refused('\u0301abc', 'a leading combining mark');
});

test('refuses control characters and line breaks', () => {
  for (const raw of ['bu\u0000di', 'bu\ndi', 'bu\rdi', 'bu\tdi', 'bu\u001bdi', 'bu\u007fdi', 'bu\u0085di', 'bu\u2028di', 'bu\u2029di']) {
    refused(raw, JSON.stringify(raw));
  }
});

test('refuses zero-width joiners and other invisible format characters', () => {
  for (const raw of ['bu\u200ddi', 'bu\u200bdi', 'bu\u200cdi', 'bu\u2060di', '\u202eidub', 'bu\u00addi', 'budi\ufeff\u200d!', 'bu\u{e0041}di']) {
    assert.match(refused(raw, JSON.stringify(raw)), /invisible/);
  }
});

test('refuses private-use characters and lone surrogates', () => {
  for (const raw of ['bu\ue000di', 'bu\u{f0000}di', 'bu\ud800di', 'bu\udfffdi']) refused(raw, JSON.stringify(raw));
});

test('refuses runs of spaces and odd space characters inside a name', () => {
  refused('Budi  Santoso');
  accepted('Budi Santoso');
  refused('Budi\u1680Santoso', 'an Ogham space mark');
  // NFKC turns a no-break space into a plain one, which is fine once, but not twice.
  assert.is(accepted('Budi\u00a0Santoso').name, 'Budi Santoso');
  refused('Budi\u00a0 Santoso');
});

test('refuses the reserved names server and system in any case or width', () => {
  for (const raw of ['server', 'Server', 'SERVER', 'system', 'SyStEm', 'ｓｅｒｖｅｒ', 'ＳＹＳＴＥＭ', ' server ']) {
    assert.match(refused(raw, raw), /reserved/);
  }
  accepted('server2');
  accepted('the system');
});

test('gives one key to names that differ only in case or width', () => {
  const keys = ['Budi', 'BUDI', 'budi', 'ｂｕｄｉ', 'ＢＵＤＩ'].map((n) => accepted(n).key);
  assert.equal(new Set(keys), new Set(['budi']));
  assert.is(accepted('ｂｕｄｉ').name, 'budi', 'the shown name is normalised too');
  assert.is(accepted('Straße').key, accepted('STRASSE').key);
  assert.is(accepted('ΟΔΟΣ').key, accepted('οδοσ').key);
  assert.is(accepted('ΟΔΟΣ').key, accepted('οδος').key);
  assert.is.not(accepted('budi').key, accepted('budi2').key);
  assert.is.not(accepted('Budi Santoso').key, accepted('BudiSantoso').key);
});

test.run();
