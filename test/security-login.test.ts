// Login and session lifecycle over real UDP on 127.0.0.1: the server key pinned on first use (and a
// changed key refused, by ChatClient and by the line-mode program), a storm of logins that does not
// stall the chat, and a stateless reset after a server crash that the client recovers from by itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientState } from '../lib/chat/types.ts';
import { ChatClient } from '../lib/chat/client.ts';
import { GIVE_UP_MS, RECONNECT_INITIAL_MS } from '../lib/constants.ts';
import { ChatError } from '../lib/errors.ts';
import { decodeHeader } from '../lib/wire.ts';
import { joinClient, PASSWORD, Recorder, removeDir, startServer, tempDir, testKeys, waitFor } from './support/chat-harness.ts';
import { killAll, spawnLineClient, spawnScript, startServerProcess } from './support/processes.ts';
import { sleep } from './support/security-room.ts';
import { UdpProxy } from './support/udp-proxy.ts';

/** Longest pause allowed between two chat messages received during the login storm, in ms. */
const MAX_CHAT_GAP_MS = 5_000;

let dir = '';
const cleanup: Array<() => Promise<void> | void> = [];

test.before(async () => { dir = await tempDir('obrolan-seclogin-'); });
test.after(async () => {
  for (const c of cleanup.reverse()) await Promise.resolve().then(c).catch(() => {});
  await killAll();
  await removeDir(dir);
});

test('the first login pins the server key once the server proved the password; the same key connects again; a new key on the same address is refused', async () => {
  const first = await startServer(join(dir, 'tofu', 'server-1'));
  cleanup.push(() => first.server.stop());
  const port = first.port;
  const home = join(dir, 'tofu', 'client');
  const keys = await testKeys(home);
  const make = (): ChatClient => {
    const c = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys });
    cleanup.push(() => c.close());
    return c;
  };
  const pinsNow = (): Promise<string> => readFile(join(home, 'known_servers.db'), 'utf8').catch(() => '');

  const c1 = make();
  await c1.connect();
  assert.is(c1.serverFingerprint, first.server.fingerprint);
  assert.not.ok((await pinsNow()).includes(first.server.fingerprint), 'nothing is pinned by the handshake alone');
  await c1.authenticate(PASSWORD);
  assert.is(c1.verified, 'password');
  await c1.close();
  const pins = await readFile(join(home, 'known_servers.db'), 'utf8');
  assert.ok(pins.includes(first.server.fingerprint) && pins.includes(`127.0.0.1:${port}`), 'known_servers.db pins the key for host:port');

  const c2 = make();
  await c2.connect();
  await c2.authenticate(PASSWORD);
  await c2.join('tamu');
  assert.is(c2.verified, 'pinned', 'known from before');
  await c2.close();

  // Same host and port, same client history, but a server with another history dir: another key.
  await first.server.stop();
  const second = await startServer(join(dir, 'tofu', 'server-2'), { port });
  cleanup.push(() => second.server.stop());
  assert.is(second.port, port);
  assert.is.not(second.server.fingerprint, first.server.fingerprint);
  const c3 = make();
  const err = await c3.connect().then(() => undefined, (e: unknown) => e);
  assert.instance(err, ChatError, 'connect is refused');
  const e = err as ChatError;
  assert.is(e.code, 'server_key_changed');
  assert.ok(e.message.includes(first.server.fingerprint), `the message names the pinned key: ${e.message}`);
  assert.ok(e.message.includes(second.server.fingerprint), `the message names the offered key: ${e.message}`);
  assert.is(await readFile(join(home, 'known_servers.db'), 'utf8'), pins, 'the pin is left as it was');

  // The line-mode program says the same and exits 4.
  const line = spawnLineClient({ port, username: 'tamu', historyDir: home, password: PASSWORD });
  const exit = await line.waitExit(30_000);
  assert.is(exit.code, 4, `exit code 4\n${line.describe()}`);
  const error = line.ofType('error')[0];
  assert.ok(error, `a JSON error line\n${line.describe()}`);
  assert.is(error!.code, 'server_key_changed');
  assert.ok(String(error!.message).includes(first.server.fingerprint) && String(error!.message).includes(second.server.fingerprint), 'the JSON line names both keys');
  assert.is(line.ofType('ready').length, 0, 'it never joined');
});

/** Largest gap between consecutive times in `times` (ms), counting from `from` to `to`. */
function maxGap(times: number[], from: number, to: number): number {
  const t = [from, ...times.filter((x) => x > from && x < to), to];
  let gap = 0;
  for (let i = 1; i < t.length; i++) gap = Math.max(gap, t[i]! - t[i - 1]!);
  return gap;
}

