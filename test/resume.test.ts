// Resume across a server restart: the headless server is a child process (so SIGKILL is real), the
// clients are in-process ChatClients that must come back by themselves, catch up, and resend what the
// server never acknowledged — each message exactly once everywhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientState } from '../lib/chat/types.ts';
import { ChatClient } from '../lib/chat/client.ts';
import type { ClientKeys } from '../lib/e2e/keys.ts';
import { RECONNECT_MAX_MS } from '../lib/constants.ts';
import { ChatError } from '../lib/errors.ts';
import { joinClient, PASSWORD, type Recorder, removeDir, tempDir, testKeys, waitFor } from './support/chat-harness.ts';
import { GateRelay } from './support/gate-relay.ts';
import { killAll, startServerProcess, type ServerChild } from './support/processes.ts';

/** How soon after the server is back (reachable) a client must be 'ready' again on an idle machine, in ms. */
const BACK_WITHIN_MS = 5_000;

/**
 * The bound on "back", relative to how long a fresh client took to join the same server just now
 * (`joinMs`): a client away retries at least every RECONNECT_MAX_MS, then logs in as the fresh one did; three
 * such logins of slack. Never below BACK_WITHIN_MS, so an idle machine keeps the 5 s promise, while a loaded
 * one (logins of seconds) does not fail for being slow. On an idle machine a client that waited for its
 * keepalive (5 s) or give-up (10 s) timer, instead of the server's reset or its own retries, exceeds it.
 */
function backBound(joinMs: number): number {
  return Math.max(BACK_WITHIN_MS, RECONNECT_MAX_MS + 3 * joinMs);
}

let dir = '';
let keys: ClientKeys;
const recorders: Recorder[] = [];
const relays: GateRelay[] = [];

test.before(async () => {
  dir = await tempDir('obrolan-resume-');
  keys = await testKeys(join(dir, 'keys'));
});
test.after(async () => {
  for (const r of recorders) await r.client.close().catch(() => {});
  for (const g of relays) g.close();
  await killAll();
  await removeDir(dir);
});

/** A client that also notes when each 'ready' and state change happened. */
interface Watched { r: Recorder; readyAt: number[]; states: Array<{ s: ClientState; at: number }> }

async function watched(port: number, scenario: string, name: string): Promise<Watched> {
  const r = await joinClient(port, join(dir, scenario, name), name, { keys });
  recorders.push(r);
  const w: Watched = { r, readyAt: [], states: [] };
  r.client.on('ready', () => w.readyAt.push(Date.now()));
  r.client.on('state', (s: ClientState) => w.states.push({ s, at: Date.now() }));
  return w;
}

/** Stops the server process with `signal` and waits for it to be gone. */
async function crash(server: ServerChild, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  server.child.signal(signal);
  const exit = await server.child.waitExit(20_000);
  if (signal === 'SIGTERM') assert.is(exit.code, 0, 'SIGTERM: clean exit');
  else assert.is(exit.signal, 'SIGKILL');
}

/** Every message a client was shown, checked for duplicates (by id and by room seq) and echoes. */
function assertOnce(w: Watched): void {
  const name = w.r.client.name!;
  const ids = w.r.messages.map((m) => m.id);
  assert.is(new Set(ids).size, ids.length, `${name} saw no message twice (by id)`);
  const seqs = w.r.messages.map((m) => m.seq);
  assert.is(new Set(seqs).size, seqs.length, `${name} saw no room seq twice`);
  assert.equal(seqs, seqs.slice().sort((a, b) => a - b), `${name} saw the room in order`);
  assert.ok(w.r.messages.every((m) => m.from !== name), `${name} was not shown its own messages`);
}

