// The server's UDP endpoint: stateless cookie handshake, anti-amplification, demultiplexing by
// connection id, stateless reset, and drop counters. It knows nothing about chat: it hands
// authenticated connections to its owner through the 'connection' event. Parts: the cookies and RETRYs in
// lib/net/server-cookies.ts, the signed answer in lib/net/server-handshake.ts, the socket in lib/net/server-socket.ts.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { RsaKeyPair } from '../keyfile.ts';
import {
  LARGE_DATAGRAM_MAX_BYTES, LOGIN_DEADLINE_MS, LOGIN_SWEEP_MS, MAX_CONCURRENT_SIGNATURES, MAX_DATAGRAM_BYTES, PRELOGIN_BUFFER_BYTES,
  PRELOGIN_MAX_DATAGRAMS, PRELOGIN_RECEIVE_WINDOW, RECEIVE_WINDOW,
} from '../constants.ts';
import { ownCopy } from '../bytes.ts';
import { Gate } from '../gate.ts';
import { Admission, type AdmissionLimits } from './admission.ts';
import { Connection } from './connection.ts';
import { datagramLimitFor } from './path-mtu.ts';
import { isDiscoveryDatagram } from './discovery.ts';
import { ProtocolError } from '../errors.ts';
import { decodePacket, type Packet } from '../wire.ts';
import { AmplificationGuard } from '../session/amplification.ts';
import { PacketOpener, PacketSealer } from '../session/protector.ts';
import { resetKeyFrom } from '../session/reset.ts';
import { ResetSender } from './reset-sender.ts';
import { HandshakeSigner, type Hello, type SessionKeys } from './server-handshake.ts';
import { bindServerSocket } from './server-socket.ts';
import { HelloCookies } from './server-cookies.ts';

/** Most connections (including those mid-handshake) one server holds. */
export const MAX_CONNECTIONS = 20_000;
/** Most connections (including those mid-handshake) from one IP address: each cost an RSA signature and
 * lives ~10 s, so one host that echoes cookies must not take the whole server's share. */
export const MAX_CONNECTIONS_PER_IP = 256;
/** Most handshakes being signed at once. */
const MAX_PENDING_HANDSHAKES = 2_000;
/** CLOSE code sent to a connection that did not log in within LOGIN_DEADLINE_MS. */
export const CLOSE_LOGIN_DEADLINE = 4;
/** CLOSE code sent to a connection that sent more than its budget before login. */
export const CLOSE_PRELOGIN_BUDGET = 5;

export interface ServerEndpointOptions {
  identity: RsaKeyPair;
  now?: () => number;
  /** Most connections from one IP address (default MAX_CONNECTIONS_PER_IP); a benchmark on loopback raises it. */
  maxPerIp?: number;
  /** Handshake rates and connection budgets before login (defaults: lib/constants.ts); tests lower them. */
  admission?: Partial<AdmissionLimits>;
  /** IP addresses free of the per-address limits before login: a benchmark's load clients, all on one address. */
  exemptIps?: string[];
}

/** `datagrams`: sealed datagrams received while not logged in. */
interface Entry { conn: Connection; address: string; ip: string; clientPub: Buffer; serverHello: Buffer; preLogin: boolean; datagrams: number }

/**
 * Events: 'connection' (conn: Connection, address: string, resetToken: Buffer), 'drop' (reason).
 * Call bind() to open the socket.
 */
export class ServerEndpoint extends EventEmitter {
  readonly dropped: Record<string, number> = {};
  datagramsIn = 0;
  datagramsOut = 0;
  private socket: dgram.Socket | undefined;
  private readonly now: () => number;
  private readonly guard = new AmplificationGuard();
  /** Cookies and RETRYs: the stateless start of the handshake (lib/net/server-cookies.ts). */
  private readonly hellos: HelloCookies;
  private readonly resets: ResetSender;
  private readonly conns = new Map<string, Entry>();
  private readonly pending = new Set<string>();
  /** Connections and handshakes per IP address. */
  private readonly perIp = new Map<string, number>();
  private readonly maxPerIp: number;
  private readonly signing = new Gate(MAX_CONCURRENT_SIGNATURES);
  private readonly handshakes: HandshakeSigner;
  private readonly admission: Admission;
  /** Connections not logged in yet (by id) and when their login deadline falls; insertion order = deadline order. */
  private readonly loginDue = new Map<string, number>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(o: ServerEndpointOptions) {
    super();
    this.handshakes = new HandshakeSigner(o.identity, this.signing);
    this.now = o.now ?? Date.now;
    this.maxPerIp = o.maxPerIp ?? MAX_CONNECTIONS_PER_IP;
    this.hellos = new HelloCookies(this.now(), () => this.guard, (d, ip, port) => this.sendTo(d, ip, port), (r) => this.count(r));
    this.resets = new ResetSender(resetKeyFrom(o.identity.privateKey), this.now, (d, ip, port) => this.sendTo(d, ip, port));
    this.admission = new Admission(o.admission, o.exemptIps);
  }

