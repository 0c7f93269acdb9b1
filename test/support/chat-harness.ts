// Helpers for tests that run a real ChatServer and ChatClients over UDP on 127.0.0.1.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatMessage } from '../../lib/chat/types.ts';
import { ChatClient, type ChatClientOptions } from '../../lib/chat/client.ts';
import { loadOrCreateClientKeys, type ClientKeys } from '../../lib/e2e/keys.ts';
import { loadOrCreateKeyPair } from '../../lib/keyfile.ts';
import { ChatServer, type ChatServerOptions } from '../../lib/chat/server.ts';

export const PASSWORD = 'correct horse';

/** A temporary directory, removed by cleanup(). */
export async function tempDir(prefix = 'obrolan-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Starts a server on 127.0.0.1, port 0 (or `port`). */
export async function startServer(historyDir: string, extra: Partial<ChatServerOptions> = {}): Promise<{ server: ChatServer; port: number }> {
  await prepareServerKey(historyDir);
  // Every test client comes from 127.0.0.1: free it of the per-address limits before login (test/hostile-*
  // tests pass exemptIps: [] to see them).
  const server = await ChatServer.create({ host: '127.0.0.1', port: 0, password: PASSWORD, historyDir, exemptIps: ['127.0.0.1'], ...extra });
  const { port } = await server.listen();
  return { server, port };
}

/** Makes the server's identity key beforehand, RSA-2048 to keep tests quick (the server would make RSA-3072). */
export async function prepareServerKey(historyDir: string): Promise<void> {
  await loadOrCreateKeyPair(join(historyDir, 'keys', 'server.pem'), 2048);
}

/** Client end-to-end keys, RSA-2048 to keep tests quick; made once per directory. */
export function testKeys(dir: string): Promise<ClientKeys> {
  return loadOrCreateClientKeys(dir, undefined, 2048);
}

/** A ChatClient that records everything it emits. */
export class Recorder {
  readonly messages: ChatMessage[] = [];
  readonly delivered: Array<{ id: string; seq: number }> = [];
  readonly joins: string[] = [];
  readonly leaves: string[] = [];
  readonly warnings: string[] = [];
  readonly errors: Array<{ code: string; message: string }> = [];
  readies = 0;

  constructor(readonly client: ChatClient) {
    client.on('message', (m: ChatMessage) => this.messages.push(m));
    client.on('delivered', (d: { id: string; seq: number }) => this.delivered.push(d));
    client.on('join', (e: { user: string }) => this.joins.push(e.user));
    client.on('leave', (e: { user: string }) => this.leaves.push(e.user));
    client.on('warning', (w: string) => this.warnings.push(w));
    client.on('error', (e: { code: string; message: string }) => this.errors.push(e));
    client.on('ready', () => this.readies++);
  }

  texts(): string[] { return this.messages.map((m) => m.text); }
}

/** Connects, logs in and joins. */
export async function joinClient(port: number, historyDir: string, username: string, extra: Partial<ChatClientOptions> = {}, host = '127.0.0.1'): Promise<Recorder> {
  const keys = extra.keys ?? await testKeys(historyDir);
  const client = new ChatClient({ host, port, historyDir, keys, ...extra });
  const r = new Recorder(client);
  await client.connect();
  await client.authenticate(PASSWORD);
  await client.join(username);
  return r;
}

/** Polls `cond` every 10 ms until true; throws after `ms` with `what` in the message. */
export async function waitFor(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
