// While file data flows through the relay, and while a client sends or receives a file, V8's incremental
// marking is held (lib/gc.ts): it would otherwise mark and compact every 60–150 ms during a transfer. What a
// user relies on: the hold is taken once, whatever the number of transfers, and given back when the last
// one ends however it ends (done, cancelled, its member gone, the program stopping), so neither the server
// nor a client runs on without it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileRelay } from '../lib/chat/room-files.ts';
import type { Member } from '../lib/chat/room.ts';
import { FILE_CHUNK_BYTES } from '../lib/constants.ts';
import { chunkKey, sealChunk } from '../lib/e2e/file-crypto.ts';
import { holdIncrementalMarking, markingHolds } from '../lib/gc.ts';
import { join } from 'node:path';
import { joinClient, removeDir, startServer, tempDir, waitFor } from './support/chat-harness.ts';
import { FileEvents, seededFile } from './support/files.ts';

function fake(name: string): Member {
  return { name, key: name, address: '', since: 0, keysFp: '', ready: true, readyAt: 0, send: () => {}, bucket: undefined as never, queue: [], draining: false, warnedFlood: false };
}

function setup(): { relay: FileRelay; held: () => number; holds: () => number; a: Member; b: Member; c: Member; offer: (from: Member, to: Member, id: string, chunks?: number) => void } {
  const [a, b, c] = [fake('ani'), fake('budi'), fake('citra')];
  const members = new Map([a, b, c].map((m) => [m.name, m]));
  let held = 0;
  let holds = 0;
  const holdMarking = (): (() => void) => {
    held++; holds++;
    let done = false;
    return () => { assert.not.ok(done, 'released twice'); done = true; held--; };
  };
  const relay = new FileRelay({ member: (x) => members.get(x), room: 'SHA256:room', whenBelow: (_m, _n, cb) => cb(), drop: () => {}, holdMarking });
  const offer = (from: Member, to: Member, id: string, chunks = 2): void => relay.message(from, { t: 'foffer', offer: {
    v: 1, id, from: from.name, to: to.name, room: 'SHA256:room', name: 'a.bin', size: chunks * FILE_CHUNK_BYTES, sha256: 'a'.repeat(64), chunk: FILE_CHUNK_BYTES, commit: 'c'.repeat(64), wrap: 'AAAA', sig: 'AAAA',
  } });
  return { relay, held: () => held, holds: () => holds, a, b, c, offer };
}

const ID1 = '1'.repeat(32);
const ID2 = '2'.repeat(32);

test('an offer alone holds nothing; accepted, one hold for any number of transfers; the last one done gives it back', () => {
  const s = setup();
  s.offer(s.a, s.b, ID1);
  s.offer(s.c, s.b, ID2);
  assert.is(s.held(), 0, 'nothing flows before acceptance');
  s.relay.message(s.b, { t: 'fack', id: ID1, next: 0 });
  s.relay.message(s.b, { t: 'fack', id: ID2, next: 0 });
  assert.is(s.held(), 1);
  assert.is(s.holds(), 1, 'two transfers, one hold');
  const send = (from: Member, id: string): void => { for (let i = 0; i < 2; i++) s.relay.chunk(from, sealChunk(chunkKey(Buffer.alloc(32, 1), id), id, i, 2, Buffer.alloc(100))); };
  send(s.a, ID1);
  send(s.c, ID2);
  s.relay.message(s.b, { t: 'fack', id: ID1, next: 2 });
  assert.is(s.relay.size, 1, 'the first one is through');
  assert.is(s.held(), 1, 'one transfer still flows');
  s.relay.message(s.b, { t: 'fack', id: ID2, next: 2 });
  assert.is(s.held(), 0, 'both received: released');
  assert.is(s.relay.size, 0);
});

test('a cancel, a member who leaves and the server stopping each give the hold back', () => {
  const s = setup();
  s.offer(s.a, s.b, ID1);
  s.relay.message(s.b, { t: 'fack', id: ID1, next: 0 });
  s.relay.message(s.a, { t: 'fcancel', id: ID1, reason: 'cancelled' });
  assert.is(s.held(), 0, 'cancelled');
  s.offer(s.a, s.b, ID2);
  s.relay.message(s.b, { t: 'fack', id: ID2, next: 0 });
  s.relay.left(s.b);
  assert.is(s.held(), 0, 'the recipient left');
  s.offer(s.a, s.c, ID1);
  s.relay.message(s.c, { t: 'fack', id: ID1, next: 0 });
  assert.is(s.held(), 1);
  s.relay.close();
  assert.is(s.held(), 0, 'the server stopped');
  assert.is(s.holds(), 3);
});

test('a declined offer never holds', () => {
  const s = setup();
  s.offer(s.a, s.b, ID1);
  s.relay.message(s.b, { t: 'fcancel', id: ID1, reason: 'declined' });
  assert.is(s.holds(), 0);
});

test('holdIncrementalMarking nests: released in any order, each release once', () => {
  const r1 = holdIncrementalMarking();
  const r2 = holdIncrementalMarking();
  r1(); r1();
  r2();
  // Nothing observable from JS but that it does not throw and a later hold works again.
  holdIncrementalMarking()();
});

test('real server and clients: held while a file moves (relay, sender, recipient), none left once it is saved or cancelled', async () => {
  const dir = await tempDir('obrolan-marking-');
  const { server, port } = await startServer(join(dir, 'server'));
  const ani = await joinClient(port, join(dir, 'ani'), 'ani');
  const budi = await joinClient(port, join(dir, 'budi'), 'budi');
  try {
    const aniF = new FileEvents(ani.client); const budiF = new FileEvents(budi.client);
    await waitFor(() => ani.client.users().length === 2, 10_000, 'both in the room');
    assert.is(markingHolds(), 0, 'nothing held before a transfer');
    const src = join(dir, 'big.bin');
    await seededFile(src, 4 * 1024 * 1024, 31);
    let most = 0;
    const look = (): void => { most = Math.max(most, markingHolds()); };
    budi.client.on('file_progress', look); ani.client.on('file_progress', look);
    const [id] = await ani.client.files.send('budi', src);
    await waitFor(() => budiF.offers.length === 1, 10_000, 'the offer');
    assert.is(markingHolds(), 0, 'an offer holds nothing');
    await budi.client.files.accept(id!);
    await waitFor(() => budiF.done.length === 1 && aniF.done.length === 1, 30_000, 'saved, and the sender told');
    assert.is(most, 3, 'the relay, the sender and the recipient each held it while the file moved');
    await waitFor(() => markingHolds() === 0, 2_000, 'all given back once the file is saved');

    budiF.offers.length = 0;
    const [id2] = await ani.client.files.send('budi', src);
    await waitFor(() => budiF.offers.length === 1, 10_000, 'the second offer');
    await budi.client.files.accept(id2!);
    await waitFor(() => budiF.progress.some((e) => e.id === id2), 10_000, 'some of it moved');
    await budi.client.files.cancel(id2!);
    await waitFor(() => aniF.failed.some((e) => e.id === id2), 10_000, 'the sender hears of the cancel');
    await waitFor(() => markingHolds() === 0, 5_000, 'all given back after a cancel');
  } finally {
    await ani.client.close(); await budi.client.close(); await server.stop();
    await removeDir(dir);
  }
});

test.run();
