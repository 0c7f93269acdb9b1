import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { ChatMessage } from '../lib/chat/types.ts';
import { ClientHistory, KnownServers, KnownUsers } from '../lib/history/room.ts';

const SERVER = '192.168.1.5:7447';
const T0 = Date.UTC(2024, 2, 10, 12, 0, 0);
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'obrolan-client-'));
  dirs.push(dir);
  return dir;
}

function room(seq: number, ts: number, from = 'ani'): ChatMessage {
  return { id: `r${seq}`, seq, from, text: `room ${seq}`, encrypted: false, ts };
}

function direct(id: string, ts: number, from = 'budi', to = 'ani'): ChatMessage {
  return { id, seq: 0, from, to, text: `dm ${id}`, encrypted: true, ts };
}

const ids = (list: ChatMessage[]): string[] => list.map((m) => m.id);

/** Every file under `dir`, as paths relative to it. */
async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(path)).map((p) => join(e.name, p)));
    else out.push(relative(dir, path));
  }
  return out.sort();
}

test.after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('returns past messages after reopen: room by seq, direct by ts, merged by ts', async () => {
  const dir = await tempDir();
  const h = await ClientHistory.open(dir, SERVER, 'ani');
  // Arrival order is not display order: a replay fills in seq 2 after 3 arrived live.
  await Promise.all([room(1, T0 + 10), room(3, T0 + 30), direct('d2', T0 + 25), direct('d1', T0 + 5), room(2, T0 + 20)].map((m) => h.append(m)));
  const order = ['d1', 'r1', 'r2', 'd2', 'r3'];
  assert.equal(ids(await h.recent(100)), order);
  assert.is(h.lastSeq, 3);
  await h.close();
  const again = await ClientHistory.open(dir, SERVER, 'ani');
  assert.equal(ids(await again.recent(100)), order);
  assert.equal((await again.recent(100))[3], direct('d2', T0 + 25));
  assert.equal(ids(await again.recent(2)), ['d2', 'r3'], 'the newest two, oldest first');
  assert.is(again.lastSeq, 3);
  await again.close();
});

test('keeps a text holding U+2028, U+2029 or U+0085 across reopens (NeDB splits lines on them)', async () => {
  const dir = await tempDir();
  const texts = ['line\u2028separator', 'paragraph\u2029separator', 'next\u0085line'];
  const h = await ClientHistory.open(dir, SERVER, 'ani');
  for (const [i, text] of texts.entries()) await h.append({ ...room(i + 1, T0 + i), text });
  await h.close();
  // Every open loads the file through NeDB, which compacts it: twice, so a dropped line would be gone.
  for (let round = 0; round < 2; round++) {
    const again = await ClientHistory.open(dir, SERVER, 'ani');
    assert.equal((await again.recent(10)).map((m) => m.text), texts, `after reopen ${round + 1}`);
    await again.close();
  }
});

test('stores a message once: by room seq, and by sender and id', async () => {
  const dir = await tempDir();
  const h = await ClientHistory.open(dir, SERVER, 'ani');
  await h.append(room(1, T0));
  await h.append(room(1, T0));
  await h.append({ ...room(1, T0), id: 'other id, same seq' });
  await h.append(direct('d1', T0 + 1));
  await h.append({ ...direct('d1', T0 + 1), ts: T0 + 99 });
  await h.append({ ...direct('d1', T0 + 2), from: 'cici' });
  // Duplicates within one turn, while the first copy is still being written.
  await Promise.all([h.append(room(2, T0 + 3)), h.append(room(2, T0 + 3)), h.append(room(2, T0 + 3))]);
  assert.equal(ids(await h.recent(100)), ['r1', 'd1', 'd1', 'r2']);
  await h.close();
  const again = await ClientHistory.open(dir, SERVER, 'ani');
  await again.append(room(2, T0 + 3));
  assert.is((await again.recent(100)).length, 4);
  await again.close();
  const file = (await walk(dir)).find((p) => p.includes('history-'))!;
  const lines = (await readFile(join(dir, file), 'utf8')).split('\n').filter(Boolean);
  assert.is(lines.length, 4, 'one line per distinct message on disk');
});

test('refuses a malformed message and a closed history', async () => {
  const dir = await tempDir();
  const h = await ClientHistory.open(dir, SERVER, 'ani');
  let error: unknown;
  try {
    await h.append({ ...room(1, T0), seq: -1 });
  } catch (err) {
    error = err;
  }
  assert.instance(error, TypeError);
  await h.close();
  error = undefined;
  try {
    await h.append(room(1, T0));
  } catch (err) {
    error = err;
  }
  assert.match(String(error), /closed/);
});

