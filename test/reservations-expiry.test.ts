// Names held across a server restart (lib/chat/reservations.ts): a held name is refused to strangers until
// IDLE_TIMEOUT_MS after the restart, then free for anyone; its owner gets it back with its resume token.
// The expiry is tested at the unit level with explicit `now` values: ChatServer reads Date.now() itself
// (Reservations.load at create, admits in onJoin) and has no injectable clock. One integration test runs
// a real restart (in-process ChatServer, same history dir and port) for "refused at once, owner back".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ChatClient } from '../lib/chat/client.ts';
import { IDLE_TIMEOUT_MS } from '../lib/constants.ts';
import type { ClientKeys } from '../lib/e2e/keys.ts';
import { ChatError } from '../lib/errors.ts';
import { Reservations } from '../lib/chat/reservations.ts';
import type { ChatServer } from '../lib/chat/server.ts';
import { joinClient, PASSWORD, type Recorder, removeDir, startServer, tempDir, testKeys, waitFor } from './support/chat-harness.ts';
import { GateRelay } from './support/gate-relay.ts';

/** A restart time, ms since the epoch. */
const T0 = 1_700_000_000_000;

let dir = '';
let keys: ClientKeys;
const cleanups: Array<() => Promise<void> | void> = [];

test.before(async () => {
  dir = await tempDir('obrolan-reservations-');
});
test.after(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  await removeDir(dir);
});

let files = 0;
/** A fresh online.json path under the test dir. */
const freshPath = (): string => join(dir, `run-${++files}`, 'online.json');

/** A first run where `names` joined (each issued a token) and were online when it saved; returns the tokens. */
async function firstRun(path: string, names: string[]): Promise<Map<string, Buffer>> {
  const before = await Reservations.load(path, T0 - 60_000);
  const tokens = new Map(names.map((k) => [k, before.issue(k)]));
  await before.save(names.map((key, i) => ({ key, conn: (i + 1).toString(16).padStart(16, '0'), address: `127.0.0.1:${40_000 + i}` })));
  return tokens;
}

// ── unit level ──

test('a held name is refused to strangers (no token, a wrong token) until IDLE_TIMEOUT_MS after the restart', async () => {
  const path = freshPath();
  await firstRun(path, ['ani']);
  const r = await Reservations.load(path, T0);
  for (const now of [T0, T0 + 1, T0 + IDLE_TIMEOUT_MS / 2, T0 + IDLE_TIMEOUT_MS - 1]) {
    assert.not.ok(r.admits('ani', undefined, now), `no token at +${now - T0} ms`);
    assert.not.ok(r.admits('ani', randomBytes(16), now), `a wrong token at +${now - T0} ms`);
    assert.not.ok(r.admits('ani', Buffer.alloc(0), now), `an empty token at +${now - T0} ms`);
  }
  assert.ok(r.admits('budi', undefined, T0), 'a name nobody held is free at once');
});

test('a held name whose owner never comes back is free for anyone from IDLE_TIMEOUT_MS on, and stays free', async () => {
  const path = freshPath();
  await firstRun(path, ['ani', 'citra']);
  const r = await Reservations.load(path, T0);
  // Refusals do not push the deadline back.
  for (let i = 0; i < 50; i++) assert.not.ok(r.admits('ani', undefined, T0 + i * 100));
  assert.not.ok(r.admits('ani', undefined, T0 + IDLE_TIMEOUT_MS - 1));
  assert.ok(r.admits('ani', undefined, T0 + IDLE_TIMEOUT_MS), 'free exactly at the timeout');
  assert.ok(r.admits('ani', randomBytes(16), T0 + 1), 'and it stays free (the hold is gone, whatever the clock says)');
  assert.ok(r.admits('citra', randomBytes(16), T0 + IDLE_TIMEOUT_MS + 60_000), 'a wrong token is no obstacle after the timeout either');
});

test('the hold is counted from the load, not from the first run\'s save', async () => {
  const path = freshPath();
  await firstRun(path, ['ani']);
  const late = T0 + 10 * IDLE_TIMEOUT_MS; // a server that stayed down a long time
  const r = await Reservations.load(path, late);
  assert.not.ok(r.admits('ani', undefined, late + IDLE_TIMEOUT_MS - 1));
  assert.ok(r.admits('ani', undefined, late + IDLE_TIMEOUT_MS));
});

