// The sockets of discovery: a server's responder (one socket per interface, bound to the subnet's
// broadcast address on the discovery port) and the client's one-shot search. Codec in discovery.ts.
//
// Sharing port 7447: every responder binds the *broadcast* address of its interface (10.1.2.255:7447),
// with reuseAddr, so any number of servers on one machine hear the same broadcast query, while unicast
// chat traffic to 10.1.2.3:7447 can only reach the room socket bound to 0.0.0.0:7447 (also reuseAddr,
// after roomPortIsFree() checked that no other room holds it). Linux: SO_REUSEADDR delivers a broadcast
// to every socket bound to it, and binding a broadcast address is allowed. macOS: libuv's reuseAddr is
// SO_REUSEPORT there, which shares a broadcast address the same way. Windows cannot bind a broadcast
// address: the responder falls back to 0.0.0.0:7447 (EADDRNOTAVAIL) for rooms on other ports; a room on 7447
// itself then does not answer (untested there: only Linux is tested).
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { DISCOVERY_MAX_ROOMS, DISCOVERY_PORT, DISCOVERY_REPEAT_MS, DISCOVERY_RESCAN_MS, DISCOVERY_WAIT_MS } from '../constants.ts';
import { ProtocolError } from '../errors.ts';
import {
  broadcastInterfaces, decodeAnswer, decodeQuery, encodeAnswer, encodeQuery, NONCE_BYTES, QueryLimiter,
  type BroadcastInterface,
} from './discovery.ts';

export interface ResponderOptions {
  /** The room's UDP port, and the address it listens on (0.0.0.0: every interface). */
  roomPort: number;
  roomHost: string;
  fingerprint: string;
  name: () => string;
  users: () => number;
  /** Where to answer (default: every interface the room listens on); tests give 127.0.0.1. */
  interfaces?: Array<{ name: string; bind: string }>;
  /** Discovery port (default DISCOVERY_PORT); tests use 0. */
  port?: number;
  now?: () => number;
}

/** Where a responder answers (bind: the address its socket holds) and where it could not. */
export interface ResponderStatus { answering: Array<{ name: string; bind: string; port: number }>; failed: Array<{ name: string; bind: string; reason: string }> }

/** Answers discovery queries for one room. Counters: answered, dropped (malformed, rate_limited). */
export class DiscoveryResponder {
  readonly dropped: Record<string, number> = {};
  answered = 0;
  /** Where it answers now; refreshed by sync(). */
  status: ResponderStatus = { answering: [], failed: [] };
  /** Sockets by the address they are bound to. */
  private readonly sockets = new Map<string, dgram.Socket>();
  private readonly limiter: QueryLimiter;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = false;

  constructor(private readonly o: ResponderOptions) {
    this.now = o.now ?? Date.now;
    this.limiter = new QueryLimiter(this.now());
  }

  /**
   * Binds one socket per interface; never rejects (an interface that cannot be bound is listed in
   * `failed`). Without fixed `interfaces` it looks again every DISCOVERY_RESCAN_MS (Wi-Fi joined after
   * the start, a cable unplugged) and tells `onChange` what it added or closed.
   */
  async start(onChange?: (added: string[], removed: string[]) => void): Promise<ResponderStatus> {
    await this.sync();
    if (!this.o.interfaces && !this.stopped) {
      this.timer = setInterval(() => void this.sync().then((c) => { if (c.added.length || c.removed.length) onChange?.(c.added, c.removed); }), DISCOVERY_RESCAN_MS);
      this.timer.unref();
    }
    return this.status;
  }

  /** Binds interfaces that appeared and closes those gone; resolves with their "name (address)" labels. */
  async sync(): Promise<{ added: string[]; removed: string[] }> {
    const change = { added: [] as string[], removed: [] as string[] };
    if (this.busy || this.stopped) return change;
    this.busy = true;
    const port = this.o.port ?? DISCOVERY_PORT;
    const wanted = this.o.interfaces ?? roomInterfaces(this.o.roomHost);
    const status: ResponderStatus = { answering: [], failed: [] };
    for (const i of wanted) {
      const bind = this.sockets.has(i.bind) ? i.bind : this.sockets.has('0.0.0.0') ? '0.0.0.0' : undefined;
      if (bind) { status.answering.push({ name: i.name, bind, port: this.sockets.get(bind)!.address().port }); continue; }
      const got = await this.bindOrFallback(i.bind, port);
      if (typeof got === 'string') { status.failed.push({ name: i.name, bind: i.bind, reason: got }); continue; }
      status.answering.push({ name: i.name, ...got });
      change.added.push(`${i.name} (${got.bind})`);
    }
    for (const [bind, socket] of this.sockets) {
      if (bind === '0.0.0.0' || wanted.some((w) => w.bind === bind)) continue;
      this.sockets.delete(bind);
      socket.close();
      change.removed.push(bind);
    }
    this.status = status;
    this.busy = false;
    return change;
  }

