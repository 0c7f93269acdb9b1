// The room over real UDP on 127.0.0.1: broadcast, room order, join/leave, users, refusals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { ChatClient } from '../lib/chat/client.ts';
import { ChatError } from '../lib/errors.ts';
import { joinClient, PASSWORD, type Recorder, removeDir, startServer, tempDir, testKeys, waitFor } from './support/chat-harness.ts';

let dir = '';
const cleanup: Array<() => Promise<void>> = [];

test.before(async () => { dir = await tempDir(); });
test.after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  await removeDir(dir);
});

async function room(name: string, users: string[]): Promise<{ port: number; clients: Recorder[]; stop: () => Promise<void> }> {
  const { server, port } = await startServer(join(dir, name, 'server'));
  const clients: Recorder[] = [];
  for (const u of users) clients.push(await joinClient(port, join(dir, name, u), u));
  const stop = async (): Promise<void> => {
    for (const c of clients) await c.client.close();
    await server.stop();
  };
  cleanup.push(stop);
  return { port, clients, stop };
}

test('each message reaches every other member exactly once, in room order', async () => {
  const { clients: [a, b, c] } = await room('order', ['ani', 'budi', 'citra']);
  const sent = new Map<Recorder, string[]>([[a!, []], [b!, []], [c!, []]]);
  for (let i = 0; i < 30; i++) {
    for (const r of [a!, b!, c!]) {
      const text = `${r.client.name} says ${i}`;
      r.client.send(text);
      sent.get(r)!.push(text);
    }
  }
  await waitFor(() => [a!, b!, c!].every((r) => r.messages.length === 60 && r.delivered.length === 30), 10_000, 'all messages');
  for (const r of [a!, b!, c!]) {
    const expected = [...sent.entries()].filter(([x]) => x !== r).flatMap(([, t]) => t).sort();
    assert.equal(r.texts().slice().sort(), expected, `${r.client.name} got each message of the others once`);
    assert.ok(r.messages.every((m) => m.from !== r.client.name), 'no echo of own messages');
    const seqs = r.messages.map((m) => m.seq);
    assert.equal(seqs, seqs.slice().sort((x, y) => x - y), 'in room order');
  }
  // Room order is the same for everyone: a message's seq is the same on every client.
  const seqOf = (r: Recorder): Map<string, number> => new Map(r.messages.map((m) => [m.text, m.seq]));
  const fromA = a!.messages.filter((m) => m.from === 'budi');
  for (const m of fromA) assert.is(seqOf(c!).get(m.text), m.seq);
  const delivered = b!.delivered.map((d) => d.seq);
  for (const m of a!.messages.filter((x) => x.from === 'budi')) assert.ok(delivered.includes(m.seq), 'delivered seq matches the room seq');
});

test('join and leave are announced and the user list follows', async () => {
  const { port, clients: [a] } = await room('joins', ['ani']);
  const b = await joinClient(port, join(dir, 'joins', 'budi'), 'Budi');
  cleanup.push(() => b.client.close());
  await waitFor(() => a!.joins.includes('Budi'), 5000, 'join event');
  assert.equal(a!.client.users().sort(), ['Budi', 'ani']);
  assert.equal(b.client.users().sort(), ['Budi', 'ani']);
  await b.client.close();
  await waitFor(() => a!.leaves.includes('Budi'), 5000, 'leave event');
  assert.equal(a!.client.users(), ['ani']);
});

test('a wrong password is refused, and the right one then lets the same client in', async () => {
  const { port } = await room('password', []);
  const home = join(dir, 'password', 'dewi');
  const client = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys: await testKeys(home) });
  cleanup.push(() => client.close());
  await client.connect();
  const err = await client.authenticate('wrong').then(() => undefined, (e: unknown) => e);
  assert.instance(err, ChatError);
  assert.is((err as ChatError).code, 'wrong_password');
  await client.authenticate(PASSWORD);
  await client.join('dewi');
  assert.is(client.state, 'connected');
});

test('a name taken in another case is refused with name_taken; a bad name with bad_name', async () => {
  const { port } = await room('names', ['Eka']);
  const home = join(dir, 'names', 'other');
  const client = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys: await testKeys(home) });
  cleanup.push(() => client.close());
  await client.connect();
  await client.authenticate(PASSWORD);
  const taken = await client.join('eKA').then(() => undefined, (e: unknown) => e as ChatError);
  assert.is(taken?.code, 'name_taken');
  const bad = await client.join('server').then(() => undefined, (e: unknown) => e as ChatError);
  assert.is(bad?.code, 'bad_name');
  const bad2 = await client.join('a\u0007b').then(() => undefined, (e: unknown) => e as ChatError);
  assert.is(bad2?.code, 'bad_name');
  await client.join('Fajar');
  assert.is(client.name, 'Fajar');
});

