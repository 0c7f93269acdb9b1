// A 5 MiB seeded-random file through a lossy UDP proxy (10 % loss, 5 % duplication, reordering) on both
// clients' links arrives with the same SHA-256; neither the wire (every datagram the proxy carried), nor the
// server's view of the chunks it relayed, nor the server's history folder holds a 64-byte run of the file.
// Then chunks replayed, reordered or taken from another transfer are refused by the recipient, and the
// server refuses chunks that are not the next of the sender's own accepted transfer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { joinClient, type Recorder, removeDir, startServer, tempDir, waitFor } from './support/chat-harness.ts';
import { FileEvents, holdsRunOf, seededFile, sha256 } from './support/files.ts';
import { Rng } from './support/rng.ts';
import { UdpProxy } from './support/udp-proxy.ts';
import type { ChatServer } from '../lib/chat/server.ts';

let dir = '';
const cleanup: Array<() => Promise<unknown> | void> = [];
test.before(async () => { dir = await tempDir('obrolan-files-lossy-'); });
test.after(async () => {
  for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {});
  await removeDir(dir);
});

/** Every file under `d`, recursively. */
async function filesUnder(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...await filesUnder(p)); else out.push(p);
  }
  return out;
}

let server: ChatServer;
let ani: Recorder; let budi: Recorder;
let aniF: FileEvents; let budiF: FileEvents;
const relayed: Buffer[] = [];

test('5 MiB through 10 % loss, 5 % duplication and reordering arrives with the same sha-256; no 64-byte run of it on the wire or the server', async () => {
  let port: number;
  ({ server, port } = await startServer(join(dir, 'server')));
  cleanup.push(() => server.stop());
  server.files.tap = (b) => relayed.push(b);
  const proxy = await UdpProxy.start(port);
  cleanup.push(() => proxy.close());
  const rng = new Rng(1919);
  const held: Array<{ client: string; dir: 'up' | 'down'; data: Buffer }> = [];
  proxy.hook = (d) => {
    if (rng.chance(0.1)) return null;
    if (rng.chance(0.05)) setTimeout(() => void (d.dir === 'up' ? proxy.sendUp(d.client, d.data) : proxy.sendDown(d.client, d.data)), rng.int(20)).unref();
    if (rng.chance(0.05)) { held.push(d); setTimeout(() => { const h = held.shift(); if (h) void (h.dir === 'up' ? proxy.sendUp(h.client, h.data) : proxy.sendDown(h.client, h.data)); }, 5 + rng.int(30)).unref(); return null; }
    return undefined;
  };
  ani = await joinClient(proxy.port, join(dir, 'ani'), 'ani');
  cleanup.push(() => ani.client.close());
  budi = await joinClient(proxy.port, join(dir, 'budi'), 'budi');
  cleanup.push(() => budi.client.close());
  aniF = new FileEvents(ani.client); budiF = new FileEvents(budi.client);
  await waitFor(() => ani.client.users().length === 2, 15_000, 'both in the room');

  const bytes = await seededFile(join(dir, 'five.bin'), 5 * 1024 * 1024, 5);
  const [id] = await ani.client.files.send('budi', join(dir, 'five.bin'));
  await waitFor(() => budiF.offers.length === 1, 15_000, 'the offer');
  await budi.client.files.accept(id!);
  await waitFor(() => budiF.done.length === 1 || budiF.failed.length > 0 || aniF.failed.length > 0, 150_000, 'the file');
  assert.equal(budiF.failed, []);
  const path = budiF.done[0]!.path as string;
  assert.is(sha256(await readFile(path)), sha256(bytes));
  assert.is(budiF.done[0]!.sha256, sha256(bytes));
  await waitFor(() => aniF.done.length === 1, 15_000, 'the sender told');
  assert.ok(budiF.progress.length > 0, 'progress shown');
  assert.ok(relayed.length >= 160, `the server relayed every chunk (${relayed.length})`);

  proxy.hook = undefined;
  const wire = Buffer.concat(proxy.captured.map((c) => c.data));
  assert.ok(wire.length > bytes.length, 'the wire carried at least the file');
  assert.not.ok(holdsRunOf(wire, bytes), 'no 64-byte run of the file on the wire');
  assert.not.ok(holdsRunOf(Buffer.concat(relayed), bytes), 'no 64-byte run of the file in what the server relayed');
  for (const f of await filesUnder(join(dir, 'server'))) {
    if ((await stat(f)).size >= 64) assert.not.ok(holdsRunOf(await readFile(f), bytes), `no run of the file in ${f}`);
  }
  assert.is(server.files.size, 0, 'no transfer left in memory');
});

test('chunks replayed, reordered or taken from another transfer are refused by the recipient and the server', async () => {
  // Two transfers to budi; budi accepts both; replays of first-transfer chunks, a chunk moved to another
  // index, and a chunk of one transfer with the other's id are fed to budi's client directly.
  await waitFor(() => ani.client.users().length === 2 && budi.client.users().length === 2, 20_000, 'both in the room');
  const a = await seededFile(join(dir, 'a.bin'), 200_000, 6);
  await seededFile(join(dir, 'b.bin'), 200_000, 7);
  const seen: Buffer[] = [];
  const files = budi.client.files;
  const orig = files.chunk.bind(files);
  budiF.offers.length = 0; budiF.done.length = 0;
  const [ida] = await ani.client.files.send('budi', join(dir, 'a.bin'));
  await waitFor(() => budiF.offers.length === 1, 15_000, 'offer a');
  // Hold transfer a's chunks at budi: collect them and deliver only after the forgeries.
  files.chunk = (buf: Buffer) => { seen.push(buf); };
  await files.accept(ida!);
  await waitFor(() => seen.length >= 4, 15_000, 'some chunks of a');
  files.chunk = orig;
  const refusedBefore = files.receiver.refused;
  const first = seen[0]!; const second = seen[1]!;
  orig(second); // out of order: chunk 1 before chunk 0
  const moved = Buffer.from(first); moved.writeUInt32BE(1, 17); orig(moved); // chunk 0 relabelled as 1
  const other = Buffer.from(first); other[1]! ^= 0xff; orig(other); // another transfer's id
  assert.is(files.receiver.refused - refusedBefore, 3, 'reordered, moved and foreign chunks refused');
  for (const b of seen) orig(b); // now in order: accepted
  orig(first); // replayed
  assert.is(files.receiver.refused - refusedBefore, 4, 'the replay refused too');
  await waitFor(() => budiF.done.length === 1 || budiF.failed.length > 0, 60_000, 'a arrives');
  assert.equal(budiF.failed, []);
  assert.is(sha256(await readFile(budiF.done[0]!.path as string)), sha256(a));

  // The server: a chunk replayed upstream (as ani) is dropped and counted, not relayed.
  const dropped = (): number => (server.stats().dropped.file_unknown ?? 0) + (server.stats().dropped.file_bad_chunk ?? 0);
  const before = dropped();
  const sendRaw = (ani.client as unknown as { sendRaw: (b: Buffer) => boolean }).sendRaw.bind(ani.client);
  sendRaw(first);
  sendRaw(second);
  await waitFor(() => dropped() >= before + 2, 10_000, 'the server drops both');
  // And budi, who is not the sender, cannot inject chunks into a transfer either.
  const relayedBefore = server.files.relayed;
  (budi.client as unknown as { sendRaw: (b: Buffer) => boolean }).sendRaw(first);
  await waitFor(() => dropped() >= before + 3, 10_000, 'the server drops a chunk from the wrong member');
  assert.is(server.files.relayed, relayedBefore);
});

test.run();