  /** Closes every socket and stops looking for new interfaces. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const all = [...this.sockets.values()];
    this.sockets.clear();
    await Promise.all(all.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  /** Binds `address`, or 0.0.0.0 where a broadcast address cannot be bound; the error code when neither works. */
  private async bindOrFallback(address: string, port: number): Promise<{ bind: string; port: number } | string> {
    try {
      return { bind: address, port: await this.bindOne(address, port) };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // Windows cannot bind a broadcast address: listen on every address instead (not when the room
      // itself is on this port: its chat traffic could then land on this socket).
      if (e.code !== 'EADDRNOTAVAIL' || address === '0.0.0.0' || this.o.roomPort === port) return e.code ?? e.message;
      try { return { bind: '0.0.0.0', port: await this.bindOne('0.0.0.0', port) }; } catch { return e.code ?? e.message; }
    }
  }

  private bindOne(address: string, port: number): Promise<number> {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => { socket.close(); reject(err); });
      socket.bind(port, address, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => this.count('socket_error'));
        socket.on('message', (msg, rinfo) => this.onQuery(socket, msg, rinfo));
        if (this.stopped) socket.close(); else this.sockets.set(address, socket);
        resolve(socket.address().port);
      });
    });
  }

  private count(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  private onQuery(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let nonce: Buffer;
    try {
      nonce = decodeQuery(msg);
    } catch (err) {
      if (err instanceof ProtocolError) return this.count('malformed');
      throw err;
    }
    if (rinfo.port === 0) return this.count('malformed');
    if (!this.limiter.allow(rinfo.address, this.now())) return this.count('rate_limited');
    const answer = encodeAnswer({ nonce, port: this.o.roomPort, users: this.o.users(), fingerprint: this.o.fingerprint, name: this.o.name() }, msg.length);
    this.answered++;
    socket.send(answer, rinfo.port, rinfo.address, () => { /* a lost answer is a lost hint */ });
  }
}

/** The interfaces a room bound to `host` is reachable on, with the broadcast address to answer on. */
export function roomInterfaces(host: string, list: BroadcastInterface[] = broadcastInterfaces()): Array<{ name: string; bind: string }> {
  return list.filter((i) => host === '0.0.0.0' || host === i.address).map((i) => ({ name: i.name, bind: i.broadcast }));
}

/**
 * Before a room binds the discovery port with reuseAddr: true when no other socket holds `port` on any of
 * this machine's addresses (a probe without reuseAddr on each would fail with EADDRINUSE). Responders
 * bound to broadcast addresses do not count: they never receive unicast chat traffic.
 */
export async function roomPortIsFree(host: string, port: number): Promise<boolean> {
  const addrs = host !== '0.0.0.0' ? [host]
    : Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4').map((a) => a!.address);
  for (const address of addrs) {
    const probe = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EADDRINUSE'));
      probe.bind(port, address, () => resolve(true));
    });
    await new Promise<void>((r) => { try { probe.close(() => r()); } catch { r(); } });
    if (!ok) return false;
  }
  return true;
}

/** A room found on the LAN: the answer plus the address it came from. */
export interface FoundRoom { name: string; host: string; port: number; fingerprint: string; users: number; version: number }

export interface SearchOptions {
  /** How long to listen for answers, in ms (default DISCOVERY_WAIT_MS). */
  waitMs?: number;
  /** Where to send the query (default: every interface's broadcast address on DISCOVERY_PORT). */
  targets?: Array<{ address: string; port: number }>;
  /** Called once per room as it answers. */
  onRoom?: (room: FoundRoom) => void;
}

/** Sends a query to every target (again after DISCOVERY_REPEAT_MS) and collects the answers until `waitMs` ends. Rooms are keyed by host:port. */
export async function searchRooms(o: SearchOptions = {}): Promise<FoundRoom[]> {
  const targets = o.targets ?? broadcastInterfaces().map((i) => ({ address: i.broadcast, port: DISCOVERY_PORT }));
  const nonce = randomBytes(NONCE_BYTES);
  const query = encodeQuery(nonce);
  const found = new Map<string, FoundRoom>();
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => { /* an interface without a route: the others still count */ });
  socket.on('message', (msg, rinfo) => {
    let a;
    try { a = decodeAnswer(msg); } catch { return; }
    // The nonce ties the answer to our query: an answer nobody asked for is ignored.
    // At most DISCOVERY_MAX_ROOMS: anyone on the LAN sees the nonce and could flood us with "rooms".
    if (!a.nonce.equals(nonce) || found.has(`${rinfo.address}:${a.port}`) || found.size >= DISCOVERY_MAX_ROOMS) return;
    const room = { name: a.name, host: rinfo.address, port: a.port, fingerprint: a.fingerprint, users: a.users, version: a.version };
    found.set(`${rinfo.address}:${a.port}`, room);
    o.onRoom?.(room);
  });
  await new Promise<void>((r) => socket.bind(0, '0.0.0.0', () => r()));
  socket.setBroadcast(true);
  const send = (): void => {
    for (const t of targets) socket.send(query, t.port, t.address, () => { /* EACCES/ENETUNREACH: nothing from there */ });
  };
  send();
  // Once more a little later, with the same nonce, in case a broadcast was lost (answers are deduplicated).
  const wait = o.waitMs ?? DISCOVERY_WAIT_MS;
  const again = wait > 2 * DISCOVERY_REPEAT_MS ? setTimeout(send, DISCOVERY_REPEAT_MS) : undefined;
  await new Promise((r) => setTimeout(r, wait));
  clearTimeout(again);
  await new Promise<void>((r) => socket.close(() => r()));
  return [...found.values()];
}
