// `keys` floods from a logged-in user: a bounded number of names per request, each user once however the
// name is written, a reply never larger than the channel carries, and a rate per connection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { KEYS_BURST, KEYS_MAX_NAMES, MAX_MESSAGE_BYTES } from '../lib/constants.ts';
import { ProtocolError } from '../lib/errors.ts';
import type { ChatServer } from '../lib/chat/server.ts';
import { keysReply, type Bundle } from '../lib/chat/key-requests.ts';
import { decodeClientMessage, decodeServerMessage, encodeMessage, type ServerMessage } from '../lib/chat/messages.ts';
import type { SecureLink } from '../lib/net/client-endpoint.ts';
import { joinClient, type Recorder, removeDir, startServer, tempDir } from './support/chat-harness.ts';

const big = (c: string): Bundle => ({ enc: c.repeat(4096), sig: c.repeat(4096) });

test('a reply names each user once, however the request writes the name', () => {
  const bundles = new Map([['budi', big('b')]]);
  const reply = keysReply(['budi', 'BUDI', 'Budi', 'ｂｕｄｉ'], bundles);
  assert.equal(Object.keys(reply), ['budi']);
});

test(`a reply looks at ${KEYS_MAX_NAMES} names at most and never exceeds the message limit`, () => {
  const bundles = new Map<string, Bundle>();
  const names: string[] = [];
  for (let i = 0; i < 100; i++) { bundles.set(`user${i}`, big(String.fromCharCode(97 + (i % 26)))); names.push(`user${i}`); }
  const reply = keysReply(names, bundles);
  const size = encodeMessage({ t: 'keys', bundles: reply }).length;
  assert.ok(Object.keys(reply).length <= KEYS_MAX_NAMES);
  assert.ok(Object.keys(reply).length > 0);
  assert.ok(size <= MAX_MESSAGE_BYTES, `reply of ${size} bytes`);
  const small = new Map(names.map((n) => [n, { enc: 'e', sig: 's' }]));
  assert.is(Object.keys(keysReply(names, small)).length, KEYS_MAX_NAMES);
});

test(`a request with more than ${KEYS_MAX_NAMES} names is refused as malformed`, () => {
  const ok = Buffer.from(JSON.stringify({ t: 'keys', users: Array.from({ length: KEYS_MAX_NAMES }, (_, i) => `u${i}`) }));
  assert.is(decodeClientMessage(ok).t, 'keys');
  const tooMany = Buffer.from(JSON.stringify({ t: 'keys', users: Array.from({ length: KEYS_MAX_NAMES + 1 }, (_, i) => `u${i}`) }));
  assert.throws(() => decodeClientMessage(tooMany), (e: unknown) => e instanceof ProtocolError && e.code === 'bad_message');
});

test('a flood of keys requests from one connection is answered at its rate, the rest refused as rate_limited', async () => {
  const dir = await tempDir('obrolan-hostile-keys-');
  let server: ChatServer | undefined;
  const clients: Recorder[] = [];
  try {
    let port: number;
    ({ server, port } = await startServer(join(dir, 'server')));
    clients.push(await joinClient(port, join(dir, 'ani'), 'ani'));
    clients.push(await joinClient(port, join(dir, 'budi'), 'budi'));
    const link = (clients[0]!.client as unknown as { link: SecureLink }).link;
    const got: ServerMessage[] = [];
    link.conn.on('message', (b: Buffer) => { try { got.push(decodeServerMessage(b)); } catch { /* not ours */ } });
    const FLOOD = KEYS_BURST + 20;
    for (let i = 0; i < FLOOD; i++) link.conn.send(encodeMessage({ t: 'keys', users: ['budi', 'BUDI', 'Budi'] }));
    const until = Date.now() + 5_000;
    const answers = (): ServerMessage[] => got.filter((m) => m.t === 'keys' || (m.t === 'error' && m.code === 'rate_limited'));
    while (answers().length < FLOOD && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const keys = got.filter((m) => m.t === 'keys') as Array<Extract<ServerMessage, { t: 'keys' }>>;
    const limited = got.filter((m) => m.t === 'error' && m.code === 'rate_limited');
    assert.is(keys.length + limited.length, FLOOD, 'every request was answered');
    assert.ok(keys.length >= KEYS_BURST && keys.length < KEYS_BURST + 5, `${keys.length} answered`);
    assert.ok(keys.every((k) => Object.keys(k.bundles).length === 1), 'budi once per reply');
    // The honest way still works: the client's own fetch, once the bucket has refilled.
    await new Promise((r) => setTimeout(r, 1_000));
    const fetched = await (clients[0]!.client as unknown as { fetchKeys(n: string[]): Promise<Record<string, Bundle>> }).fetchKeys(['budi']);
    assert.equal(Object.keys(fetched), ['budi']);
  } finally {
    for (const c of clients) await c.client.close().catch(() => {});
    await server?.stop();
    await removeDir(dir);
  }
});

test.run();