/** Waits for `cond`; on a timeout the error lists what each client was shown. */
async function waitShown(ws: Watched[], cond: () => boolean, what: string): Promise<void> {
  try {
    await waitFor(cond, 10_000, what);
  } catch (err) {
    const shown = ws.map((w) => `${w.r.client.name}: ${w.r.messages.map((m) => `#${m.seq} ${m.from}: ${m.text}`).join(' | ')}`);
    throw new Error(`${(err as Error).message}\n${shown.join('\n')}`);
  }
}

function texts(w: Watched, from: string): string[] {
  return w.r.messages.filter((m) => m.from === from).map((m) => m.text);
}

for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  test(`clients online during a ${signal} restart are back soon after the new server (5 s when idle), and what they sent meanwhile arrives once`, async () => {
    const scenario = `direct-${signal}`;
    const serverDir = join(dir, scenario, 'server');
    const first = await startServerProcess(serverDir);
    const ani = await watched(first.port, scenario, 'ani');
    const budi = await watched(first.port, scenario, 'budi');
    ani.r.client.send('before the restart');
    await waitFor(() => budi.r.texts().includes('before the restart'), 10_000, 'a message before the restart');

    await crash(first, signal);
    if (signal === 'SIGTERM') {
      // The server said it was stopping: both know at once, without waiting for a timeout.
      await waitFor(() => [ani, budi].every((w) => w.r.client.state === 'reconnecting'), 5_000, 'reconnecting after SIGTERM');
    }
    // Ani writes while the server is down; Budi stays silent, so after a SIGKILL only the restarted
    // server's reset (or its own next keepalive, up to 5 s later) can tell it.
    const down = ['while down 1', 'while down 2', 'while down 3'];
    for (const t of down) ani.r.client.send(t);
    const readiesBefore = [ani.readyAt.length, budi.readyAt.length];

    const second = await startServerProcess(serverDir, first.port);
    const joinStart = Date.now();
    const citra = await watched(second.port, scenario, 'citra');
    const bound = backBound(Date.now() - joinStart);
    citra.r.client.send('from the restarted server');
    await waitFor(() => ani.readyAt.length > readiesBefore[0]! && budi.readyAt.length > readiesBefore[1]!, 20_000, 'both clients ready again');
    const backAni = ani.readyAt[readiesBefore[0]!]! - second.listeningAt;
    const backBudi = budi.readyAt[readiesBefore[1]!]! - second.listeningAt;
    console.log(`  ${signal}: back after the new server's "listening" line: ani ${backAni} ms, budi ${backBudi} ms (bound ${bound} ms)`);
    assert.ok(backAni <= bound, `ani back in ${backAni} ms (bound ${bound} ms)`);
    assert.ok(backBudi <= bound, `budi (idle) back in ${backBudi} ms (bound ${bound} ms)`);

    await waitFor(() => ani.r.client.unacked === 0, 10_000, 'ani\'s messages delivered');
    await waitShown([ani, budi, citra], () => texts(budi, 'ani').length === 4 && texts(citra, 'ani').length === 4
      && texts(ani, 'citra').length === 1 && texts(budi, 'citra').length === 1, 'every message everywhere');
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would show up now
    assert.equal(texts(budi, 'ani'), ['before the restart', ...down], 'budi got ani\'s messages once, in order');
    assert.equal(texts(citra, 'ani'), ['before the restart', ...down], 'citra got the history and what ani wrote while the server was down, once');
    assert.equal(texts(ani, 'citra'), ['from the restarted server']);
    assert.equal(texts(budi, 'citra'), ['from the restarted server']);
    for (const w of [ani, budi, citra]) assertOnce(w);
    assert.is(ani.r.delivered.length, 4, 'ani was told of each of its messages once');
    assert.is(new Set(ani.r.delivered.map((d) => d.id)).size, 4);
    assert.equal(ani.r.client.users().sort(), ['ani', 'budi', 'citra']);
    for (const w of [ani, budi, citra]) await w.r.client.close();
    await crash(second, 'SIGTERM');
  });
}

/** Tries to join as `name` with a fresh client; returns the refusal's code, or 'joined'. Always closes it. */
async function tryName(port: number, home: string, name: string): Promise<string> {
  const client = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys, reconnect: false });
  try {
    await client.connect();
    await client.authenticate(PASSWORD);
    await client.join(name);
    return 'joined';
  } catch (err) {
    if (err instanceof ChatError) return err.code;
    throw err;
  } finally {
    await client.close();
  }
}

