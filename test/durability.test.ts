// Durability of the room's history across a real server crash: the headless server runs as a child
// process and is killed with SIGKILL; what it acknowledged ('delivered' = stored) must come back.
// That 'delivered' leaves only after the append has resolved (so nothing here is acknowledged early) is
// checked in test/room-ack.test.ts, with a history whose appends the test holds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientKeys } from '../lib/e2e/keys.ts';
import { joinClient, type Recorder, removeDir, tempDir, testKeys, waitFor } from './support/chat-harness.ts';
import { killAll, startServerProcess } from './support/processes.ts';

/** Messages acknowledged before the crash; all of them fit in one replay (REPLAY_MAX = 200). */
const SENDERS = 5;
const PER_SENDER = 40;
const TOTAL = SENDERS * PER_SENDER;

let dir = '';
let keys: ClientKeys;
const clients: Recorder[] = [];

test.before(async () => {
  dir = await tempDir('obrolan-durability-');
  // One key set shared by every in-process client: plain chat does not need distinct keys.
  keys = await testKeys(join(dir, 'keys'));
});
test.after(async () => {
  for (const c of clients) await c.client.close().catch(() => {});
  await killAll();
  await removeDir(dir);
});

async function join1(port: number, name: string): Promise<Recorder> {
  const r = await joinClient(port, join(dir, name), name, { keys });
  clients.push(r);
  return r;
}

test('replays every message acknowledged before a SIGKILL of the server, in room order, after a restart', async () => {
  const serverDir = join(dir, 'crash-server');
  const first = await startServerProcess(serverDir);
  const senders: Recorder[] = [];
  for (let s = 0; s < SENDERS; s++) senders.push(await join1(first.port, `sender${s}`));

  // Several senders, so flood control (5/s per user) lets 200 messages through in seconds.
  const delivered = new Map<string, number>();
  const textOf = new Map<string, string>();
  let killedAfter = -1;
  for (const r of senders) {
    r.client.on('delivered', (d: { id: string; seq: number }) => {
      delivered.set(d.id, d.seq);
      // Kill at the very moment the last acknowledgement arrives: nothing gets a chance to flush later.
      if (delivered.size === TOTAL && killedAfter < 0) { killedAfter = delivered.size; first.child.signal('SIGKILL'); }
    });
  }
  for (let i = 0; i < PER_SENDER; i++) {
    for (const r of senders) {
      const text = `${r.client.name} message ${i}`;
      textOf.set(r.client.send(text), text);
    }
  }
  const exit = await first.child.waitExit(60_000);
  assert.is(exit.signal, 'SIGKILL', 'the server was killed, not stopped');
  assert.is(killedAfter, TOTAL, 'killed right after the last delivered');
  for (const r of senders) await r.client.close();

  const second = await startServerProcess(serverDir, first.port);
  const reader = await join1(second.port, 'reader');
  await waitFor(() => reader.messages.length >= TOTAL, 20_000, `${TOTAL} replayed messages (got ${reader.messages.length})`);
  await new Promise((r) => setTimeout(r, 200)); // anything extra would show up now

  const got = reader.messages;
  assert.is(got.length, TOTAL, 'every acknowledged message once, nothing else');
  const bySeq = [...delivered.entries()].sort((a, b) => a[1] - b[1]);
  assert.equal(got.map((m) => m.id), bySeq.map(([id]) => id), 'the acknowledged ids, in room order');
  assert.equal(got.map((m) => m.seq), bySeq.map(([, seq]) => seq), 'each with the seq its sender was told');
  assert.equal(got.map((m) => m.seq), Array.from({ length: TOTAL }, (_, i) => i + 1), 'room order is gap-free from 1');
  for (const m of got) assert.is(m.text, textOf.get(m.id), `text of ${m.id}`);
  for (const r of senders) {
    const mine = got.filter((m) => m.from === r.client.name).map((m) => m.text);
    assert.equal(mine, Array.from({ length: PER_SENDER }, (_, i) => `${r.client.name} message ${i}`), `${r.client.name}'s messages in the order sent`);
  }
  await reader.client.close();
  second.child.signal('SIGTERM');
  assert.is((await second.child.waitExit(20_000)).code, 0);
});

test('starts from a history file whose last line is torn, warns, and replays every whole message', async () => {
  const serverDir = join(dir, 'torn-server');
  const first = await startServerProcess(serverDir);
  const writer = await join1(first.port, 'writer');
  const n = 12;
  for (let i = 1; i <= n; i++) writer.client.send(`whole ${i}`);
  await waitFor(() => writer.delivered.length === n, 20_000, `${n} delivered`);
  await writer.client.close();
  first.child.signal('SIGTERM');
  assert.is((await first.child.waitExit(20_000)).code, 0, 'clean stop');

  // Cut the last line in the middle, as a crash mid-write would leave it.
  const roomDir = join(serverDir, 'room');
  const files = (await readdir(roomDir)).filter((f) => f.endsWith('.db')).sort();
  const file = join(roomDir, files.at(-1)!);
  const text = await readFile(file, 'utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const last = lines.at(-1)!;
  assert.ok(last.includes(`"whole ${n}"`), `the last line holds the last message: ${last}`);
  await writeFile(file, lines.slice(0, -1).join('\n') + '\n' + last.slice(0, Math.floor(last.length / 2)));

  const second = await startServerProcess(serverDir, first.port);
  const warning = second.child.events.find((e) => typeof e.text === 'string' && e.text.startsWith('warning:'));
  assert.ok(warning, `a warning before listening:\n${second.child.describe()}`);
  assert.match(String(warning.text), /torn/);
  assert.is(second.child.stderr, '', 'nothing on stderr');

  const reader = await join1(second.port, 'reader2');
  await waitFor(() => reader.messages.length >= n - 1, 10_000, 'the whole messages');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(reader.texts(), Array.from({ length: n - 1 }, (_, i) => `whole ${i + 1}`), 'every whole message, in order');
  assert.equal(reader.messages.map((m) => m.seq), Array.from({ length: n - 1 }, (_, i) => i + 1));

  // The room goes on: the next message is stored and reaches the reader.
  const again = await join1(second.port, 'writer2');
  again.client.send('after the repair');
  await waitFor(() => reader.texts().includes('after the repair'), 10_000, 'a new message after the repair');
  assert.is(again.delivered.length, 1);
  await reader.client.close();
  await again.client.close();
  second.child.signal('SIGTERM');
  assert.is((await second.child.waitExit(20_000)).code, 0);
});

test.run();
