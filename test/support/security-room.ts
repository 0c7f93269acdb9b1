// Helpers for the security tests: a room whose clients talk through a UdpProxy, and paced injection.
import { join } from 'node:path';
import { ChatClient, type ChatClientOptions } from '../../lib/chat/client.ts';
import type { ClientKeys } from '../../lib/e2e/keys.ts';
import type { ChatServer } from '../../lib/chat/server.ts';
import { PacketType } from '../../lib/wire.ts';
import { Recorder, startServer, testKeys } from './chat-harness.ts';
import { UdpProxy } from './udp-proxy.ts';

/** A room password that appears nowhere else, so it can be searched for in captured bytes. */
export const SECRET_PASSWORD = 'Sandi-Rahasia-Qv7Kp2Zx9';

/** A ChatClient that joined through the proxy, and the address the proxy knows it by. */
export interface ProxiedClient { rec: Recorder; client: ChatClient; address: string }

export interface ProxiedRoom {
  server: ChatServer;
  serverPort: number;
  proxy: UdpProxy;
  /** Joins a client through the proxy (its own history dir under the room's dir). */
  join(username: string, extra?: Partial<ChatClientOptions>): Promise<ProxiedClient>;
  /** Closes the clients, the proxy and the server. */
  stop(): Promise<void>;
}

/** Starts a server (password SECRET_PASSWORD) with a UdpProxy in front of it. */
export async function proxiedRoom(dir: string, password = SECRET_PASSWORD): Promise<ProxiedRoom> {
  const { server, port } = await startServer(join(dir, 'server'), { password });
  const proxy = await UdpProxy.start(port);
  const clients: ChatClient[] = [];
  return {
    server, serverPort: port, proxy,
    async join(username, extra = {}) {
      const home = join(dir, username);
      const keys: ClientKeys = extra.keys ?? await testKeys(home);
      const client = new ChatClient({ host: '127.0.0.1', port: proxy.port, historyDir: home, keys, ...extra });
      clients.push(client);
      const rec = new Recorder(client);
      const before = new Set(proxy.clients());
      await client.connect();
      await client.authenticate(password);
      await client.join(username);
      const address = proxy.clients().find((c) => !before.has(c));
      if (!address) throw new Error(`the proxy never saw ${username}`);
      return { rec, client, address };
    },
    async stop() {
      for (const c of clients) await c.close().catch(() => {});
      proxy.close();
      await server.stop();
    },
  };
}

/** True for a datagram whose header says SEALED. */
export function isSealed(d: Buffer): boolean {
  return d.length > 1 && d[1] === PacketType.SEALED;
}

/** Sum of the server's drop counters. */
export function droppedTotal(server: ChatServer): number {
  return Object.values(server.stats().dropped).reduce((n, x) => n + x, 0);
}

/**
 * Sends `datagrams` through `send` in batches, waiting after each batch until the server has read at
 * least that many more datagrams (so its socket buffer never overflows and none is lost on the way).
 * Throws if the server falls behind for longer than `stallMs`.
 */
export async function sendPaced(server: ChatServer, datagrams: Buffer[], send: (d: Buffer) => Promise<void>, batch = 64, stallMs = 15_000): Promise<void> {
  const start = server.stats().datagramsIn;
  for (let i = 0; i < datagrams.length; i += batch) {
    const part = datagrams.slice(i, i + batch);
    await Promise.all(part.map((d) => send(d)));
    const target = start + i + part.length;
    const until = Date.now() + stallMs;
    while (server.stats().datagramsIn < target) {
      if (Date.now() > until) throw new Error(`server read ${server.stats().datagramsIn - start} of ${i + part.length} injected datagrams within ${stallMs} ms`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
