// The server's known names (lib/chat/known-names.ts): look-alikes found by skeleton, the same name
// (same key) never counted as a look-alike, a bounded list, and a damaged file that holds nobody.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KnownNames } from '../lib/chat/known-names.ts';

let dir = '';
test.before(async () => { dir = await mkdtemp(join(tmpdir(), 'obrolan-known-')); });
test.after(async () => { await rm(dir, { recursive: true, force: true }); });

const fail = (err: Error): never => { throw err; };

test('finds the known name a look-alike copies, but never a spelling of the same name', async () => {
  const k = await KnownNames.load(join(dir, 'a.json'));
  k.remember('alice', fail);
  assert.is(k.lookalike('\u0430lice'), 'alice');
  assert.is(k.lookalike('A1ICE'), 'alice');
  assert.is(k.lookalike('ALICE'), undefined, 'the same name in capitals');
  assert.is(k.lookalike('alicia'), undefined);
  await k.save();
  const again = await KnownNames.load(join(dir, 'a.json'));
  assert.is(again.lookalike('al\u0456ce'), 'alice', 'kept across a restart');
});

test('keeps at most `max` names, forgetting the least recently seen', async () => {
  const k = await KnownNames.load(join(dir, 'b.json'), 3);
  for (const n of ['anna', 'budi', 'citra']) k.remember(n, fail);
  k.remember('anna', fail); // seen again: now the newest
  k.remember('dewi', fail);
  assert.is(k.size, 3);
  assert.is(k.lookalike('bud\u0456'), undefined, 'budi was forgotten');
  assert.is(k.lookalike('\u0430nna'), 'anna');
  await k.save();
  assert.equal((JSON.parse(await readFile(join(dir, 'b.json'), 'utf8')) as { names: string[] }).names, ['citra', 'anna', 'dewi']);
});

test('never forgets a name that is in the room, however many others come', async () => {
  const k = await KnownNames.load(join(dir, 'e.json'), 3);
  k.isPresent = (key) => key === 'alice';
  k.remember('alice', fail);
  for (let i = 0; i < 20; i++) k.remember(`user${i}`, fail);
  assert.is(k.size, 3);
  assert.is(k.lookalike('\u0430lice'), 'alice');
});

test('a damaged file holds nobody, and names that break the rule are skipped', async () => {
  await writeFile(join(dir, 'c.json'), '{"names": ["alice", 42, "🔒 bob", "ok\\u3164"');
  assert.is((await KnownNames.load(join(dir, 'c.json'))).size, 0);
  await writeFile(join(dir, 'd.json'), JSON.stringify({ names: ['alice', 42, '🔒 bob', 'ok\u3164', null] }));
  const k = await KnownNames.load(join(dir, 'd.json'));
  assert.is(k.size, 1);
  k.learn(['budi', 'alice']);
  assert.is(k.size, 2);
});

test.run();