test('the owner gets its held name back with its resume token, before the timeout; it is then no longer held', async () => {
  const path = freshPath();
  const tokens = await firstRun(path, ['ani', 'budi']);
  const r = await Reservations.load(path, T0);
  assert.not.ok(r.admits('ani', tokens.get('budi'), T0 + 1), 'budi\'s token does not open ani\'s name');
  assert.ok(r.admits('ani', tokens.get('ani'), T0 + 1), 'ani\'s own token does');
  assert.ok(r.admits('ani', undefined, T0 + 2), 'the hold was used up: the live holder is protected by the room from now on');
  assert.not.ok(r.admits('budi', undefined, T0 + 2), 'budi is still held');
  assert.ok(r.admits('budi', tokens.get('budi'), T0 + IDLE_TIMEOUT_MS - 1), 'budi comes back just in time');
});

test('a live holder\'s resume token matches only its own, current name', async () => {
  const path = freshPath();
  const tokens = await firstRun(path, ['ani']);
  const r = await Reservations.load(path, T0);
  assert.not.ok(r.matches('ani', tokens.get('ani')!), 'a token of the last run is not a live token (only admits() honours it)');
  const t1 = r.issue('ani');
  assert.ok(r.matches('ani', t1));
  assert.not.ok(r.matches('ani', randomBytes(16)));
  assert.not.ok(r.matches('budi', t1), 'not for another name');
  const t2 = r.issue('ani');
  assert.ok(r.matches('ani', t2));
  assert.not.ok(r.matches('ani', t1), 'a new join replaces the old token');
});

test('save writes only names with a token; load reads the sessions to reset and ignores damaged entries', async () => {
  const path = freshPath();
  const r = await Reservations.load(path, T0);
  const token = r.issue('ani');
  await r.save([{ key: 'ani', conn: '00000000000000aa', address: '127.0.0.1:4000' }, { key: 'ghost', conn: '00000000000000bb', address: '127.0.0.1:4001' }]);
  const data = JSON.parse(await readFile(path, 'utf8')) as { online: Array<{ key: string; hash: string; conn?: string }> };
  assert.equal(data.online.map((e) => e.key), ['ani'], 'a name without a token is not written');
  assert.not.ok((await readFile(path, 'utf8')).includes(token.toString('base64')), 'no token in the clear');
  assert.ok((await Reservations.load(path, T0)).admits('ani', token, T0 + 1), 'only its hash, which the token opens');
  const again = await Reservations.load(path, T0);
  assert.equal(again.lastSessions.map((s) => [s.connId.toString('hex'), s.address]), [['00000000000000aa', '127.0.0.1:4000']]);
  // Damaged: not JSON at all, or entries of the wrong types.
  await writeFile(path, '{"online": [');
  const broken = await Reservations.load(path, T0);
  assert.ok(broken.admits('ani', undefined, T0), 'an unreadable file holds nobody');
  await writeFile(path, JSON.stringify({ online: [{ key: 1, hash: 'x' }, { key: 'ani' }, { key: 'budi', hash: 'AAAA', conn: 'nothex', address: 'a:1' }] }));
  const odd = await Reservations.load(path, T0);
  assert.ok(odd.admits('ani', undefined, T0), 'an entry without a hash holds nothing');
  assert.is(odd.lastSessions.length, 0, 'a bad connection id is not reset');
  assert.ok(odd.admits('budi', undefined, T0), 'a hash of the wrong length (not a SHA-256) holds nothing either');
});

// A damaged entry (here a 3-byte hash instead of 32) once made timingSafeEqual throw a RangeError as soon as
// someone presented a resume token for that name, and that throw escaped the UDP handler: any client
// joining as that name with any `resume` string took the server down. Now such an entry holds nobody.
test('a damaged hash in online.json holds nobody and never makes admits() throw', async () => {
  const path = freshPath();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify({ online: [{ key: 'ani', hash: 'AAAA' }] }));
  const r = await Reservations.load(path, T0);
  let result: boolean | Error;
  try { result = r.admits('ani', randomBytes(16), T0 + 1); } catch (err) { result = err as Error; }
  assert.is(result, true, `admits threw: ${result instanceof Error ? result.message : ''}`);
});

// ── integration: a real restart ──

