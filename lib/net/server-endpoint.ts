// The server's UDP endpoint: stateless cookie handshake, anti-amplification, demultiplexing by
// connection id, stateless reset, and drop counters. It knows nothing about chat: it hands
// authenticated connections to its owner through the 'connection' event.
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
import { decodePacket, encodePacket, type Packet } from '../wire.ts';
import { AmplificationGuard } from '../session/amplification.ts';
import { CookieJar } from '../session/cookie.ts';
import { deriveSessionKeys, helloTranscript, makeEphemeral, signTranscript, transcriptHash } from '../session/keys.ts';
import { PacketOpener, PacketSealer } from '../session/protector.ts';
import { resetKeyFrom } from '../session/reset.ts';
import { ResetSender } from './reset-sender.ts';
import { literalLookup } from './literal-lookup.ts';

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
  private readonly identity: RsaKeyPair;
  private readonly now: () => number;
  private readonly cookies: CookieJar;
  private readonly guard = new AmplificationGuard();
  private readonly resets: ResetSender;
  private readonly conns = new Map<string, Entry>();
  private readonly pending = new Set<string>();
  /** Connections and handshakes per IP address. */
  private readonly perIp = new Map<string, number>();
  private readonly maxPerIp: number;
  private readonly signing = new Gate(MAX_CONCURRENT_SIGNATURES);
  private readonly admission: Admission;
  /** Connections not logged in yet (by id) and when their login deadline falls; insertion order = deadline order. */
  private readonly loginDue = new Map<string, number>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(o: ServerEndpointOptions) {
    super();
    this.identity = o.identity;
    this.now = o.now ?? Date.now;
    this.maxPerIp = o.maxPerIp ?? MAX_CONNECTIONS_PER_IP;
    this.cookies = new CookieJar(this.now());
    this.resets = new ResetSender(resetKeyFrom(o.identity.privateKey), this.now, (d, ip, port) => this.sendTo(d, ip, port));
    this.admission = new Admission(o.admission, o.exemptIps);
  }

  /** Opens the UDP socket. Resolves with the bound address; rejects with a message for people. */
  bind(host: string, port: number, opts: { reuseAddr?: boolean } = {}): Promise<{ host: string; port: number }> {
    const type = host.includes(':') ? 'udp6' : 'udp4';
    // reuseAddr only on the discovery port, shared with discovery responders (lib/net/discovery-socket.ts).
    const socket = dgram.createSocket({ type, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup: literalLookup, reuseAddr: opts.reuseAddr === true });
    this.socket = socket;
    return new Promise((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'EADDRINUSE' ? `port ${port} is already in use — pick another with --port`
          : err.code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine`
          : err.code === 'EACCES' ? `not allowed to use port ${port} — pick one above 1024` : err.message;
        reject(new Error(`cannot listen on ${host}:${port}: ${why}`));
      });
      socket.on('message', (msg, rinfo) => this.onDatagram(msg, `${rinfo.address}:${rinfo.port}`, rinfo.address, rinfo.port));
      socket.bind(port, host, () => {
        this.sweeper = setInterval(() => this.sweepLogins(), LOGIN_SWEEP_MS).unref();
        socket.removeAllListeners('error');
        socket.on('error', () => this.count('socket_error'));
        const a = socket.address();
        resolve({ host: a.address, port: a.port });
      });
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

  private onHello(p: Extract<Packet, { type: 'hello' }>, size: number, address: string, ip: string, port: number): void {
    this.guard.received(address, size);
    const now = this.now();
    if (p.cookie.length === 0 || !this.cookies.verify(p.cookie, address, p.clientPub, p.connId, now)) {
      if (p.cookie.length > 0) this.count('bad_cookie');
      return this.retry(p, address, ip, port, now);
    }
    this.guard.validate(address);
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
    if (this.cookies.isSpent(p.cookie, now)) return this.refuse('cookie_reused', p, ip, port);
    const verdict = this.admission.check(ip, now, this.pending.size);
    if (verdict !== 'sign') return this.refuse(verdict, p, ip, port);
    if (!this.cookies.redeem(p.cookie, now)) return this.refuse('cookies_full', p, ip, port);
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

  // The HELLO's own cookie is valid (checked): it goes back as it is, which saves making it again. Beyond the
  // newcomers' shared rate (a flood from many addresses) nothing is sent: the client resends on its timer
  // either way, and a flood loses the answer that paced it.
  private refuse(reason: string, p: Extract<Packet, { type: 'hello' }>, ip: string, port: number): void {
    this.count(reason);
    if (reason !== 'newcomer_rate') this.sendTo(encodePacket({ type: 'retry', connId: p.connId, pn: 0, cookie: p.cookie }), ip, port);
  }

  // A RETRY with the cookie for this address, client key and connection id (the same one within a slot,
  // so a client whose HELLO was refused for its rate sees its own cookie again and keeps its resend timer).
  private retry(p: Extract<Packet, { type: 'hello' }>, address: string, ip: string, port: number, now: number): void {
    const retry = encodePacket({ type: 'retry', connId: p.connId, pn: 0, cookie: this.cookies.make(address, p.clientPub, p.connId, now) });
    if (this.guard.trySend(address, retry.length)) this.sendTo(retry, ip, port);
    else this.count('amplification');
  }

  private holdIp(ip: string, delta: number): void {
    const n = (this.perIp.get(ip) ?? 0) + delta;
    if (n > 0) this.perIp.set(ip, n); else this.perIp.delete(ip);
  }

  /** Signs and sends SERVER_HELLO; resolves with the new connection, or undefined when none was made. */
  private async accept(p: Extract<Packet, { type: 'hello' }>, address: string, ip: string, port: number): Promise<Connection | undefined> {
    const eph = makeEphemeral();
    const transcript = helloTranscript(p.connId, p.clientPub, eph.publicRaw, this.identity.spki);
    // Derive first: a small-order client key is refused before it costs an RSA signature.
    let keys: ReturnType<typeof deriveSessionKeys>;
    try {
      keys = deriveSessionKeys(eph.privateKey, p.clientPub, transcript);
    } catch (err) {
      if (err instanceof ProtocolError) { this.count('bad_key_share'); return undefined; }
      throw err;
    }
    const signature = await this.sign(transcript);
    if (!this.socket) return undefined;
    const connId = ownCopy(p.connId);
    const serverHello = ownCopy(encodePacket({ type: 'server_hello', connId, pn: 0, serverPub: eph.publicRaw, serverKey: this.identity.spki, signature }));
    const conn = this.open(connId, transcriptHash(transcript), keys, ip, port);
    const key = connId.toString('hex');
    this.conns.set(key, { conn, address, ip, clientPub: ownCopy(p.clientPub), serverHello, preLogin: true, datagrams: 0 });
    this.loginDue.set(key, this.now() + LOGIN_DEADLINE_MS);
    conn.once('gone', () => this.forget(key, conn, ip));
    this.sendTo(serverHello, ip, port);
    this.emit('connection', conn, address, this.resets.token(connId));
    return conn;
  }

  // Closures made here keep only what they name alive: one made in accept() would keep its whole scope
  // (the transcript, a slice of an 8 KiB pool slab) for the connection's lifetime.
  private sign(transcript: Buffer): Promise<Buffer> { return this.signing.run(() => signTranscript(this.identity.privateKey, transcript)); }

  private open(connId: Buffer, sessionHash: Buffer, keys: ReturnType<typeof deriveSessionKeys>, ip: string, port: number): Connection {
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
