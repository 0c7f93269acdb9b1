// Fleets of load clients in this process: real headless ChatClients logged in to the chat server, or bare
// UDP sockets registered with the raw relay. Both look the same to the measurement (bench/load.ts):
// send(text) on some, onText(receiver, text) from the others.
import dgram from 'node:dgram';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChatClient } from '../lib/chat/client.ts';
import type { ChatMessage } from '../lib/chat/types.ts';
import type { ClientKeys } from '../lib/e2e/keys.ts';
import { RAW_CLEAR, RAW_MESSAGE, RAW_PACKED, RAW_REGISTER, RAW_REGISTERED } from './raw-relay.ts';

/** Receive buffer of a raw load socket, in bytes: the same as a ChatClient's (lib/net/client-endpoint.ts). */
const RAW_RECV_BUFFER_BYTES = 1 << 20;
/** A raw socket re-sends its registration after this long without an answer, in ms. */
const RAW_REGISTER_RETRY_MS = 200;
/** A raw socket gives up registering after this long, in ms. */
const RAW_REGISTER_TIMEOUT_MS = 5_000;
/** Longest one ChatClient login (connect, password, join) may take, in ms. */
const LOGIN_TIMEOUT_MS = 60_000;

export type OnText = (receiver: number, text: string) => void;

/** Load clients of one kind; `onText` is set by whoever is measuring. */
export interface Fleet {
  kind: 'obrolan' | 'raw';
  size: number;
  onText: OnText;
  send(client: number, text: string): void;
  /** False once any client has lost its connection. */
  healthy(): boolean;
  /** Messages sent and not yet acknowledged by the server (0 for raw). */
  backlog(): number;
  close(): Promise<void>;
}

export interface ObrolanFleetOptions {
  port: number;
  password: string;
  /** Shared end-to-end keys (one RSA key generation for every load client). */
  keys: ClientKeys;
  /** Each client gets its own history dir below this one. */
  dir: string;
  /** Name prefix; clients are PREFIX0, PREFIX1, … */
  prefix: string;
}

// Each load client stands for one person's machine. On a LAN each of them writes its history copy to its
// own disk; here they all share one process and one core, so by default they keep it in memory
// (ChatClientOptions.persist = false) and the figures measure the server. --client-store puts the disk back.
let loadClientStore = false;
/** Whether load clients logged in from now on keep their history and known users on disk. */
export function setLoadClientStore(on: boolean): void { loadClientStore = on; }

/** Connects, logs in and joins one ChatClient; resolves with it and the ms the login took. Rejects on failure or after `timeoutMs`. */
export async function loginClient(o: ObrolanFleetOptions, name: string, timeoutMs = LOGIN_TIMEOUT_MS): Promise<{ client: ChatClient; ms: number }> {
  const t0 = performance.now();
  const client = new ChatClient({ host: '127.0.0.1', port: o.port, historyDir: join(o.dir, name), keys: o.keys, reconnect: false, persist: loadClientStore });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`login of ${name} took over ${timeoutMs} ms`)), timeoutMs); });
  try {
    await Promise.race([(async () => {
      await client.connect();
      await client.authenticate(o.password);
      await client.join(name);
    })(), timeout]);
  } catch (err) {
    // Closing may take a while on a busy load process: not part of the login's time; awaitCloses() waits for it.
    const closed: Promise<void> = client.close().catch(() => {}).finally(() => { closing.delete(closed); });
    closing.add(closed);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { client, ms: performance.now() - t0 };
}

const closing = new Set<Promise<void>>();

/** Resolves when every client whose login failed has finished closing. */
export async function awaitCloses(): Promise<void> {
  while (closing.size) await Promise.all([...closing]);
}