test('keeps one copy per server and per username, case-insensitively', async () => {
  const dir = await tempDir();
  const a = await ClientHistory.open(dir, SERVER, 'Ani');
  await a.append(room(1, T0));
  await a.close();
  const b = await ClientHistory.open(dir, SERVER, 'budi');
  const c = await ClientHistory.open(dir, '192.168.1.6:7447', 'ani');
  const same = await ClientHistory.open(dir, SERVER, 'ANI');
  assert.is(b.lastSeq, 0);
  assert.is(c.lastSeq, 0);
  assert.is(same.lastSeq, 1);
  await Promise.all([b.close(), c.close(), same.close()]);
});

test('opens a client file with a torn last line and warns', async () => {
  const dir = await tempDir();
  const h = await ClientHistory.open(dir, SERVER, 'ani');
  await h.append(room(1, T0));
  await h.close();
  const file = (await walk(dir)).find((p) => p.includes('history-'))!;
  await appendFile(join(dir, file), '{"id":"r2","seq":2,"fr');
  const warnings: string[] = [];
  const again = await ClientHistory.open(dir, SERVER, 'ani', { onWarning: (w) => warnings.push(w) });
  assert.equal(ids(await again.recent(10)), ['r1']);
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /torn last line/);
  await again.append(room(2, T0 + 1));
  await again.close();
});

test('remembers pinned server fingerprints across reopen', async () => {
  const dir = await tempDir();
  const k = await KnownServers.open(dir);
  assert.is(k.get(SERVER), undefined);
  await k.pin(SERVER, 'SHA256:aaa');
  await k.pin('[::1]:7447', 'SHA256:bbb');
  await k.pin(SERVER, 'SHA256:ccc');
  const again = await KnownServers.open(dir);
  assert.is(again.get(SERVER), 'SHA256:ccc');
  assert.is(again.get('[::1]:7447'), 'SHA256:bbb');
  assert.is(again.get('192.168.1.5:7448'), undefined);
  assert.equal(await walk(dir), ['known_servers.db']);
});

test('remembers the keys seen per user of one server across reopen', async () => {
  const dir = await tempDir();
  const k = await KnownUsers.open(dir, SERVER);
  assert.is(k.get('budi'), undefined);
  await k.set('budi', 'SHA256:k1', T0);
  await k.set('Budi', 'SHA256:k2', T0 + 5);
  await k.set('ani', 'SHA256:a1', T0 + 1);
  const again = await KnownUsers.open(dir, SERVER);
  assert.equal(again.get('budi'), { keys: 'SHA256:k2', since: T0 + 5 });
  assert.equal(again.get('ani'), { keys: 'SHA256:a1', since: T0 + 1 });
  const other = await KnownUsers.open(dir, '10.0.0.1:7447');
  assert.is(other.get('budi'), undefined);
});

test('makes safe, distinct file names from odd server strings and usernames', async () => {
  const dir = await tempDir();
  const odd: Array<[string, string]> = [
    ['../../etc:1', '../../passwd'],
    ['host/with/slashes:7447', 'a/b\\c'],
    ['[fe80::1%eth0]:7447', 'büdi 😀'],
    ['x:1', '.'],
    ['x:1', '..'],
    ['x:1', 'CON'],
    ['x:1', 'a:b'],
    ['x:1', 'a_b'],
    ['x:1', 'ä'],
    ['x:1', 'a\u0000b'],
  ];
  for (const [server, user] of odd) {
    const h = await ClientHistory.open(dir, server, user);
    await h.append(room(1, T0, user));
    await h.close();
    const k = await KnownUsers.open(dir, server);
    await k.set(user, 'SHA256:x', T0);
  }
  const files = await walk(dir);
  const histories = files.filter((f) => f.includes('history-'));
  assert.is(histories.length, odd.length, 'each (server, user) has its own file');
  for (const f of files) {
    assert.ok(f.startsWith(`client${sep}`), `${f} stays under client/`);
    for (const part of f.split(sep)) assert.match(part, /^[A-Za-z0-9][A-Za-z0-9._-]*$/);
  }
  for (const [server, user] of odd) {
    const h = await ClientHistory.open(dir, server, user);
    assert.equal((await h.recent(10)).map((m) => m.from), [user]);
    await h.close();
  }
});

test.run();
