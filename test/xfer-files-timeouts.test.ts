// Transfers that cannot go on end (issue 19): an offer nobody answers expires on both sides, a transfer
// paused because the other side is gone fails with reason "timeout" (the recipient's temporary file goes), and
// /accept refuses a file the downloads folder's file system has no room for. Real clients and server on
// 127.0.0.1; the clocks of the timeouts are moved by hand (no long sleeps).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_DISK_MARGIN_BYTES, FILE_OFFER_TIMEOUT_MS, FILE_PAUSE_TIMEOUT_MS } from '../lib/constants.ts';
import { joinClient, type Recorder, waitFor } from './support/chat-harness.ts';
import { FileEvents, fileRoom, seededFile } from './support/files.ts';

const room = fileRoom(test, 'obrolan-files-timeouts-');

interface Member { r: Recorder; f: FileEvents; clock: { t: number } }

/** A member whose transfers' timeouts read `clock.t`. */
async function member(name: string): Promise<Member> {
  const r = await joinClient(room.port, join(room.dir, name), name);
  room.cleanup.push(() => r.client.close());
  const clock = { t: 1_000_000 };
  r.client.files.timing.now = () => clock.t;
  return { r, f: new FileEvents(r.client), clock };
}

const downloads = (m: Member) => readdir(join(room.dir, m.r.client.name!, 'downloads')).catch(() => [] as string[]);

test('an offer nobody answers expires on both sides after FILE_OFFER_TIMEOUT_MS, whichever side notices first', async () => {
  const ani = await member('ani');
  const budi = await member('budi');
  await waitFor(() => ani.r.client.users().includes('budi'), 10_000, 'both in the room');
  await seededFile(join(room.dir, 'a.bin'), 5000, 1);
  for (const first of [ani, budi]) {
    const failedBefore = ani.f.failed.length;
    const [id] = await ani.r.client.files.send('budi', join(room.dir, 'a.bin'));
    await waitFor(() => budi.f.offers.some((o) => o.id === id), 10_000, 'the offer');
    await ani.r.client.files.sweep();
    await budi.r.client.files.sweep(); // both start counting
    first.clock.t += FILE_OFFER_TIMEOUT_MS - 1;
    await first.r.client.files.sweep();
    assert.is(ani.f.failed.length, failedBefore, 'not yet');
    first.clock.t += 1;
    await first.r.client.files.sweep();
    await waitFor(() => ani.f.failed.some((e) => e.id === id) && budi.f.failed.some((e) => e.id === id), 10_000, 'both sides told');
    assert.is(ani.f.failed.find((e) => e.id === id)!.reason, 'timeout');
    assert.is(budi.f.failed.find((e) => e.id === id)!.reason, 'timeout');
    assert.equal(ani.r.client.files.ids(), []);
    assert.equal(budi.r.client.files.ids(), []);
    await waitFor(() => room.server.files.size === 0, 5000, 'the server forgot it');
  }
  await ani.r.client.close();
  await budi.r.client.close();
});

test('the sender is gone mid-file: the recipient\'s paused transfer fails with "timeout" and its temporary file is removed', async () => {
  const cara = await member('cara');
  const dodi = await member('dodi');
  await waitFor(() => cara.r.client.users().includes('dodi'), 10_000, 'both in the room');
  await seededFile(join(room.dir, 'big.bin'), 3 * 1024 * 1024, 2);
  let relayed = 0;
  room.server.files.tap = () => { if (++relayed === 6) void cara.r.client.close(); };
  const [id] = await cara.r.client.files.send('dodi', join(room.dir, 'big.bin'));
  await waitFor(() => dodi.f.offers.length === 1, 10_000, 'the offer');
  await dodi.r.client.files.accept(id!);
  await waitFor(() => dodi.r.client.files.receiver.states().some(([, s]) => s === 'paused'), 10_000, 'paused (cara gone)');
  room.server.files.tap = undefined;
  assert.equal((await downloads(dodi)).sort(), [`.obrolan-${id}.part`, `.obrolan-${id}.part.json`], 'the partial file is kept while paused');
  await dodi.r.client.files.sweep();
  dodi.clock.t += FILE_PAUSE_TIMEOUT_MS - 1;
  await dodi.r.client.files.sweep();
  assert.equal(dodi.f.failed, [], 'not yet');
  dodi.clock.t += 1;
  await dodi.r.client.files.sweep();
  assert.equal(dodi.f.failed.map((e) => [e.id, e.reason]), [[id, 'timeout']]);
  assert.equal(await downloads(dodi), [], 'the temporary file is gone');
  assert.equal(dodi.r.client.files.ids(), []);
  await dodi.r.client.close();
});