/** Wraps logged-in ChatClients as a Fleet (client i delivers to onText(i, …)). */
export function wrapClients(clients: ChatClient[]): Fleet {
  let lost = 0;
  const fleet: Fleet = {
    kind: 'obrolan',
    size: clients.length,
    onText: () => {},
    send: (i, text) => { clients[i]!.send(text); },
    healthy: () => lost === 0 && clients.every((c) => c.state === 'connected'),
    backlog: () => clients.reduce((n, c) => n + c.unacked, 0),
    close: async () => {
      for (let i = 0; i < clients.length; i += 100) await Promise.all(clients.slice(i, i + 100).map((c) => c.close().catch(() => {})));
    },
  };
  clients.forEach((c, i) => {
    c.on('message', (m: ChatMessage) => fleet.onText(i, m.text));
    c.on('state', (s: string) => { if (s === 'closed' || s === 'reconnecting') lost++; });
  });
  return fleet;
}

/** Logs in `n` ChatClients, `batch` at a time. Rejects (after closing those already in) if any login fails. */
export async function obrolanFleet(o: ObrolanFleetOptions, n: number, batch = 25): Promise<Fleet> {
  const clients: ChatClient[] = [];
  try {
    for (let i = 0; i < n; i += batch) {
      const names = Array.from({ length: Math.min(batch, n - i) }, (_, k) => `${o.prefix}${i + k}`);
      const settled = await Promise.allSettled(names.map((name) => loginClient(o, name)));
      for (const s of settled) if (s.status === 'fulfilled') clients.push(s.value.client);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
  } catch (err) {
    await wrapClients(clients).close();
    throw err;
  }
  return wrapClients(clients);
}

function registerRaw(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let timer: NodeJS.Timeout;
    const onMsg = (buf: Buffer): void => {
      if (buf[0] !== RAW_REGISTERED) return;
      clearTimeout(timer);
      socket.off('message', onMsg);
      resolve();
    };
    const attempt = (): void => {
      if (performance.now() - started > RAW_REGISTER_TIMEOUT_MS) {
        socket.off('message', onMsg);
        return reject(new Error('the raw relay did not answer a registration'));
      }
      socket.send(Buffer.from([RAW_REGISTER]));
      timer = setTimeout(attempt, RAW_REGISTER_RETRY_MS);
    };
    socket.on('message', onMsg);
    attempt();
  });
}

/** `n` UDP sockets registered with the raw relay on 127.0.0.1:`port` (which first forgets earlier ones). */
export async function rawFleet(port: number, n: number): Promise<Fleet> {
  const sockets: dgram.Socket[] = [];
  const control = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => control.send(Buffer.from([RAW_CLEAR]), port, '127.0.0.1', () => resolve()));
  control.close();
  let errors = 0;
  const fleet: Fleet = {
    kind: 'raw',
    size: n,
    onText: () => {},
    send: (i, text) => { sockets[i]!.send(Buffer.from(`M${text}`, 'latin1')); },
    healthy: () => errors === 0,
    backlog: () => 0,
    close: async () => { await Promise.all(sockets.map((s) => new Promise<void>((r) => { try { s.close(() => r()); } catch { r(); } }))); },
  };
  try {
    for (let i = 0; i < n; i++) {
      const s = dgram.createSocket({ type: 'udp4', recvBufferSize: RAW_RECV_BUFFER_BYTES });
      sockets.push(s);
      s.on('error', () => { errors++; });
      await new Promise<void>((resolve) => s.connect(port, '127.0.0.1', () => resolve()));
      await registerRaw(s);
      s.on('message', (buf: Buffer) => {
        if (buf[0] === RAW_MESSAGE) fleet.onText(i, buf.toString('latin1', 1));
        else if (buf[0] === RAW_PACKED) {
          for (let at = 1; at + 2 <= buf.length;) {
            const len = buf.readUInt16BE(at);
            fleet.onText(i, buf.toString('latin1', at + 2, at + 2 + len));
            at += 2 + len;
          }
        }
      });
    }
  } catch (err) {
    await fleet.close();
    throw err;
  }
  return fleet;
}
