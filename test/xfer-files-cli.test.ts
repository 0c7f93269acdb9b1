// Files in the line mode (issue 19): `/send USER PATH` (spaces in PATH), `/accept ID`, and the --json events
// file_offer, file_progress, file_done {id, path, sha256}, file_failed {id, reason}, between two
// `client.ts --no-ui --json` processes and a headless server process; --downloads DIR and --max-file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDir, tempDir, testKeys } from './support/chat-harness.ts';
import { seededFile, sha256 } from './support/files.ts';
import { type Child, killAll, startLineClient, startServerProcess, type ServerChild } from './support/processes.ts';

const EVENT_MS = 20_000;
let dir = '';
let server: ServerChild;
let ani: Child;
let budi: Child;

test.before(async () => {
  dir = await tempDir('obrolan-files-cli-');
  server = await startServerProcess(join(dir, 'server'));
  for (const name of ['ani', 'budi']) await testKeys(join(dir, name));
  ani = await startLineClient({ port: server.port, username: 'ani', historyDir: join(dir, 'ani'), extra: ['--max-file', '1M'] });
  budi = await startLineClient({ port: server.port, username: 'budi', historyDir: join(dir, 'budi'), extra: ['--downloads', join(dir, 'got')] });
  await ani.waitForEvent((e) => e.type === 'join' && e.user === 'budi', EVENT_MS, 'ani sees budi join');
});
test.after(async () => {
  await killAll();
  await removeDir(dir);
});

test('/send budi PATH with spaces, /accept ID: file_offer, file_progress, file_done {id, path, sha256} under --downloads', async () => {
  await mkdir(join(dir, 'my files'));
  const src = join(dir, 'my files', 'exercise sheet.pdf');
  const bytes = await seededFile(src, 900_000, 77);
  ani.writeLine(`/send budi ${src}`);
  const offer = await budi.waitForEvent((e) => e.type === 'file_offer', EVENT_MS, 'the offer');
  assert.is(offer.from, 'ani');
  assert.is(offer.name, 'exercise sheet.pdf');
  assert.is(offer.size, 900_000);
  assert.is(offer.sha256, sha256(bytes));
  budi.writeLine(`/accept ${offer.id}`);
  const done = await budi.waitForEvent((e) => e.type === 'file_done', EVENT_MS, 'saved');
  assert.is(done.id, offer.id);
  assert.is(done.path, join(dir, 'got', 'exercise sheet.pdf'));
  assert.is(done.sha256, sha256(bytes));
  assert.ok((await readFile(join(dir, 'got', 'exercise sheet.pdf'))).equals(bytes));
  const sent = await ani.waitForEvent((e) => e.type === 'file_done', EVENT_MS, 'the sender told');
  assert.is(sent.id, offer.id);
  const progress = budi.ofType('file_progress');
  assert.ok(progress.every((p) => p.id === offer.id && typeof p.bytes === 'number'));
});

test('a file over --max-file is refused with a clear error; a missing file too', async () => {
  const big = join(dir, 'big.bin');
  await seededFile(big, 2 * 1024 * 1024, 78);
  const mark = ani.events.length;
  ani.writeLine(`/send budi ${big}`);
  const e = await ani.waitForEvent((x) => x.type === 'error', EVENT_MS, 'too large', mark);
  assert.is(e.code, 'too_large');
  assert.match(e.message as string, /--max-file/);
  ani.writeLine(`/send budi ${join(dir, 'nothing here.txt')}`);
  const e2 = await ani.waitForEvent((x) => x.type === 'error' && x.code === 'bad_arguments', EVENT_MS, 'missing file', mark);
  assert.match(e2.message as string, /ENOENT/);
});

test('/decline ID: the sender gets file_failed {id, reason: "declined"}', async () => {
  const src = join(dir, 'note.txt');
  await seededFile(src, 10, 79);
  const mark = budi.events.length;
  ani.writeLine(`/send budi ${src}`);
  const offer = await budi.waitForEvent((e) => e.type === 'file_offer', EVENT_MS, 'the offer', mark);
  budi.writeLine(`/decline ${offer.id}`);
  const failed = await ani.waitForEvent((e) => e.type === 'file_failed' && e.id === offer.id, EVENT_MS, 'declined');
  assert.is(failed.reason, 'declined');
});

test.run();