/** Tries to join as `name` with a fresh client (its own keys, no resume token); returns the refusal's code and message, or 'joined'. */
async function tryName(port: number, home: string, name: string): Promise<{ code: string; message: string }> {
  const client = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys, reconnect: false });
  try {
    await client.connect();
    await client.authenticate(PASSWORD);
    await client.join(name);
    return { code: 'joined', message: '' };
  } catch (err) {
    if (err instanceof ChatError) return { code: err.code, message: err.message };
    throw err;
  } finally {
    await client.close();
  }
}

test('after a restart a stranger is refused the held name at once; its owner, kept away meanwhile, gets it back', async () => {
  keys = await testKeys(join(dir, 'keys'));
  const serverDir = join(dir, 'restart', 'server');
  let server: ChatServer;
  let port: number;
  ({ server, port } = await startServer(serverDir));
  cleanups.push(() => server.stop());
  // Ani reaches the server through a relay whose gate keeps it away across the restart.
  const relay = await GateRelay.start(port);
  cleanups.push(() => relay.close());
  const ani: Recorder = await joinClient(relay.port, join(dir, 'restart', 'ani'), 'ani', { keys });
  cleanups.push(() => ani.client.close());
  await waitFor(() => server.users().some((u) => u.name === 'ani'), 5_000, 'ani in the room');

  relay.open = false;
  await server.stop(); // writes online.json (Reservations#save) with ani online
  const online = JSON.parse(await readFile(join(serverDir, 'online.json'), 'utf8')) as { online: Array<{ key: string; hash: string }> };
  assert.equal(online.online.map((e) => e.key), ['ani'], 'online.json holds ani');
  assert.ok(Buffer.from(online.online[0]!.hash, 'base64').length === 32, 'as a SHA-256 of its token');

  ({ server, port } = await startServer(serverDir, { port }));
  const startedAt = Date.now();
  for (const name of ['ani', 'ANI', 'Ani']) {
    const r = await tryName(port, join(dir, 'restart', 'stranger'), name);
    assert.is(r.code, 'name_taken', `${name} is refused`);
    assert.match(r.message, /reserved/, 'because it is held for its owner');
  }
  assert.ok(Date.now() - startedAt < IDLE_TIMEOUT_MS, 'all within the hold');
  assert.is((await tryName(port, join(dir, 'restart', 'stranger'), 'budi')).code, 'joined', 'a name nobody held is free');

  const readies = ani.readies;
  relay.open = true;
  await waitFor(() => ani.readies > readies && ani.client.state === 'connected', 10_000, 'ani back with its resume token');
  assert.is(ani.client.name, 'ani');
  assert.ok(server.users().some((u) => u.name === 'ani'), 'the restarted server has ani in the room');
  const r = await tryName(port, join(dir, 'restart', 'stranger'), 'ani');
  assert.is(r.code, 'name_taken', 'now that ani is back, its live session holds the name');
  assert.match(r.message, /is taken/);
});

test.run();

test('a name still held survives a second restart within the hold, with its first deadline, and its owner still gets it back', async () => {
  const path = freshPath();
  const tokens = await firstRun(path, ['ani', 'budi']);
  const second = await Reservations.load(path, T0);
  // Budi comes back; the second run saves (budi online) and crashes before ani returns.
  assert.ok(second.admits('budi', tokens.get('budi'), T0 + 1_000));
  second.issue('budi');
  await second.save([{ key: 'budi' }], T0 + 2_000);
  const third = await Reservations.load(path, T0 + 5_000);
  assert.not.ok(third.admits('ani', undefined, T0 + 5_000), 'ani is still held after the second restart');
  assert.not.ok(third.admits('ani', undefined, T0 + IDLE_TIMEOUT_MS - 1), 'held until the first deadline');
  assert.ok(third.admits('ani', tokens.get('ani'), T0 + 6_000), 'ani\'s own token still works');
  const fourth = await Reservations.load(path, T0 + 5_000);
  assert.ok(fourth.admits('ani', undefined, T0 + IDLE_TIMEOUT_MS), 'free at the first deadline, not a fresh one');
  // Once past its deadline a held name is not written again.
  await fourth.save([], T0 + IDLE_TIMEOUT_MS + 1);
  const fifth = await Reservations.load(path, T0 + IDLE_TIMEOUT_MS + 2);
  assert.ok(fifth.admits('ani', undefined, T0 + IDLE_TIMEOUT_MS + 2));
});
