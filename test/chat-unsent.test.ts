// Nothing typed is lost across quitting and password changes: unsent messages are kept on disk and sent by
// the next run; after the server restarts with another password, reconnect(password) logs back in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ChatClient } from '../lib/chat/client.ts';
import type { ChatServer } from '../lib/chat/server.ts';
import { PendingFile } from '../lib/history/pending.ts';
import { joinClient, PASSWORD, removeDir, startServer, tempDir, testKeys, type Recorder, waitFor } from './support/chat-harness.ts';

const dirs: string[] = [];
const servers: ChatServer[] = [];
const recorders: Recorder[] = [];
test.after.each(async () => {
  for (const r of recorders.splice(0)) await r.client.close().catch(() => {});
  for (const s of servers.splice(0)) await s.stop().catch(() => {});
  for (const d of dirs.splice(0)) await removeDir(d);
});

async function dir(): Promise<string> {
  const d = await tempDir('obrolan-unsent-');
  dirs.push(d);
  return d;
}

async function serve(historyDir: string, port = 0, password = PASSWORD): Promise<number> {
  const { server, port: p } = await startServer(historyDir, { port, password });
  servers.push(server);
  return p;
}

async function stopServers(): Promise<void> {
  for (const s of servers.splice(0)) await s.stop();
}

test('a message sent while the server is down survives close() and is delivered by the next run, once', async () => {
  const srv = await dir();
  const alice = await dir();
  const port = await serve(srv);
  const first = await joinClient(port, alice, 'alice');
  recorders.push(first);
  await stopServers();
  first.client.send('typed while the server was down');
  assert.is(first.client.unacked, 1);
  await first.client.close();

  const kept = await PendingFile.open(alice, `127.0.0.1:${port}`, 'alice');
  assert.equal(kept.entries().map((e) => e.text), ['typed while the server was down'], 'on disk after close()');

  // The restarted server would hold the name for alice's old session for IDLE_TIMEOUT_MS; a person who
  // starts the client later than that finds it free, as this test does without waiting.
  await rm(join(srv, 'online.json'), { force: true });
  await serve(srv, port);
  const budi = await joinClient(port, await dir(), 'budi');
  recorders.push(budi);
  const second = await joinClient(port, alice, 'alice', { keys: await testKeys(alice) });
  recorders.push(second);
  await waitFor(() => budi.texts().includes('typed while the server was down'), 10_000, 'budi receives the kept message');
  await waitFor(() => second.client.unacked === 0, 5_000, 'the kept message is acknowledged');
  await second.client.close();
  const after = await PendingFile.open(alice, `127.0.0.1:${port}`, 'alice');
  assert.equal(after.entries(), [], 'nothing left to send once delivered');
  assert.equal(budi.texts().filter((t) => t === 'typed while the server was down').length, 1);
});

test('after the server restarts with another password, the roster clears and reconnect(password) logs back in', async () => {
  const srv = await dir();
  const port = await serve(srv);
  const budi = await joinClient(port, await dir(), 'budi');
  const alice = await joinClient(port, await dir(), 'alice');
  recorders.push(budi, alice);
  await waitFor(() => alice.client.users().includes('budi'), 5_000, 'alice sees budi');
  await stopServers();
  await serve(srv, port, 'another password');
  await waitFor(() => alice.errors.some((e) => e.code === 'wrong_password'), 15_000, 'the reconnect loop meets the new password');
  assert.is(alice.client.state, 'closed');
  assert.equal(alice.client.users(), [], 'nobody is listed while disconnected');
  await alice.client.reconnect('wrong guess').then(() => assert.unreachable('a wrong password must be refused'), (err: { code?: string }) => assert.is(err.code, 'wrong_password'));
  await alice.client.reconnect('another password');
  assert.is(alice.client.state, 'connected');
  alice.client.send('back in');
  await waitFor(() => alice.client.unacked === 0, 5_000, 'a message after the reconnect is stored');
});

test('reconnect() with the same password logs in again at once (/reconnect)', async () => {
  const srv = await dir();
  const port = await serve(srv);
  const alice = await joinClient(port, await dir(), 'alice');
  recorders.push(alice);
  await alice.client.reconnect();
  assert.is(alice.client.state, 'connected');
  assert.ok(alice.client instanceof ChatClient);
  alice.client.send('still here');
  await waitFor(() => alice.client.unacked === 0, 5_000, 'stored');
});

test.run();