  /** Opens the UDP socket. Resolves with the bound address; rejects with a message for people. */
  bind(host: string, port: number, opts: { reuseAddr?: boolean } = {}): Promise<{ host: string; port: number }> {
    const { socket, bound } = bindServerSocket(host, port, opts.reuseAddr === true,
      (msg, rinfo) => this.onDatagram(msg, `${rinfo.address}:${rinfo.port}`, rinfo.address, rinfo.port), () => this.count('socket_error'));
    this.socket = socket;
    return bound.then((addr) => {
      this.sweeper = setInterval(() => this.sweepLogins(), LOGIN_SWEEP_MS).unref();
      return addr;
    });
  }

  /** Sends a stateless reset for a connection of an earlier run (connId, "ip:port"), so its client reconnects at once. */
  sendReset(connId: Buffer, address: string): void { this.resets.restart(connId, address); }

  /** Connections alive now. */
  get connectionCount(): number { return this.conns.size; }

  /** Connections (and handshakes being signed) that have not logged in yet. */
  get preLoginCount(): number { return this.admission.preLogin; }

  /**
   * The owner says `conn` logged in: its login deadline and small receive budget end, its handshake token
   * comes back, and its address gets priority when the server is busy.
   */
  markLoggedIn(conn: Connection): void {
    const key = conn.connId.toString('hex');
    const e = this.conns.get(key);
    if (!e || e.conn !== conn || !e.preLogin) return;
    e.preLogin = false;
    this.loginDue.delete(key);
    this.admission.loggedIn(e.ip, this.now());
    conn.channel.setReceiveLimits(RECEIVE_WINDOW, Infinity);
    conn.probePath(datagramLimitFor(e.ip));
  }

  /** Closes every connection past its login deadline (a timer calls it every LOGIN_SWEEP_MS). */
  sweepLogins(): void {
    const now = this.now();
    for (const [key, due] of this.loginDue) {
      if (due > now) break;
      this.loginDue.delete(key);
      const e = this.conns.get(key);
      if (!e?.preLogin) continue;
      this.count('login_deadline');
      e.conn.close(CLOSE_LOGIN_DEADLINE, `no login within ${LOGIN_DEADLINE_MS / 1000} s`);
    }
  }

