// The CPace login (lib/chat/pake.ts): both roles alone, then against a rogue server that has the real
// server's RSA key but not the room password, then the first-contact pin by proof through the real CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChatClient } from '../lib/chat/client.ts';
import { decodeClientMessage, encodeMessage } from '../lib/chat/messages.ts';
import { answerLogin, channelIdentifier, passwordBytes, serverProved, ServerLogin, type LoginBinding } from '../lib/chat/pake.ts';
import type { ChatServer } from '../lib/chat/server.ts';
import { ChatError } from '../lib/errors.ts';
import { loadOrCreateKeyPair } from '../lib/keyfile.ts';
import type { Connection } from '../lib/net/connection.ts';
import { ServerEndpoint } from '../lib/net/server-endpoint.ts';
import { calculateGenerator, confirmTag, intermediateKey, parsePrefixFree, sampleScalar, scalarMultVfy } from '../lib/session/cpace.ts';
import { PASSWORD, removeDir, startServer, tempDir, testKeys } from './support/chat-harness.ts';
import { killAll, spawnLineClient, startServerProcess } from './support/processes.ts';

const BINDING: LoginBinding = { sid: Buffer.alloc(32, 0x5a), fingerprint: 'SHA256:testtesttest', connId: Buffer.alloc(8, 7) };

let dir = '';
const cleanup: Array<() => Promise<void> | void> = [];
test.before(async () => { dir = await tempDir('obrolan-pake-'); });
test.after(async () => {
  for (const c of cleanup.reverse()) await Promise.resolve().then(c).catch(() => {});
  await killAll();
  await removeDir(dir);
});

test('the right password logs in and the server proves it knows it', () => {
  const server = new ServerLogin('rahasia', BINDING);
  const answer = answerLogin('rahasia', BINDING, server.message)!;
  const proof = server.check(answer.message, answer.tag);
  assert.ok(proof, 'the server accepts the client');
  assert.ok(serverProved(answer, proof!), 'the client accepts the server');
});

test('a wrong password fails, costs the attempt, and the next attempt with the right one works', () => {
  const server = new ServerLogin('rahasia', BINDING);
  const first = server.message;
  const wrong = answerLogin('rahasia?', BINDING, first)!;
  assert.is(server.check(wrong.message, wrong.tag), undefined);
  assert.not.equal(server.message, first, 'a fresh server message for the next attempt');
  const replay = answerLogin('rahasia', BINDING, first)!;
  assert.is(server.check(replay.message, replay.tag), undefined, 'an answer to the spent message is refused');
  const right = answerLogin('rahasia', BINDING, server.message)!;
  assert.ok(server.check(right.message, right.tag));
});

test('the password is taken in NFC; a login is bound to sid, the fingerprint and the connection id', () => {
  assert.equal(passwordBytes('caf\u0065\u0301'), passwordBytes('caf\u00e9'));
  for (const other of [{ ...BINDING, sid: Buffer.alloc(32, 1) }, { ...BINDING, fingerprint: 'SHA256:other' }, { ...BINDING, connId: Buffer.alloc(8, 8) }]) {
    const server = new ServerLogin('rahasia', BINDING);
    const answer = answerLogin('rahasia', other, server.message)!;
    assert.is(server.check(answer.message, answer.tag), undefined);
  }
});

test('malformed or low-order client messages are refused as a wrong password', () => {
  const server = new ServerLogin('rahasia', BINDING);
  const good = answerLogin('rahasia', BINDING, server.message)!;
  const lowOrder = Buffer.concat([Buffer.from([32]), Buffer.alloc(32), good.message.subarray(33)]);
  for (const msg of [lowOrder, Buffer.from('ffffff', 'hex'), good.message.subarray(0, 40), Buffer.concat([good.message, Buffer.alloc(1)])]) {
    assert.is(server.check(msg, good.tag), undefined, msg.toString('hex'));
  }
  assert.is(answerLogin('rahasia', BINDING, Buffer.concat([Buffer.from([32]), Buffer.alloc(32), Buffer.from([16]), Buffer.from('obrolan/1 server')])), undefined,
    'the client refuses a low-order server share');
});

test('a fake server learns nothing that tells two candidate passwords apart offline', () => {
  // The fake plays CPace with its own guess, sees the client's answer, then tries each candidate offline
  // with everything it knows: its scalar, the public binding, both messages.
  const candidates = ['correct horse', 'wrong horse'];
  const y = sampleScalar();
  const g = calculateGenerator(passwordBytes('guess'), channelIdentifier(BINDING), BINDING.sid);
  const fakeMsg = Buffer.concat([Buffer.from([32]), scalarMultVfy(y, g), Buffer.from([16]), Buffer.from('obrolan/1 server')]);
  const answer = answerLogin('correct horse', BINDING, fakeMsg)!;
  const [yb] = parsePrefixFree(answer.message, 2);
  const verdicts = candidates.map((c) => {
    const gc = calculateGenerator(passwordBytes(c), channelIdentifier(BINDING), BINDING.sid);
    const k = scalarMultVfy(y, yb!);
    const isk = intermediateKey(BINDING.sid, k, fakeMsg, answer.message);
    return {
      tag: confirmTag(isk, answer.message).equals(answer.tag),
      share: yb!.equals(gc) || answer.message.includes(passwordBytes(c)),
    };
  });
  assert.equal(verdicts, [{ tag: false, share: false }, { tag: false, share: false }], 'the same verdict for both candidates');
  const again = answerLogin('correct horse', BINDING, fakeMsg)!;
  assert.not.equal(again.message, answer.message, 'the same password gives another message each time');
  assert.not.equal(again.tag, answer.tag);
});

