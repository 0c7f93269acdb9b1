import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLines, readDocs, repairFile } from '../lib/history/lines.ts';

const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'obrolan-lines-'));
  dirs.push(dir);
  return dir;
}

const doc = (n: number): string => JSON.stringify({ _id: `id${n}`, n });

test.after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('reads documents the way NeDB does: later lines win, $$deleted removes, bookkeeping is ignored', () => {
  const text = [doc(1), doc(2), '{"_id":"id1","n":10}', '{"$$indexCreated":{"fieldName":"n"}}', '{"_id":"id2","$$deleted":true}', doc(3), ''].join('\n');
  const parsed = parseLines(Buffer.from(text));
  assert.equal(parsed.docs, [{ _id: 'id1', n: 10 }, { _id: 'id3', n: 3 }]);
  assert.equal(parsed.bad, []);
});

test('tells a torn last line from a corrupt line in the middle', () => {
  const text = `${doc(1)}\n[1,2]\n${doc(2)}\n{"_id":"id3","n`;
  const { docs, bad } = parseLines(Buffer.from(text));
  assert.is(docs.length, 2);
  assert.equal(bad.map((b) => [b.lineNo, b.last]), [[2, false], [4, true]]);
});

test('keeps a whole last line that only lacks its newline', async () => {
  const dir = await tempDir();
  const file = join(dir, 'a.db');
  await writeFile(file, `${doc(1)}\n${doc(2)}`);
  const warnings: string[] = [];
  assert.equal((await repairFile(file, (w) => warnings.push(w))).length, 2);
  assert.equal(warnings, []);
  assert.equal(await readdir(dir), ['a.db']);
});

test('cuts several bad lines, saves their bytes and keeps every whole line in order', async () => {
  const dir = await tempDir();
  const file = join(dir, 'a.db');
  await writeFile(file, `${doc(1)}\nnot json\n${doc(2)}\n\n{oops}\n${doc(3)}\n{"_id":"id4","n":4`);
  const warnings: string[] = [];
  const docs = await repairFile(file, (w) => warnings.push(w), 1234);
  assert.equal(docs.map((d) => d.n), [1, 2, 3]);
  assert.is(await readFile(file, 'utf8'), `${doc(1)}\n${doc(2)}\n\n${doc(3)}\n`);
  assert.is(await readFile(`${file}.torn-1234`, 'utf8'), 'not json\n{oops}\n{"_id":"id4","n":4');
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, file);
  assert.match(warnings[0]!, /2 corrupt lines \(2, 5\) and a torn last line \(18 bytes/);
  assert.match(warnings[0]!, /a\.db\.torn-1234/);
});

test('never overwrites an earlier saved torn line', async () => {
  const dir = await tempDir();
  const file = join(dir, 'a.db');
  await writeFile(`${file}.torn-7`, 'earlier');
  await writeFile(file, `${doc(1)}\n{"_id"`);
  await repairFile(file, () => {}, 7);
  assert.is(await readFile(`${file}.torn-7`, 'utf8'), 'earlier');
  assert.is(await readFile(`${file}.torn-8`, 'utf8'), '{"_id"');
  assert.is(await readFile(file, 'utf8'), `${doc(1)}\n`);
});

test('restores a file from the NeDB temp copy left by a crash during compaction', async () => {
  const dir = await tempDir();
  const file = join(dir, 'a.db');
  await writeFile(`${file}~`, `${doc(1)}\n`);
  assert.equal((await readDocs(file)).docs, [{ _id: 'id1', n: 1 }]);
  assert.equal(await readdir(dir), ['a.db']);
  assert.equal(await repairFile(join(dir, 'missing.db'), () => {}), []);
});

test('reads a damaged file without changing it when asked only to read', async () => {
  const dir = await tempDir();
  const file = join(dir, 'a.db');
  const text = `${doc(1)}\n{"_id":"id2"`;
  await writeFile(file, text);
  const { docs, bad } = await readDocs(file);
  assert.is(docs.length, 1);
  assert.is(bad.length, 1);
  assert.is(await readFile(file, 'utf8'), text);
});

test.run();
