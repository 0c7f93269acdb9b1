// A transfer survives a client restart (issue 19): the sender keeps what it was sending on disk and offers
// it again when it is back; the recipient keeps its verified partial file and the offer's description, and
// takes the new offer up where it stopped, without asking again. Real clients and server on 127.0.0.1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkHead } from '../lib/e2e/file-crypto.ts';
import { waitFor } from './support/chat-harness.ts';
import { FileEvents, fileRoom, seededFile, sha256 } from './support/files.ts';

const room = fileRoom(test, 'obrolan-files-restart-');
const member = room.member;

/** Relayed chunks as [transfer id, index]. */
function tapRelay(onEach: (n: number) => void): Array<[string, number]> {
  const seen: Array<[string, number]> = [];
  room.server.files.tap = (buf) => { const h = chunkHead(buf)!; seen.push([h.id, h.index]); onEach(seen.length); };
  return seen;
}

const SIZE = 3 * 1024 * 1024 + 123;
const CHUNKS = Math.ceil(SIZE / 32768);

test('the sender restarts mid-file: it offers the file again by itself and the recipient goes on from its verified chunks', async () => {
  const ani = await member('ani');
  const budi = await member('budi');
  await waitFor(() => ani.r.client.users().includes('budi'), 10_000, 'both in the room');
  const bytes = await seededFile(join(room.dir, 'movie.bin'), SIZE, 7);
  const seen = tapRelay((n) => { if (n === 30) void ani.r.client.close(); });
  const [id] = await ani.r.client.files.send('budi', join(room.dir, 'movie.bin'));
  await waitFor(() => budi.f.offers.length === 1, 10_000, 'the offer');
  await budi.r.client.files.accept(id!);
  await waitFor(() => budi.r.client.files.receiver.states().some(([, s]) => s === 'paused'), 10_000, 'paused (ani gone)');
  assert.ok((await readdir(join(room.dir, 'ani', 'files'))).includes(`out-${id}.json`), 'the sender kept the transfer on disk');
  const ani2 = await member('ani'); // the same history folder: a restart
  await waitFor(() => budi.f.done.length === 1 || budi.f.failed.length > 0, 30_000, 'the file');
  assert.equal(budi.f.failed, []);
  assert.is(budi.f.offers.length, 1, 'not asked again');
  assert.is(sha256(await readFile(budi.f.done[0]!.path as string)), sha256(bytes));
  const second = seen.filter(([t]) => t !== id);
  assert.ok(second.length > 0, 'a new transfer');
  assert.ok(second[0]![1] >= 8, `went on from chunk ${second[0]![1]}, not from 0`);
  assert.is(second.at(-1)![1], CHUNKS - 1);
  await waitFor(() => ani2.f.done.length === 1, 10_000, 'the sender told');
  assert.ok(budi.r.warnings.some((w) => /ani offered movie\.bin again: going on at .* of 3\.0 MiB/.test(w)), budi.r.warnings.join('\n'));
  assert.equal(await readdir(join(room.dir, 'ani', 'files')), [], 'nothing left to resume');
  assert.equal((await readdir(join(room.dir, 'budi', 'downloads'))).filter((n) => n.startsWith('.')), [], 'no temporary file left');
  await ani2.r.client.close();
  await budi.r.client.close();
});

test('the recipient restarts mid-file: its partial file and the offer are kept, and the sender\'s new offer goes on from there', async () => {
  const cara = await member('cara');
  const dodi = await member('dodi');
  await waitFor(() => cara.r.client.users().includes('dodi'), 10_000, 'both in the room');
  const bytes = await seededFile(join(room.dir, 'album.bin'), SIZE, 8);
  const seen = tapRelay((n) => { if (n === 30) void dodi.r.client.close(); });
  const [id] = await cara.r.client.files.send('dodi', join(room.dir, 'album.bin'));
  await waitFor(() => dodi.f.offers.length === 1, 10_000, 'the offer');
  await dodi.r.client.files.accept(id!);
  await waitFor(() => !cara.r.client.users().includes('dodi'), 10_000, 'dodi gone');
  const kept = await readdir(join(room.dir, 'dodi', 'downloads'));
  assert.equal(kept.sort(), [`.obrolan-${id}.part`, `.obrolan-${id}.part.json`], 'the partial file and its description are kept');
  const before = seen.length;
  const dodi2 = await member('dodi');
  await waitFor(() => dodi2.f.done.length === 1 || dodi2.f.failed.length > 0, 30_000, 'the file');
  assert.equal(dodi2.f.failed, []);
  assert.is(dodi2.f.offers.length, 0, 'not asked again');
  assert.is(sha256(await readFile(dodi2.f.done[0]!.path as string)), sha256(bytes));
  const after = seen.slice(before);
  assert.ok(after[0]![1] >= 8, `went on from chunk ${after[0]![1]}, not from 0`);
  await waitFor(() => cara.f.done.length === 1, 10_000, 'the sender told');
  assert.equal((await readdir(join(room.dir, 'dodi', 'downloads'))).filter((n) => n.startsWith('.')), []);
  await cara.r.client.close();
  await dodi2.r.client.close();
});

test('a kept partial file nobody offers again is removed after the pause timeout', async () => {
  const eka = await member('eka');
  const fajar = await member('fajar');
  await waitFor(() => eka.r.client.users().includes('fajar'), 10_000, 'both in the room');
  tapRelay((n) => { if (n === 20) void fajar.r.client.close(); });
  const [id] = await eka.r.client.files.send('fajar', join(room.dir, 'album.bin'));
  await waitFor(() => fajar.f.offers.length === 1, 10_000, 'the offer');
  await fajar.r.client.files.accept(id!);
  await waitFor(() => !eka.r.client.users().includes('fajar'), 10_000, 'fajar gone');
  await eka.r.client.files.cancel(id!); // the sender gives up while fajar is away
  const fajar2 = await member('fajar');
  const clock = { t: 0 };
  fajar2.r.client.files.timing.now = () => clock.t;
  await fajar2.r.client.files.receiver.loadSaved();
  await fajar2.r.client.files.sweep();
  clock.t += fajar2.r.client.files.timing.pausedMs;
  await fajar2.r.client.files.sweep();
  assert.equal(fajar2.f.failed.map((e) => [e.id, e.reason]), [[id, 'timeout']]);
  assert.equal(await readdir(join(room.dir, 'fajar', 'downloads')), []);
});

test.run();