/** A server with the real server's RSA key and its own password (a rogue that copied server.pem). */
async function rogueWithKey(realDir: string, rogueDir: string, password: string): Promise<{ server: ChatServer; port: number; seen: Buffer[] }> {
  await mkdir(join(rogueDir, 'keys'), { recursive: true });
  await copyFile(join(realDir, 'keys', 'server.pem'), join(rogueDir, 'keys', 'server.pem'));
  const { server, port } = await startServer(rogueDir, { password });
  cleanup.push(() => server.stop());
  const seen: Buffer[] = [];
  (server as unknown as { endpoint: ServerEndpoint }).endpoint.on('connection', (conn: Connection) => conn.on('message', (b: Buffer) => seen.push(b)));
  return { server, port, seen };
}

test('a rogue server with the real key but not the password: the login fails, nothing is pinned, nothing sent depends on the password alone', async () => {
  const real = await startServer(join(dir, 'rogue', 'real'));
  cleanup.push(() => real.server.stop());
  const rogue = await rogueWithKey(join(dir, 'rogue', 'real'), join(dir, 'rogue', 'fake'), 'a guess');
  assert.is(rogue.server.fingerprint, real.server.fingerprint);
  const home = join(dir, 'rogue', 'client');
  const tags: string[] = [];
  for (let i = 0; i < 2; i++) {
    const client = new ChatClient({ host: '127.0.0.1', port: rogue.port, historyDir: home, keys: await testKeys(home) });
    cleanup.push(() => client.close());
    await client.connect();
    const err = await client.authenticate(PASSWORD).then(() => undefined, (e: unknown) => e);
    assert.instance(err, ChatError);
    assert.is((err as ChatError).code, 'wrong_password');
    assert.match((err as ChatError).message, 'wrong password — or this server is not the room you meant');
    assert.is(client.verified, undefined);
    await client.close();
  }
  const pins = await readFile(join(home, 'known_servers.db'), 'utf8').catch(() => '');
  assert.not.ok(pins.includes(real.server.fingerprint), 'the key is not pinned');
  const auths = rogue.seen.map((b) => decodeClientMessage(b)).filter((m) => m.t === 'auth');
  assert.is(auths.length, 2);
  for (const m of auths) if (m.t === 'auth') tags.push(m.pake, m.mac);
  assert.is(new Set(tags).size, 4, 'two logins with the same password sent nothing in common');
  const raw = Buffer.concat(rogue.seen);
  assert.not.ok(raw.includes(Buffer.from(PASSWORD)), 'not the password');
  assert.not.ok(raw.toString().includes(createHash('sha256').update(PASSWORD).digest('base64')), 'not a hash of it');
});

test('a server that answers auth_ok without the proof is not trusted', async () => {
  const keyDir = join(dir, 'liar');
  const identity = await loadOrCreateKeyPair(join(keyDir, 'server.pem'), 2048);
  const endpoint = new ServerEndpoint({ identity });
  cleanup.push(() => endpoint.close());
  endpoint.on('connection', (conn: Connection, _addr: string, token: Buffer) => {
    const login = new ServerLogin('the liar does not know it', { sid: conn.sessionHash, fingerprint: identity.fingerprint, connId: conn.connId });
    conn.send(encodeMessage({ t: 'hello', pake: login.message.toString('base64'), reset: token.toString('base64') }));
    conn.on('message', () => conn.send(encodeMessage({ t: 'auth_ok', mac: randomBytes(64).toString('base64') })));
  });
  const { port } = await endpoint.bind('127.0.0.1', 0);
  const home = join(keyDir, 'client');
  const client = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys: await testKeys(home) });
  cleanup.push(() => client.close());
  await client.connect();
  const err = await client.authenticate(PASSWORD).then(() => undefined, (e: unknown) => e);
  assert.is((err as ChatError).code, 'wrong_password');
  const pins = await readFile(join(home, 'known_servers.db'), 'utf8').catch(() => '');
  assert.not.ok(pins.includes(identity.fingerprint), 'nothing pinned');
});

test('the CLI pins a new server by the password proof (ready says verified "password"), then knows it ("pinned")', async () => {
  const server = await startServerProcess(join(dir, 'cli', 'server'));
  cleanup.push(() => server.child.signal('SIGTERM'));
  const home = join(dir, 'cli', 'home');
  await testKeys(home);
  const wrong = spawnLineClient({ port: server.port, username: 'tamu', historyDir: home, password: 'not it' });
  assert.is((await wrong.waitExit(30_000)).code, 3, wrong.describe());
  assert.match(String(wrong.ofType('error')[0]?.message), 'not the room you meant');
  assert.not.ok((await readFile(join(home, 'known_servers.db'), 'utf8').catch(() => '')).includes('SHA256:'), 'a failed login pins nothing');

  for (const verified of ['password', 'pinned']) {
    const c = spawnLineClient({ port: server.port, username: 'tamu', historyDir: home, password: PASSWORD });
    const ready = await c.waitForEvent((e) => e.type === 'ready', 30_000, 'ready');
    assert.is(ready.verified, verified, c.describe());
    assert.match(String(ready.fingerprint), /^SHA256:/);
    c.writeLine('/quit');
    assert.is((await c.waitExit(30_000)).code, 0);
    const pins = await readFile(join(home, 'known_servers.db'), 'utf8');
    assert.ok(pins.includes(String(ready.fingerprint)), 'pinned after the proof');
  }
});

test.run();