  /** Closes the socket (connections should be closed by the owner first). */
  close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const e of this.conns.values()) e.conn.kill('local', 'server closing');
    this.conns.clear();
    const s = this.socket;
    this.socket = undefined;
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }

  /** One callback for every send, not a closure per datagram. */
  private readonly onSent = (err: Error | null): void => { if (err) this.count('send_error'); };

  private count(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    this.emit('drop', reason);
  }

  private sendTo(buf: Buffer | Buffer[], ip: string, port: number): void {
    if (!this.socket) return;
    this.datagramsOut++;
    this.socket.send(buf, port, ip, this.onSent);
  }

  private onDatagram(buf: Buffer, address: string, ip: string, port: number): void {
    this.datagramsIn++;
    if (buf.length > LARGE_DATAGRAM_MAX_BYTES) return this.count('oversized');
    // A room on the discovery port also hears broadcast discovery queries: its responder answers them.
    if (isDiscoveryDatagram(buf)) return this.count('discovery');
    let packet: Packet;
    try {
      packet = decodePacket(buf);
    } catch (err) {
      if (err instanceof ProtocolError) return this.count('malformed');
      throw err;
    }
    if (packet.type === 'hello') return this.onHello(packet, buf.length, address, ip, port);
    if (packet.type !== 'sealed') return this.count('unexpected');
    const key = packet.connId.toString('hex');
    const entry = this.conns.get(key);
    // While its handshake is being signed, a connection is not established: its reset token must not leak.
    if (!entry) return this.pending.has(key) ? this.count('handshake_pending') : this.unknown(packet.connId, buf.length, ip, port);
    if (entry.address !== address) return this.count('wrong_address');
    // Before login a client sends a few small messages: more than its budget (datagrams, or what the channel
    // holds) is an attack, not a login. Datagrams over the count are not even opened.
    if (entry.preLogin && ++entry.datagrams > PRELOGIN_MAX_DATAGRAMS) return this.overBudget(entry);
    if (entry.preLogin && buf.length > MAX_DATAGRAM_BYTES) return this.count('prelogin_oversized'); // no larger datagrams before login
    entry.conn.receiveDatagram(buf);
    if (entry.preLogin && entry.conn.channel.overLimit) this.overBudget(entry);
  }

  private overBudget(entry: Entry): void {
    if (entry.conn.alive) {
      this.count('prelogin_budget');
      entry.conn.close(CLOSE_PRELOGIN_BUDGET, 'too much data before login');
    }
  }

  private onHello(p: Hello, size: number, address: string, ip: string, port: number): void {
    const now = this.now();
    if (!this.hellos.valid(p, size, address, ip, port, now)) return;
    const key = p.connId.toString('hex');
    const existing = this.conns.get(key);
    if (existing) {
      // A resent HELLO: our SERVER_HELLO was lost. Answer it again, only for the same client.
      if (existing.address === address && existing.clientPub.equals(p.clientPub)) this.sendTo(existing.serverHello, ip, port);
      else this.count('conn_id_collision');
      return;
    }
    if (this.pending.has(key)) return;
    if (this.resets.wasRevealed(key)) return this.count('reset_revealed');
    if (this.pending.size >= MAX_PENDING_HANDSHAKES || this.conns.size >= MAX_CONNECTIONS) return this.count('busy');
    if ((this.perIp.get(ip) ?? 0) >= this.maxPerIp) return this.count('per_ip_limit');
    // A cookie starts one handshake; beyond an address's rate or the budget before login, HELLO gets a RETRY.
    if (this.hellos.jar.isSpent(p.cookie, now)) return this.hellos.refuse('cookie_reused', p, ip, port);
    const verdict = this.admission.check(ip, now, this.pending.size);
    if (verdict !== 'sign') return this.hellos.refuse(verdict, p, ip, port);
    if (!this.hellos.jar.redeem(p.cookie, now)) return this.hellos.refuse('cookies_full', p, ip, port);
    this.pending.add(key);
    this.holdIp(ip, 1);
    this.admission.opened(ip);
    const release = (): void => { this.holdIp(ip, -1); this.admission.closed(ip); };
    this.accept(p, address, ip, port)
      .then((conn) => {
        if (conn) conn.once('gone', () => this.holdIp(ip, -1)); else release();
      }, () => { this.count('handshake_error'); release(); })
      .finally(() => this.pending.delete(key));
  }

  private holdIp(ip: string, delta: number): void {
    const n = (this.perIp.get(ip) ?? 0) + delta;
    if (n > 0) this.perIp.set(ip, n); else this.perIp.delete(ip);
  }

  /** Signs and sends SERVER_HELLO; resolves with the new connection, or undefined when none was made. */
  private async accept(p: Hello, address: string, ip: string, port: number): Promise<Connection | undefined> {
    const a = await this.handshakes.answer(p);
    if (a === 'bad_key_share') { this.count('bad_key_share'); return undefined; }
    if (!this.socket) return undefined;
    const { connId, serverHello } = a;
    const conn = this.open(connId, a.sessionHash, a.keys, ip, port);
    const key = connId.toString('hex');
    this.conns.set(key, { conn, address, ip, clientPub: ownCopy(p.clientPub), serverHello, preLogin: true, datagrams: 0 });
    this.loginDue.set(key, this.now() + LOGIN_DEADLINE_MS);
    conn.once('gone', () => this.forget(key, conn, ip));
    this.sendTo(serverHello, ip, port);
    this.emit('connection', conn, address, this.resets.token(connId));
    return conn;
  }

  private open(connId: Buffer, sessionHash: Buffer, keys: SessionKeys, ip: string, port: number): Connection {
    const conn = new Connection({
      connId, sessionHash, sealer: new PacketSealer(keys.serverToClient, connId), opener: new PacketOpener(keys.clientToServer, connId),
      sendDatagram: (d) => this.sendTo(d, ip, port), countDrop: (r) => this.count(r),
    });
    conn.channel.setReceiveLimits(PRELOGIN_RECEIVE_WINDOW, PRELOGIN_BUFFER_BYTES);
    return conn;
  }

  private forget(key: string, conn: Connection, ip: string): void {
    const e = this.conns.get(key);
    if (e?.conn !== conn) return;
    this.conns.delete(key);
    this.loginDue.delete(key);
    if (e.preLogin) this.admission.closed(ip);
  }

  // A sealed datagram for a connection we do not know (e.g. we restarted): a stateless reset, bounded.
  private unknown(connId: Buffer, size: number, ip: string, port: number): void {
    this.count('unknown_connection');
    this.resets.answer(connId, size, ip, port);
  }
}
