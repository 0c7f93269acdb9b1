// Larger datagrams over real UDP on loopback: once logged in, both directions probe and use 60 KiB
// datagrams (loopback's MTU allows them); a connection that has not logged in is sent none, sends none, and
// the server drops one unread.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { LARGE_DATAGRAM_MAX_BYTES, LARGE_PAYLOAD_MAX_BYTES, MAX_DATAGRAM_BYTES } from '../lib/constants.ts';
import { ChatClient } from '../lib/chat/client.ts';
import type { Connection } from '../lib/net/connection.ts';
import { removeDir, tempDir, testKeys, waitFor } from './support/chat-harness.ts';
import { isSealed, proxiedRoom, sleep } from './support/security-room.ts';

const cleanup: Array<() => Promise<void> | void> = [];
test.after.each(async () => { for (const c of cleanup.splice(0).reverse()) await Promise.resolve().then(c).catch(() => {}); });

const clientConn = (c: ChatClient): Connection => (c as unknown as { link: { conn: Connection } }).link.conn;

test('after login both directions use 60 KiB datagrams, and big messages arrive whole through them', async () => {
  const dir = await tempDir('large-dgram');
  cleanup.push(() => removeDir(dir));
  const room = await proxiedRoom(dir);
  cleanup.push(room.stop);
  const a = await room.join('ani');
  const b = await room.join('budi');
  const serverConns = (): Connection[] => [...(room.server as unknown as { sessions: Set<{ conn: Connection }> }).sessions].map((s) => s.conn);
  await waitFor(() => [a, b].every((c) => clientConn(c.client).channel.payloadLimit === LARGE_PAYLOAD_MAX_BYTES)
    && serverConns().every((c) => c.channel.payloadLimit === LARGE_PAYLOAD_MAX_BYTES), 5_000, 'the probes answered');
  const texts = Array.from({ length: 40 }, (_, i) => `${i} `.padEnd(3_000, String.fromCharCode(97 + (i % 26))));
  for (const t of texts) a.client.send(t);
  await waitFor(() => texts.every((t) => b.rec.texts().includes(t)), 10_000, 'the texts');
  assert.equal(b.rec.texts().filter((t) => texts.includes(t)), texts, 'each once, in order');
  const down = room.proxy.captured.filter((c) => c.dir === 'down' && c.client === b.address && isSealed(c.data));
  const big = down.filter((c) => c.data.length > MAX_DATAGRAM_BYTES && c.data.length < LARGE_DATAGRAM_MAX_BYTES);
  assert.ok(big.length > 0, `the server packed the texts into large datagrams (${down.length} datagrams, largest ${Math.max(...down.map((c) => c.data.length))} B)`);
});

test('a connection that has not logged in (wrong password) sends and is sent nothing over 1,200 bytes; the server drops one unread', async () => {
  const dir = await tempDir('large-dgram-prelogin');
  cleanup.push(() => removeDir(dir));
  const room = await proxiedRoom(dir);
  cleanup.push(room.stop);
  const home = join(dir, 'eve');
  const eve = new ChatClient({ host: '127.0.0.1', port: room.proxy.port, historyDir: home, keys: await testKeys(home), reconnect: false });
  cleanup.push(() => eve.close());
  await eve.connect();
  await eve.authenticate('not the password').then(() => assert.unreachable('a wrong password logged in'), () => {});
  await sleep(2_500); // the client's own probes (answered or not) and any the server would send
  const down = room.proxy.captured.filter((c) => c.dir === 'down');
  assert.ok(down.length > 0, 'the server did answer');
  const largest = Math.max(...down.map((c) => c.data.length));
  assert.ok(largest <= MAX_DATAGRAM_BYTES, `largest server datagram ${largest} B`);
  const up = room.proxy.captured.filter((c) => c.dir === 'up');
  assert.ok(up.every((c) => c.data.length <= MAX_DATAGRAM_BYTES), 'the client did not probe before login');
  // A large sealed datagram on that connection (its header, then junk): dropped before it is opened.
  const sealed = up.filter((c) => isSealed(c.data)).at(-1)!;
  const before = room.server.stats().dropped.prelogin_oversized ?? 0;
  await room.proxy.sendUp(sealed.client, Buffer.concat([sealed.data.subarray(0, 16), Buffer.alloc(4_000, 7)]));
  await waitFor(() => (room.server.stats().dropped.prelogin_oversized ?? 0) === before + 1, 3_000, 'the drop counted');
});

test.run();
