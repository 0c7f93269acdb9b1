// Relayed file data yields to chat (lib/chat/bulk-pacer.ts): while a chat message was fanned out within
// CHAT_ACTIVE_MS the relay hands on at most its rate (after a burst); a quiet room relays at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BulkPacer } from '../lib/chat/bulk-pacer.ts';
import { FileRelay } from '../lib/chat/room-files.ts';
import type { Member } from '../lib/chat/room.ts';
import { CHAT_ACTIVE_MS, FILE_CHUNK_BYTES } from '../lib/constants.ts';
import { chunkKey, sealChunk } from '../lib/e2e/file-crypto.ts';

test('no chat: everything goes at once, whatever the size', () => {
  let now = 0;
  const p = new BulkPacer({ rate: 1000, burst: 100, lastChatAt: () => -Infinity, now: () => now });
  for (let i = 0; i < 50; i++) assert.is(p.delay(1_000_000), 0);
  now = 5;
  assert.is(p.delay(10), 0);
});

test('while the room chats: a burst, then the rate; the wait asked for is exact; quiet again: at once', () => {
  let now = 1_000;
  let chatAt = 1_000;
  const p = new BulkPacer({ rate: 1000, burst: 100, lastChatAt: () => chatAt, now: () => now });
  assert.is(p.delay(60), 0);
  assert.is(p.delay(40), 0, 'the burst');
  assert.is(p.delay(50), 50, '50 bytes at 1000 B/s: 50 ms');
  now += 20;
  assert.is(p.delay(50), 30, '20 bytes came back in 20 ms');
  now += 30;
  assert.is(p.delay(50), 0);
  assert.is(p.delay(500), 100, 'more than the burst waits for a full bucket, not for ever');
  now += 100;
  assert.is(p.delay(500), 0);
  now = chatAt + CHAT_ACTIVE_MS;
  assert.is(p.delay(10_000), 0, 'nobody chatted for CHAT_ACTIVE_MS');
  chatAt = now;
  assert.is(p.delay(60), 0, 'a full burst after the quiet');
  assert.ok(p.delay(60) > 0);
  assert.throws(() => new BulkPacer({ rate: 0, lastChatAt: () => 0 }), RangeError);
});

function fake(name: string): Member & { got: unknown[] } {
  const got: unknown[] = [];
  return { name, key: name, address: '', since: 0, keysFp: '', ready: true, readyAt: 0, send: (m) => got.push(m), bucket: undefined as never, queue: [], draining: false, warnedFlood: false, got };
}

async function relayTen(chatting: boolean): Promise<{ atOnce: number; after: number; waitedMs: number }> {
  const a = fake('ani'); const b = fake('budi');
  const members = new Map([[a.name, a], [b.name, b]]);
  const size = 10 * FILE_CHUNK_BYTES;
  const chunkBytes = sealChunk(chunkKey(Buffer.alloc(32, 1), '0'.repeat(32)), '0'.repeat(32), 0, 10, Buffer.alloc(1000)).length;
  // A burst of three chunks, then 20 chunks a second.
  const pacer = new BulkPacer({ rate: 20 * chunkBytes, burst: 3 * chunkBytes, lastChatAt: () => (chatting ? performance.now() : -Infinity) });
  const relay = new FileRelay({ member: (x) => members.get(x), room: 'SHA256:room', whenBelow: (_m, _n, cb) => cb(), drop: () => {}, pacer });
  const id = 'ab'.repeat(16);
  relay.message(a, { t: 'foffer', offer: { v: 1, id, from: 'ani', to: 'budi', room: 'SHA256:room', name: 'a.bin', size, sha256: 'a'.repeat(64), chunk: FILE_CHUNK_BYTES, commit: 'c'.repeat(64), wrap: 'AAAA', sig: 'AAAA' } });
  relay.message(b, { t: 'fack', id, next: 0 });
  const key = chunkKey(Buffer.alloc(32, 1), id);
  const before = b.got.length;
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) relay.chunk(a, sealChunk(key, id, i, 10, Buffer.alloc(1000)));
  const atOnce = b.got.length - before;
  while (b.got.length - before < 10 && performance.now() - t0 < 3_000) await new Promise((r) => setTimeout(r, 10));
  return { atOnce, after: b.got.length - before, waitedMs: performance.now() - t0 };
}

test('the relay holds chunks beyond the burst while the room chats, and hands them all on at the rate', async () => {
  const r = await relayTen(true);
  assert.is(r.atOnce, 3, 'the burst only');
  assert.is(r.after, 10, 'all of them in the end, in order');
  assert.ok(r.waitedMs >= 300, `7 chunks at 20 a second take ~350 ms (took ${r.waitedMs.toFixed(0)})`);
});

test('a quiet room: the relay hands every chunk on at once', async () => {
  assert.is((await relayTen(false)).atOnce, 10);
});

test.run();