for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  test(`clients kept away during a ${signal} restart keep their names and get what they missed, once`, async () => {
    const scenario = `missed-${signal}`;
    const serverDir = join(dir, scenario, 'server');
    const first = await startServerProcess(serverDir);
    // Ani and Budi reach the server through a relay whose gate keeps them away until Citra has chatted.
    const relay = await GateRelay.start(first.port);
    relays.push(relay);
    const ani = await watched(relay.port, scenario, 'ani');
    const budi = await watched(relay.port, scenario, 'budi');
    budi.r.client.send('hello before');
    await waitFor(() => ani.r.texts().includes('hello before'), 10_000, 'a message before the restart');

    relay.open = false;
    await crash(first, signal);
    const down = ['ani while down 1', 'ani while down 2'];
    for (const t of down) ani.r.client.send(t);
    const second = await startServerProcess(serverDir, first.port);
    assert.is(await tryName(second.port, join(dir, scenario, 'stranger'), 'ANI'), 'name_taken', 'ani\'s name is held for ani');
    const joinStart = Date.now();
    const citra = await watched(second.port, scenario, 'citra');
    const bound = backBound(Date.now() - joinStart);
    const missed = Array.from({ length: 5 }, (_, i) => `missed ${i + 1}`);
    for (const t of missed) citra.r.client.send(t);
    await waitFor(() => citra.r.delivered.length === missed.length, 10_000, 'citra\'s messages stored');
    assert.ok(ani.r.messages.every((m) => m.from !== 'citra'), 'ani has not seen citra yet');

    const readiesBefore = [ani.readyAt.length, budi.readyAt.length];
    const openedAt = Date.now();
    relay.open = true;
    await waitFor(() => ani.readyAt.length > readiesBefore[0]! && budi.readyAt.length > readiesBefore[1]!, 20_000, 'both clients ready again');
    const back = Math.max(ani.readyAt.at(-1)!, budi.readyAt.at(-1)!) - openedAt;
    console.log(`  ${signal}: back ${back} ms after the server became reachable again (bound ${bound} ms)`);
    assert.ok(back <= bound, `back in ${back} ms (bound ${bound} ms)`);

    await waitShown([ani, budi, citra], () => texts(ani, 'citra').length === missed.length && texts(budi, 'citra').length === missed.length
      && texts(budi, 'ani').length === down.length && texts(citra, 'ani').length === down.length, 'every message everywhere');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(texts(ani, 'citra'), missed, 'ani got what it missed, once, in order');
    assert.equal(texts(budi, 'citra'), missed, 'budi got what it missed, once, in order');
    assert.equal(texts(budi, 'ani'), down, 'budi got what ani wrote while away, once');
    assert.equal(texts(citra, 'ani'), down, 'citra got what ani wrote while away, once');
    assert.equal(texts(ani, 'budi'), ['hello before']);
    for (const w of [ani, budi, citra]) assertOnce(w);
    for (const w of [ani, budi, citra]) await w.r.client.close();
    await crash(second, 'SIGTERM');
  });
}

test('a client closed while it is reconnecting stays closed when the server answers again', async () => {
  const scenario = 'closed-while-away';
  const serverDir = join(dir, scenario, 'server');
  const first = await startServerProcess(serverDir);
  const relay = await GateRelay.start(first.port);
  relays.push(relay);
  const ani = await watched(relay.port, scenario, 'ani');
  relay.open = false;
  await crash(first, 'SIGTERM');
  // Forget the held names, so that nothing but close() itself can keep ani from joining again.
  await rm(join(serverDir, 'online.json'));
  const second = await startServerProcess(serverDir, first.port);
  // Its handshake is under way (HELLOs held at the relay) when the person quits.
  await waitFor(() => ani.r.client.state === 'reconnecting' && relay.dropped > 0, 10_000, 'a reconnect attempt');
  await ani.r.client.close();
  relay.open = true;
  await new Promise((r) => setTimeout(r, 3_000)); // HELLO is resent within 1 s; login takes well under 2 s
  assert.is(ani.r.client.state, 'closed', 'still closed');
  assert.is(ani.readyAt.length, 0, 'never ready again');
  const watcher = await watched(second.port, scenario, 'watcher');
  assert.equal(watcher.r.client.users(), ['watcher'], 'ani is not in the room');
  await watcher.r.client.close();
  await crash(second, 'SIGTERM');
});

test.run();
