// Send Encrypted over the real stack: the server routes and stores what it cannot read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClientHistory } from '../lib/history/room.ts';
import { joinClient, type Recorder, removeDir, startServer, tempDir, waitFor } from './support/chat-harness.ts';

let dir = '';
const wire: Buffer[] = [];
const originalSend = dgram.Socket.prototype.send;
const stops: Array<() => Promise<void>> = [];

test.before(async () => {
  dir = await tempDir();
  // Every datagram any socket of this process sends (server and clients alike) is what a listener on the LAN sees.
  dgram.Socket.prototype.send = function (this: dgram.Socket, msg: unknown, ...rest: unknown[]) {
    if (Buffer.isBuffer(msg)) wire.push(Buffer.from(msg));
    return (originalSend as (...a: unknown[]) => void).call(this, msg, ...rest);
  } as typeof originalSend;
});

test.after(async () => {
  dgram.Socket.prototype.send = originalSend;
  for (const s of stops.reverse()) await s().catch(() => {});
  await removeDir(dir);
});

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) out.push(...await filesUnder(p));
    else out.push(p);
  }
  return out;
}

const ROOM_SECRET = 'room-secret-ungu-kelapa-1717';
const DM_SECRET = 'direct-secret-biru-mangga-2929';

test('encrypted room and direct messages reach their readers, never the wire, the server disk, or a third client', async () => {
  const serverDir = join(dir, 'server');
  const { server, port } = await startServer(serverDir);
  const clients: Recorder[] = [];
  stops.push(async () => { for (const c of clients) await c.client.close(); await server.stop(); });
  for (const u of ['ani', 'budi', 'citra']) clients.push(await joinClient(port, join(dir, u), u));
  const [ani, budi, citra] = clients as [Recorder, Recorder, Recorder];

  const roomId = await ani.client.sendEncrypted(ROOM_SECRET);
  const dmId = await ani.client.sendDirect('budi', DM_SECRET);
  await waitFor(() => budi.messages.length === 2 && citra.messages.length === 1 && ani.delivered.length === 2, 10_000, 'encrypted deliveries');

  const roomAtBudi = budi.messages.find((m) => m.id === roomId)!;
  assert.is(roomAtBudi.text, ROOM_SECRET);
  assert.ok(roomAtBudi.encrypted);
  assert.ok(roomAtBudi.seq > 0);
  assert.is(citra.messages[0]!.text, ROOM_SECRET);
  const dmAtBudi = budi.messages.find((m) => m.id === dmId)!;
  assert.is(dmAtBudi.text, DM_SECRET);
  assert.is(dmAtBudi.to, 'budi');
  assert.ok(citra.messages.every((m) => m.id !== dmId && m.text !== DM_SECRET), 'the third client never receives the direct message');

  // Sender and recipient both keep the decrypted text, marked encrypted, in their own history.
  await ani.client.close();
  await budi.client.close();
  for (const [name, want] of [['ani', [ROOM_SECRET, DM_SECRET]], ['budi', [ROOM_SECRET, DM_SECRET]]] as const) {
    const h = await ClientHistory.open(join(dir, name), `127.0.0.1:${port}`, name);
    const kept = await h.recent(10);
    await h.close();
    for (const text of want) assert.ok(kept.some((m) => m.text === text && m.encrypted), `${name} keeps "${text.slice(0, 12)}…" marked encrypted`);
  }
  await server.stop();

  assert.ok(wire.length > 10, 'datagrams were captured');
  for (const secret of [ROOM_SECRET, DM_SECRET]) {
    const needle = Buffer.from(secret);
    assert.ok(wire.every((d) => !d.includes(needle)), `"${secret}" appears in no datagram`);
    for (const f of await filesUnder(serverDir)) {
      assert.not.ok((await readFile(f)).includes(needle), `"${secret}" appears nowhere in ${f}`);
    }
  }
});

test('someone who joins later sees that an encrypted message was sent before they joined, not its text', async () => {
  const { server, port } = await startServer(join(dir, 'late-server'));
  const ani = await joinClient(port, join(dir, 'late-ani'), 'ani');
  const budi = await joinClient(port, join(dir, 'late-budi'), 'budi');
  stops.push(async () => { await ani.client.close(); await budi.client.close(); await server.stop(); });
  await ani.client.sendEncrypted(ROOM_SECRET);
  ani.client.send('plain after');
  await waitFor(() => budi.messages.length === 2, 5000, 'budi receives both');
  const late = await joinClient(port, join(dir, 'late-citra'), 'citra');
  stops.push(() => late.client.close());
  await waitFor(() => late.messages.length === 2, 5000, 'replay to the late joiner');
  const [enc, plain] = late.messages;
  assert.ok(enc!.encrypted && enc!.notice, 'shown as a notice');
  assert.match(enc!.text, /encrypted message/);
  assert.not.match(enc!.text, ROOM_SECRET);
  assert.is(plain!.text, 'plain after');
  assert.ok(late.warnings.every((w) => !/could not verify/.test(w)), 'not a verification failure');
});

test('a user whose keys changed since last time is flagged to the others', async () => {
  const { server, port } = await startServer(join(dir, 'keys-server'));
  const first = await joinClient(port, join(dir, 'keys-ani'), 'ani');
  const budi1 = await joinClient(port, join(dir, 'keys-budi-laptop'), 'budi');
  stops.push(async () => { await first.client.close(); await server.stop(); });
  await waitFor(() => first.joins.includes('budi'), 5000, 'budi joins');
  assert.ok(first.warnings.every((w) => !w.includes('keys of budi')), 'no warning on first sight');
  await budi1.client.close();
  await waitFor(() => first.leaves.includes('budi'), 5000, 'budi leaves');
  // Someone else (new keys: another history dir) takes the name budi.
  const budi2 = await joinClient(port, join(dir, 'keys-budi-other'), 'budi');
  stops.push(() => budi2.client.close());
  await waitFor(() => first.warnings.some((w) => w.includes('keys of budi changed')), 5000, 'changed-keys warning');
  // The same keys again later raise no new warning.
  const count = first.warnings.filter((w) => w.includes('keys of budi changed')).length;
  await budi2.client.close();
  const budi3 = await joinClient(port, join(dir, 'keys-budi-other'), 'budi');
  stops.push(() => budi3.client.close());
  await waitFor(() => first.joins.filter((j) => j === 'budi').length === 3, 5000, 'third join');
  assert.is(first.warnings.filter((w) => w.includes('keys of budi changed')).length, count);
});

test.run();