test('100 clients log in at once while two others chat: all get in and the chat keeps flowing', async () => {
  const STORM = 100;
  const { server, port } = await startServer(join(dir, 'storm', 'server'), { flood: { ratePerS: 1000, burst: 1000 } });
  cleanup.push(() => server.stop());
  const a = await joinClient(port, join(dir, 'storm', 'ani'), 'ani');
  const b = await joinClient(port, join(dir, 'storm', 'budi'), 'budi');
  cleanup.push(() => a.client.close(), () => b.client.close());
  const arrivals = { a: [] as number[], b: [] as number[] };
  a.client.on('message', () => arrivals.a.push(Date.now()));
  b.client.on('message', () => arrivals.b.push(Date.now()));

  // One message every 50 ms, taking turns: ani, budi, ani, …
  const sent = { a: [] as string[], b: [] as string[] };
  let tick = 0;
  const chat = setInterval(() => {
    const who = tick % 2 === 0 ? 'a' : 'b';
    const text = `${who}-${tick++}`;
    (who === 'a' ? a : b).client.send(text);
    sent[who].push(text);
  }, 50);
  cleanup.push(() => clearInterval(chat));
  await sleep(500);

  // The storm runs in its own process, as 100 people on other machines would: its scrypt and file work
  // must not share this process's thread pool with the server's history writes.
  const stormStart = Date.now();
  const storm = spawnScript('test/support/login-storm.ts', [String(port), String(STORM), join(dir, 'storm', 'crowd'), PASSWORD], {}, 'login storm');
  const done = await storm.waitForEvent((e) => e.type === 'done', 120_000, 'the storm to settle');
  const stormEnd = Date.now();
  await sleep(500);
  clearInterval(chat);
  assert.equal(done.failures, [], 'every login succeeds');
  assert.is(done.ok, STORM);
  assert.is(server.users().length, STORM + 2, 'the server lists everyone');

  await waitFor(() => sent.a.every((t) => b.texts().includes(t)) && sent.b.every((t) => a.texts().includes(t)), 30_000, 'every chat message');
  const gapA = maxGap(arrivals.a, stormStart, stormEnd);
  const gapB = maxGap(arrivals.b, stormStart, stormEnd);
  // Generous, as this machine's 2 cores are shared with other suites: measured 0.7–3.5 s at load average
  // 3–7, and 7 s at load 13, when the storm itself took 38 s. So the bound grows with the storm when the
  // machine is that slow; a chat held up until the logins are done would still exceed it.
  const bound = Math.max(MAX_CHAT_GAP_MS, (stormEnd - stormStart) / 4);
  console.log(`  ${STORM} logins took ${String(done.ms)} ms (process start included: ${stormEnd - stormStart} ms); ${sent.a.length + sent.b.length} chat messages; largest gap between receptions during the storm: ani ${gapA} ms, budi ${gapB} ms (bound ${bound} ms)`);
  assert.ok(Math.max(gapA, gapB) < bound, `the chat never stalls ${bound} ms (gaps ${gapA} ms, ${gapB} ms)`);
  assert.is(b.texts().filter((t) => t.startsWith('a-')).length, sent.a.length, 'no message twice');
  storm.endInput();
  await storm.waitForEvent((e) => e.type === 'closed', 30_000, 'the storm clients to leave');
  await waitFor(() => server.users().length === 2, 15_000, 'the crowd to leave');
});

test('after a server crash and restart, the client gets a RESET and reconnects by itself on it, without waiting for the give-up timeout', async () => {
  const serverDir = join(dir, 'reset', 'server');
  const first = await startServerProcess(serverDir);
  const proxy = await UdpProxy.start(first.port);
  cleanup.push(() => proxy.close());
  const home = join(dir, 'reset', 'client');
  const rec = new Recorder(new ChatClient({ host: '127.0.0.1', port: proxy.port, historyDir: home, keys: await testKeys(home) }));
  cleanup.push(() => rec.client.close());
  const states: ClientState[] = [];
  rec.client.on('state', (s: ClientState) => states.push(s));
  // How long a login takes on this machine right now: the bound on the reconnect below is relative to it.
  const loginStart = Date.now();
  await rec.client.connect();
  await rec.client.authenticate(PASSWORD);
  await rec.client.join('penyintas');
  const loginMs = Date.now() - loginStart;
  assert.is(rec.readies, 1);

  // A crash: no CLOSE reaches the client. Then the same server (same key, same history) on the same port.
  // The relay cuts the link meanwhile (both ways, so a reset the new server may send on its own at start
  // is lost too): the first datagram of this session that the new server sees is sent after t0.
  proxy.hook = () => null;
  first.child.signal('SIGKILL');
  await first.child.exited;
  const second = await startServerProcess(serverDir, first.port);
  assert.is(second.port, first.port);
  assert.is(rec.client.state, 'connected', `the client has not noticed yet: ${rec.warnings.join(' | ')}`);
  states.length = 0;

  const t0 = Date.now();
  proxy.hook = undefined;
  const id = rec.client.send('apakah ada orang?');
  await waitFor(() => rec.readies === 2, 60_000, 'ready again');
  const took = Date.now() - t0;
  // One reconnect delay and a login (three logins of slack), never below half the give-up timeout: on an
  // idle machine a client that waited for its give-up instead of acting on the reset exceeds it, and a
  // loaded machine whose logins take seconds does not fail for being slow.
  const bound = Math.max(GIVE_UP_MS / 2, RECONNECT_INITIAL_MS + 3 * loginMs);
  console.log(`  ready again ${took} ms after the first datagram to the restarted server (a first login took ${loginMs} ms; bound ${bound} ms)`);
  const resets = proxy.captured.filter((c) => c.dir === 'down' && c.at >= t0 && decodeHeader(c.data).type === 'reset');
  assert.ok(resets.length >= 1, 'the restarted server answered with a RESET');
  assert.ok(rec.warnings.some((w) => w.includes('no longer knows this session')), `the client saw the reset: ${rec.warnings.join(' | ')}`);
  assert.equal(states, ['reconnecting', 'connected'], 'state went reconnecting → connected');
  const lost = rec.warnings.filter((w) => w.startsWith('connection lost'));
  assert.ok(lost.length > 0 && lost.every((w) => w.includes('no longer knows this session')), `the link was lost to the reset only, not given up on: ${rec.warnings.join(' | ')}`);
  assert.ok(took < bound, `back in ${took} ms (bound ${bound} ms; the give-up timeout is ${GIVE_UP_MS} ms)`);
  await waitFor(() => rec.delivered.some((d) => d.id === id), 10_000, 'the pending message delivered after reconnecting');
  assert.is(rec.client.name, 'penyintas', 'the same name, reclaimed');
});

test.run();
