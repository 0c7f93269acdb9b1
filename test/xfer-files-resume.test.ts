// A file transfer interrupted by a lost connection continues from the recipient's last verified chunk once
// both ends are back, without starting over (issue 19); and /send PATH offers a file to everyone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_CHUNK_BYTES, FILE_WINDOW_CHUNKS } from '../lib/constants.ts';
import { joinClient, type Recorder, startServer, waitFor } from './support/chat-harness.ts';
import { FileEvents, fileRoom, seededFile, sha256 } from './support/files.ts';
import { runFileCommand } from '../lib/chat/file-commands.ts';

const room = fileRoom(test, 'obrolan-files-resume-');
const member = room.member;

let ani: { r: Recorder; f: FileEvents };
let budi: { r: Recorder; f: FileEvents };

test('the sender\'s connection drops mid-file: the transfer resumes from the last verified chunk and the file arrives whole', async () => {
  ani = await member('ani');
  budi = await member('budi');
  await waitFor(() => ani.r.client.users().length === 2, 10_000, 'both in the room');
  const size = 4 * 1024 * 1024;
  const chunks = size / FILE_CHUNK_BYTES;
  const bytes = await seededFile(join(room.dir, 'four.bin'), size, 44);
  let relayed = 0;
  let dropped = false;
  room.server.files.tap = () => {
    relayed++;
    // A third of the way in, ani loses its connection (no goodbye) and logs in again.
    if (relayed === Math.floor(chunks / 3) && !dropped) { dropped = true; void ani.r.client.reconnect(); }
  };
  const [id] = await ani.r.client.files.send('budi', join(room.dir, 'four.bin'));
  await waitFor(() => budi.f.offers.length === 1, 10_000, 'the offer');
  await budi.r.client.files.accept(id!);
  await waitFor(() => budi.f.done.length === 1 || budi.f.failed.length > 0 || ani.f.failed.length > 0, 60_000, 'the file');
  assert.ok(dropped, 'the connection was dropped midway');
  assert.equal([...budi.f.failed, ...ani.f.failed], []);
  assert.is(sha256(await readFile(budi.f.done[0]!.path as string)), sha256(bytes));
  await waitFor(() => ani.f.done.length === 1, 10_000, 'the sender told');
  assert.ok(ani.r.readies >= 1 && ani.r.warnings.length >= 0);
  // Resumed, not restarted: at most a window (and the chunks in flight) sent twice.
  assert.ok(relayed <= chunks + 2 * FILE_WINDOW_CHUNKS, `relayed ${relayed} chunks for ${chunks}`);
  assert.is(room.server.files.size, 0);
  room.server.files.tap = undefined;
});

test('/send PATH offers the file to everyone else in the room, each with its own key and transfer', async () => {
  const citra = await member('citra');
  await waitFor(() => citra.r.client.users().length === 3, 10_000, 'three in the room');
  const f = join(room.dir, 'sheet.txt');
  const bytes = await seededFile(f, 70_000, 45);
  ani.f.offers.length = 0; budi.f.offers.length = 0; ani.f.done.length = 0; budi.f.done.length = 0;
  const r = await runFileCommand(citra.r.client.files, citra.r.client.users(), `/send ${f}`);
  assert.is(r!.ids.length, 2, 'one transfer per member');
  assert.is(r!.to, undefined);
  await waitFor(() => ani.f.offers.length === 1 && budi.f.offers.length === 1, 10_000, 'both offered');
  assert.is.not(ani.f.offers[0]!.id, budi.f.offers[0]!.id);
  await ani.r.client.files.accept(ani.f.offers[0]!.id);
  await budi.r.client.files.accept(budi.f.offers[0]!.id);
  await waitFor(() => ani.f.done.length === 1 && budi.f.done.length === 1, 20_000, 'both saved');
  for (const x of [ani, budi]) assert.ok((await readFile(x.f.done[0]!.path as string)).equals(bytes));
});

test('a server restart mid-file: both clients come back and the transfer continues from the last verified chunk', async () => {
  const first = await startServer(join(room.dir, 'server3'));
  const s2 = first.server;
  const p = first.port;
  const join2 = async (name: string): Promise<{ r: Recorder; f: FileEvents }> => {
    const r = await joinClient(p, join(room.dir, `restart-${name}`), name);
    room.cleanup.push(() => r.client.close());
    return { r, f: new FileEvents(r.client) };
  };
  const a = await join2('ani');
  const b = await join2('budi');
  await waitFor(() => a.r.client.users().length === 2, 10_000, 'both in the room');
  const size = 6 * FILE_WINDOW_CHUNKS * FILE_CHUNK_BYTES; // six windows: the stop lands mid-file
  const chunks = size / FILE_CHUNK_BYTES;
  const bytes = await seededFile(join(room.dir, 'three.bin'), size, 46);
  let relayedFirst = 0;
  let stopping: Promise<void> | undefined;
  s2.files.tap = () => { if (++relayedFirst === Math.floor(chunks / 2)) stopping = s2.stop(); };
  const [id] = await a.r.client.files.send('budi', join(room.dir, 'three.bin'));
  await waitFor(() => b.f.offers.length === 1, 10_000, 'the offer');
  await b.r.client.files.accept(id!);
  await waitFor(() => stopping !== undefined, 30_000, 'the server stopped midway');
  await stopping;
  const again = await startServer(join(room.dir, 'server3'), { port: p });
  room.cleanup.push(() => again.server.stop());
  let relayedSecond = 0;
  again.server.files.tap = () => { relayedSecond++; };
  await waitFor(() => b.f.done.length === 1 || b.f.failed.length > 0 || a.f.failed.length > 0, 60_000, 'the file after the restart');
  assert.equal([...a.f.failed, ...b.f.failed], []);
  assert.is(sha256(await readFile(b.f.done[0]!.path as string)), sha256(bytes));
  assert.ok(relayedSecond > 0 && relayedSecond <= chunks - Math.floor(chunks / 2) + 2 * FILE_WINDOW_CHUNKS, `the restarted server relayed ${relayedSecond} of ${chunks}: resumed, not restarted`);
});

test.run();