test('of two clients racing for one name exactly one wins', async () => {
  const { port } = await room('race', []);
  const attempts = await Promise.all(['GITA', 'gita', 'Gita', 'gitA'].map(async (n, i) => {
    const home = join(dir, 'race', `c${i}`);
    const c = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys: await testKeys(home) });
    cleanup.push(() => c.close());
    await c.connect();
    await c.authenticate(PASSWORD);
    return { c, n };
  }));
  const results = await Promise.allSettled(attempts.map(({ c, n }) => c.join(n)));
  const won = results.filter((r) => r.status === 'fulfilled').length;
  assert.is(won, 1, 'exactly one join succeeds');
  for (const r of results) if (r.status === 'rejected') assert.is((r.reason as ChatError).code, 'name_taken');
});

test('too many wrong passwords from one address are rate limited', async () => {
  const { port } = await room('ratelimit', []);
  const home = join(dir, 'ratelimit', 'x');
  const client = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys: await testKeys(home) });
  cleanup.push(() => client.close());
  await client.connect();
  const codes: string[] = [];
  for (let i = 0; i < 7; i++) codes.push(await client.authenticate(`nope${i}`).then(() => 'ok', (e: ChatError) => e.code));
  assert.equal(codes.slice(0, 5), Array(5).fill('wrong_password'));
  assert.equal(codes.slice(5), ['rate_limited', 'rate_limited']);
  const right = await client.authenticate(PASSWORD).then(() => 'ok', (e: ChatError) => e.code);
  assert.is(right, 'rate_limited', 'even the right password waits for the cooldown');
});

test('a right password clears the address\'s earlier mistakes', async () => {
  const { port } = await room('ratelimit-clear', []);
  const codesOf = async (passwords: string[]): Promise<string[]> => {
    const home = join(dir, 'ratelimit-clear', `c${passwords.length}`);
    const client = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys: await testKeys(home) });
    cleanup.push(() => client.close());
    await client.connect();
    const codes: string[] = [];
    for (const p of passwords) codes.push(await client.authenticate(p).then(() => 'ok', (e: ChatError) => e.code));
    return codes;
  };
  // Four typos, then the right password: a later session's typos start counting from zero.
  assert.equal(await codesOf(['typo1', 'typo2', 'typo3', 'typo4', PASSWORD]), ['wrong_password', 'wrong_password', 'wrong_password', 'wrong_password', 'ok']);
  assert.equal(await codesOf(['typo5', 'typo6', 'typo7', 'typo8', 'typo9', 'typo10']),
    ['wrong_password', 'wrong_password', 'wrong_password', 'wrong_password', 'wrong_password', 'rate_limited']);
});

test('a text over 16 KiB is refused with too_large and the session stays up', async () => {
  const { clients: [a, b] } = await room('large', ['hana', 'indra']);
  assert.throws(() => a!.client.send('x'.repeat(16 * 1024 + 1)), (e: unknown) => (e as ChatError).code === 'too_large');
  a!.client.send('still here');
  await waitFor(() => b!.texts().includes('still here'), 5000, 'message after refusal');
  // A client that skips its own check: the server's too_large names the refused message's id.
  (a!.client as unknown as { sendRaw(m: unknown): void }).sendRaw({ t: 'chat', id: 'big-1', text: 'x'.repeat(16 * 1024 + 1) });
  await waitFor(() => a!.errors.some((e) => e.code === 'too_large'), 5000, 'the too_large error');
  assert.match(a!.errors.find((e) => e.code === 'too_large')!.message, 'big-1');
});

test('a flood is delayed, not dropped, and the sender is told', async () => {
  const { clients: [a, b] } = await room('flood', ['joko', 'kiki']);
  const started = Date.now();
  for (let i = 0; i < 20; i++) a!.client.send(`burst ${i}`);
  await waitFor(() => b!.messages.length === 20, 15_000, 'all 20 messages');
  const spread = Date.now() - started;
  assert.equal(b!.texts(), Array.from({ length: 20 }, (_, i) => `burst ${i}`), 'all arrive, in order');
  assert.ok(a!.warnings.some((w) => /sending fast/.test(w)), 'the sender is told');
  // 10 go at once (the burst), the other 10 at 5 per second: about 2 s in all.
  assert.ok(spread >= 1500, `the flood was spread out (${spread} ms)`);
});

test.run();
