// The server's relay of file transfers alone (lib/chat/room-files.ts), with fake members: who may do what on
// a transfer, chunks in order and within the window, limits, and what a member who leaves does to it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileRelay } from '../lib/chat/room-files.ts';
import type { Member } from '../lib/chat/room.ts';
import type { ServerMessage } from '../lib/chat/messages.ts';
import { FILE_CHUNK_BYTES, FILE_MAX_CONCURRENT, FILE_WINDOW_CHUNKS } from '../lib/constants.ts';
import { chunkKey, sealChunk } from '../lib/e2e/file-crypto.ts';

type Fake = Member & { got: Array<ServerMessage | Buffer> };
function fake(name: string): Fake {
  const got: Array<ServerMessage | Buffer> = [];
  return { name, key: name, address: '', since: 0, keysFp: '', ready: true, readyAt: 0, send: (m) => got.push(m), bucket: undefined as never, queue: [], draining: false, warnedFlood: false, got };
}

const ROOM = 'SHA256:room';
let n = 0;
function offer(from: string, to: string, size = 10 * FILE_CHUNK_BYTES): Record<string, unknown> {
  const id = (++n).toString(16).padStart(32, '0');
  return { v: 1, id, from, to, room: ROOM, name: 'a.bin', size, sha256: 'a'.repeat(64), chunk: FILE_CHUNK_BYTES, commit: 'c'.repeat(64), wrap: 'AAAA', sig: 'AAAA' };
}
const key = chunkKey(Buffer.alloc(32, 1), '0'.repeat(32));
const chunk = (id: string, index: number): Buffer => sealChunk(key, id, index, 10, Buffer.alloc(100));

function setup(): { relay: FileRelay; a: Fake; b: Fake; c: Fake; drops: string[] } {
  const a = fake('ani'); const b = fake('budi'); const c = fake('citra');
  const members = new Map([[a.name, a], [b.name, b], [c.name, c]]);
  const drops: string[] = [];
  const relay = new FileRelay({ member: (x) => members.get(x), room: ROOM, whenBelow: (_m, _n, cb) => cb(), drop: (r) => drops.push(r), maxFile: 1024 ** 3 });
  return { relay, a, b, c, drops };
}

test('only the sender\'s chunks of an accepted transfer go on, in order, within the window, to the recipient alone', () => {
  const { relay, a, b, c, drops } = setup();
  const o = offer('ani', 'budi');
  const id = o.id as string;
  relay.message(a, { t: 'foffer', offer: o });
  assert.equal(b.got, [{ t: 'foffer', offer: o }]);
  relay.chunk(a, chunk(id, 0));
  assert.equal(drops, ['file_unknown'], 'not accepted yet: dropped');
  relay.message(a, { t: 'fack', id, next: 0 });
  assert.equal(drops.at(-1), 'file_bad_ack', 'only the recipient accepts');
  relay.message(b, { t: 'fack', id, next: 0 });
  assert.equal(a.got.at(-1), { t: 'fack', id, next: 0 });
  relay.chunk(b, chunk(id, 0));
  relay.chunk(c, chunk(id, 0));
  assert.equal(drops.slice(-2), ['file_unknown', 'file_unknown'], 'the recipient or a third member cannot inject the next chunk');
  relay.chunk(a, chunk(id, 1));
  assert.equal(drops.at(-1), 'file_bad_chunk', 'out of order');
  const got = b.got.length;
  relay.chunk(a, chunk(id, 0));
  assert.is(b.got.length, got + 1, 'the next chunk relayed');
  relay.chunk(a, chunk(id, 0));
  assert.equal(drops.at(-1), 'file_bad_chunk', 'a replay');
  assert.is(c.got.length, 0, 'the third member got nothing');
  relay.close();
});

test('the same offer sent twice by its sender (after a rejoin) is not refused; another member reusing its id is', () => {
  const { relay, a, b, c } = setup();
  const o = offer('ani', 'budi');
  relay.message(a, { t: 'foffer', offer: o });
  relay.message(a, { t: 'foffer', offer: o });
  assert.equal(a.got, [], 'no refusal for the repeat');
  assert.is(b.got.length, 1, 'forwarded once');
  relay.message(c, { t: 'foffer', offer: { ...o, from: 'citra' } });
  assert.equal(c.got, [{ t: 'fcancel', id: o.id, reason: 'transfer id in use' }]);
  relay.close();
});

test('the window: no chunk beyond the last acknowledgement + FILE_WINDOW_CHUNKS', () => {
  const { relay, a, b, drops } = setup();
  const o = offer('ani', 'budi', (FILE_WINDOW_CHUNKS + 4) * FILE_CHUNK_BYTES);
  const id = o.id as string;
  relay.message(a, { t: 'foffer', offer: o });
  relay.message(b, { t: 'fack', id, next: 0 });
  for (let i = 0; i < FILE_WINDOW_CHUNKS; i++) relay.chunk(a, chunk(id, i));
  assert.equal(drops, []);
  relay.chunk(a, chunk(id, FILE_WINDOW_CHUNKS));
  assert.equal(drops, ['file_bad_chunk']);
  relay.message(b, { t: 'fack', id, next: 4 });
  relay.chunk(a, chunk(id, FILE_WINDOW_CHUNKS));
  assert.equal(drops, ['file_bad_chunk'], 'after an ack it may go');
  relay.close();
});

test('offers are refused: another sender or room, absent recipient, too large, too many at once', () => {
  const { relay, a } = setup();
  const refusals = (): string[] => a.got.filter((m): m is Extract<ServerMessage, { t: 'fcancel' }> => !Buffer.isBuffer(m) && m.t === 'fcancel').map((m) => m.reason);
  relay.message(a, { t: 'foffer', offer: offer('budi', 'ani') });
  relay.message(a, { t: 'foffer', offer: { ...offer('ani', 'budi'), room: 'SHA256:other' } });
  relay.message(a, { t: 'foffer', offer: offer('ani', 'dewi') });
  relay.message(a, { t: 'foffer', offer: offer('ani', 'budi', 2 * 1024 ** 3) });
  for (let i = 0; i <= FILE_MAX_CONCURRENT; i++) relay.message(a, { t: 'foffer', offer: offer('ani', i % 2 ? 'budi' : 'citra') });
  const r = refusals();
  assert.is(r[0], 'offer names another sender or room');
  assert.is(r[1], 'offer names another sender or room');
  assert.is(r[2], 'absent');
  assert.match(r[3]!, /too large/);
  assert.match(r[4]!, /at most 3 files at once/);
  assert.is(relay.size, FILE_MAX_CONCURRENT);
  relay.close();
});

test('a member who leaves ends its transfers; the other side hears "gone"; cancels go to the other side only', () => {
  const { relay, a, b, c } = setup();
  const o1 = offer('ani', 'budi'); const o2 = offer('ani', 'budi');
  relay.message(a, { t: 'foffer', offer: o1 });
  relay.message(a, { t: 'foffer', offer: o2 });
  relay.message(c, { t: 'fcancel', id: o2.id as string, reason: 'cancelled' });
  assert.is(relay.size, 2, 'a third member cannot cancel');
  relay.message(b, { t: 'fcancel', id: o2.id as string, reason: 'declined' });
  assert.equal(a.got.at(-1), { t: 'fcancel', id: o2.id, reason: 'declined' });
  relay.left(a);
  assert.equal(b.got.at(-1), { t: 'fcancel', id: o1.id, reason: 'gone' });
  assert.is(relay.size, 0);
  relay.close();
});

test.run();