test('the recipient is gone mid-file: the sender\'s paused transfer fails with "timeout"', async () => {
  const eka = await member('eka');
  const fajar = await member('fajar');
  await waitFor(() => eka.r.client.users().includes('fajar'), 10_000, 'both in the room');
  let relayed = 0;
  room.server.files.tap = () => { if (++relayed === 6) void fajar.r.client.close(); };
  const [id] = await eka.r.client.files.send('fajar', join(room.dir, 'big.bin'));
  await waitFor(() => fajar.f.offers.length === 1, 10_000, 'the offer');
  await fajar.r.client.files.accept(id!);
  await waitFor(() => !eka.r.client.users().includes('fajar'), 10_000, 'fajar gone');
  room.server.files.tap = undefined;
  await eka.r.client.files.sweep();
  await new Promise((r) => setTimeout(r, 100)); // the "gone" has arrived with the leave; nothing else is coming
  assert.equal(eka.f.failed, []);
  eka.clock.t += FILE_PAUSE_TIMEOUT_MS;
  await eka.r.client.files.sweep();
  assert.equal(eka.f.failed.map((e) => [e.id, e.reason]), [[id, 'timeout']]);
  assert.equal(eka.r.client.files.ids(), []);
  await eka.r.client.close();
});

test('/accept with too little free disk space is refused with a clear error; the sender hears why; nothing is written', async () => {
  const gita = await member('gita');
  const hadi = await member('hadi');
  await waitFor(() => gita.r.client.users().includes('hadi'), 10_000, 'both in the room');
  const size = 200_000;
  await seededFile(join(room.dir, 'c.bin'), size, 3);
  let asked = '';
  hadi.r.client.files.receiver.freeBytes = async (d) => { asked = d; return size + FILE_DISK_MARGIN_BYTES - 1; };
  const [id] = await gita.r.client.files.send('hadi', join(room.dir, 'c.bin'));
  await waitFor(() => hadi.f.offers.length === 1, 10_000, 'the offer');
  const err = await hadi.r.client.files.accept(id!).then(() => undefined, (e: Error) => e);
  assert.ok(err, '/accept refused');
  assert.match(err!.message, /not enough free disk space for c\.bin in .*downloads: .* free, 196 KiB needed/);
  assert.is(asked, join(room.dir, 'hadi', 'downloads'));
  await waitFor(() => gita.f.failed.length === 1, 10_000, 'the sender told');
  assert.equal(gita.f.failed.map((e) => [e.id, e.reason]), [[id, 'not enough free disk space at the recipient']]);
  assert.equal(await downloads(hadi), []);
  assert.equal(hadi.r.client.files.ids(), []);
  // With just enough room the same file is taken.
  hadi.r.client.files.receiver.freeBytes = async () => size + FILE_DISK_MARGIN_BYTES;
  const [id2] = await gita.r.client.files.send('hadi', join(room.dir, 'c.bin'));
  await waitFor(() => hadi.f.offers.length === 2, 10_000, 'the second offer');
  await hadi.r.client.files.accept(id2!);
  await waitFor(() => hadi.f.done.length === 1, 10_000, 'the file');
});

test.run();
