// ChatServer: the headless server. Sealed sessions, login (password, then a unique name: the handlers
// in lib/chat/server-login.ts), the room, and a clean stop. Events: ChatServerEvents in types.ts.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { FLOOD_BURST, FLOOD_RATE_PER_S, LOGIN_SLICE_MS, SERVER_RSA_BITS } from '../constants.ts';
import { WorkQueue } from '../work-queue.ts';
import { cleanRoomName } from '../net/discovery.ts';
import type { DiscoveryResponder, ResponderStatus } from '../net/discovery-socket.ts';
import { bindRoomSocket, NO_DISCOVERY, startRoomResponder } from './room-discovery.ts';
import type { RoomUser, ServerStats } from './types.ts';
import type { Connection } from '../net/connection.ts';
import { envelopeEpoch, envelopeProblem, KeyHolders } from './room-e2e.ts';
import { ProtocolError } from '../errors.ts';
import { RoomHistory } from '../history/room.ts';
import { loadOrCreateKeyPair, type RsaKeyPair } from '../keyfile.ts';
import { decodeClientMessage, encodeMessage, type ClientMessage, type ServerMessage } from './messages.ts';
import { ServerLogin } from './pake.ts';
import { FailureLimiter } from '../rate-limit.ts';
import type { Bundle } from './key-requests.ts';
import { RoomPassword, takePassword } from './room-password.ts';
import { Room } from './room.ts';
import { onAuth, onJoin, type LoginHost, type Session } from './server-login.ts';
import { memberHandlers, type Handler } from './server-members.ts';
import { ServerEndpoint } from '../net/server-endpoint.ts';
import type { AdmissionLimits } from '../net/admission.ts';
import { Reservations } from './reservations.ts';
import { checkUsername } from './username.ts';
import { KnownNames } from './known-names.ts';
import { FileRelay } from './room-files.ts';
import { FILE_CHUNK_KIND } from '../e2e/file-crypto.ts';
import { compactAfterAttacks } from '../compact-after-attack.ts';

export interface ChatServerOptions {
  host: string;
  port: number;
  password: string;
  historyDir: string;
  onProgress?: (text: string) => void;
  /** Flood control per user; the defaults suit people, a benchmark may raise them. */
  flood?: { ratePerS: number; burst: number };
  /** Delete room history older than this many days (default: keep everything). */
  retentionDays?: number;
  /** Most connections from one IP address (default 256); a benchmark's many clients on loopback raise it. */
  maxConnectionsPerIp?: number;
  /** Handshake rates and budgets before login, and addresses exempt from them (tests, benchmarks): lib/net/admission.ts. */
  admission?: Partial<AdmissionLimits>;
  exemptIps?: string[];
  /** The room's name in discovery answers (default: this machine's host name). */
  roomName?: string;
  /** Answer discovery queries on the LAN (default true). */
  discovery?: boolean;
  /** Largest file relayed, in bytes (default FILE_MAX_BYTES, 2 GiB). */
  maxFile?: number;
}

/** CLOSE code sent to clients when the server stops. */
export const CLOSE_SERVER_STOPPING = 1;
const CLOSE_TOO_SLOW = 3;

export class ChatServer extends EventEmitter {
  readonly fingerprint: string;
  /** The room's name, cleaned (see cleanRoomName). */
  readonly roomName: string;
  private responder: DiscoveryResponder | undefined;
  private readonly endpoint: ServerEndpoint;
  private readonly room: Room;
  private readonly sessions = new Set<Session>();
  /** Logins (auth, join) are handled at most LOGIN_SLICE_MS per event-loop turn (lib/work-queue.ts). */
  private readonly logins = new WorkQueue(LOGIN_SLICE_MS, (err) => this.emit('log', `login failed: ${(err as Error).message}`));
  private readonly failures = new FailureLimiter();
  private readonly bundles = new Map<string, Bundle>();
  /** Send Encrypted: who was given each sender's current key (issue 15). */
  private readonly holders: KeyHolders;
  /** What logging in (lib/chat/server-login.ts) reaches of this server. */
  private readonly loginHost: LoginHost;
  /** Each message's handler: logging in, then a member's (lib/chat/server-members.ts). */
  private readonly handlers: Record<ClientMessage['t'], Handler>;
  private messages = 0;
  /** Compactions after attacks (lib/compact-after-attack.ts), and the watch to stop. */
  private compactions = 0;
  private stopWatch = (): void => {};
  private stopping = false;
  /** File transfers: offers routed, chunks relayed unread (lib/chat/room-files.ts, issue 19). */
  readonly files: FileRelay;

  private constructor(
    private readonly opts: Omit<ChatServerOptions, 'password'>,
    /** The room password, in its one place (the options the server keeps do not hold it). */
    private readonly password: RoomPassword,
    identity: RsaKeyPair,
    private readonly history: RoomHistory,
    private readonly reservations: Reservations,
    private readonly known: KnownNames,
  ) {
    super();
    this.fingerprint = identity.fingerprint;
    this.roomName = cleanRoomName(opts.roomName ?? '') || cleanRoomName(hostname()) || 'Obrolan';
    this.endpoint = new ServerEndpoint({
      identity, ...(opts.maxConnectionsPerIp ? { maxPerIp: opts.maxConnectionsPerIp } : {}),
      ...(opts.admission ? { admission: opts.admission } : {}), ...(opts.exemptIps ? { exemptIps: opts.exemptIps } : {}),
    });
    this.endpoint.on('connection', (conn: Connection, address: string, token: Buffer) => this.onConnection(conn, address, token));
    this.room = new Room(history, {
      message: (m) => { this.messages++; this.emit('message', m); },
      log: (line) => this.emit('log', line),
    }, opts.flood ?? { ratePerS: FLOOD_RATE_PER_S, burst: FLOOD_BURST });
    this.holders = new KeyHolders(opts.flood ?? { ratePerS: FLOOD_RATE_PER_S, burst: FLOOD_BURST });
    this.room.missingKeys = (sender, env) => {
      const epoch = envelopeEpoch(env);
      return { epoch, missing: this.holders.missing(sender, epoch, this.room.members.values()) };
    };
    this.files = new FileRelay({
      member: (n) => { const k = checkUsername(n); const m = k.ok ? this.room.members.get(k.key) : undefined; return m?.ready ? m : undefined; },
      room: this.fingerprint, drop: (r) => { this.endpoint.dropped[r] = (this.endpoint.dropped[r] ?? 0) + 1; },
      whenBelow: (m, bytes, cb) => (m.whenBelow ? m.whenBelow(bytes, cb) : cb()), lastChatAt: () => this.room.lastChatAt,
      ...(opts.maxFile ? { maxFile: opts.maxFile } : {}),
    });
    this.loginHost = {
      room: this.room, failures: this.failures, reservations, known, bundles: this.bundles, sessions: this.sessions,
      send: (s, m) => this.send(s, m), emit: (event, ...args) => this.emit(event, ...args),
      loggedIn: (conn) => this.endpoint.markLoggedIn(conn), saveReservations: () => this.saveReservations(),
    };
    this.handlers = {
      auth: (s, m) => onAuth(this.loginHost, s, m as Extract<ClientMessage, { t: 'auth' }>),
      join: (s, m) => onJoin(this.loginHost, s, m as Extract<ClientMessage, { t: 'join' }>),
      ...memberHandlers({ room: this.room, holders: this.holders, bundles: this.bundles, files: this.files, fingerprint: this.fingerprint,
        send: (s, m) => this.send(s, m), envelopeOk: (s, id, env, to) => this.envelopeOk(s, id, env, to) }),
    };
  }

  /** Loads or makes the server key (history/keys/server.pem) and the history. */
  static async create(options: ChatServerOptions): Promise<ChatServer> {
    const { rest: opts, password } = takePassword(options);
    const warn = (msg: string): void => opts.onProgress?.(`warning: ${msg}`);
    const [identity, history, reservations, known] = await Promise.all([
      loadOrCreateKeyPair(join(opts.historyDir, 'keys', 'server.pem'), SERVER_RSA_BITS,
        () => opts.onProgress?.('making the server key (first start only)…')),
      RoomHistory.open(opts.historyDir, { onWarning: warn, ...(opts.retentionDays ? { retentionDays: opts.retentionDays } : {}) }),
      Reservations.load(join(opts.historyDir, 'online.json')),
      KnownNames.load(join(opts.historyDir, 'names.json')),
    ]);
    const server = new ChatServer(opts, password, identity, history, reservations, known);
    known.isPresent = (key) => server.room.members.has(key);
    known.learn(await server.room.loadRecentIds());
    return server;
  }

  /** Opens the UDP socket; rejects with an Error whose message is for people. */
  async listen(): Promise<{ host: string; port: number }> {
    const d = { host: this.opts.host, port: this.opts.port, enabled: this.opts.discovery !== false };
    const addr = await bindRoomSocket(this.endpoint, d);
    this.responder = await startRoomResponder({ ...d, roomPort: addr.port, fingerprint: this.fingerprint, name: () => this.roomName,
      users: () => this.room.members.size }, (line) => this.emit('log', line));
    // Clients of the previous run (e.g. before a crash) would notice only at their next keepalive.
    for (const old of this.reservations.lastSessions) this.endpoint.sendReset(old.connId, old.address);
    this.stopWatch = compactAfterAttacks(() => ({ preLogin: this.endpoint.preLoginCount, dropped: Object.values(this.endpoint.dropped).reduce((a, b) => a + b, 0) }),
      () => { this.compactions++; this.emit('log', 'an attack ended: memory compacted (one full collection)'); });
    this.emit('listening', addr);
    return addr;
  }

  /** Where discovery queries are answered now (empty without discovery). */
  get discovery(): ResponderStatus { return this.responder?.status ?? NO_DISCOVERY; }

  users(): RoomUser[] {
    return [...this.room.members.values()].filter((m) => m.ready).map((m) => ({ name: m.name, keys: m.keysFp, address: m.address, since: m.since }));
  }

  stats(): ServerStats {
    return {
      users: this.room.members.size,
      connections: this.endpoint.connectionCount,
      messages: this.messages,
      datagramsIn: this.endpoint.datagramsIn,
      datagramsOut: this.endpoint.datagramsOut,
      dropped: { ...this.endpoint.dropped },
      retransmits: [...this.sessions].reduce((n, s) => n + s.conn.channel.stats().retransmits, 0),
      preLogin: this.endpoint.preLoginCount,
      compactions: this.compactions,
    };
  }

  /** Tells every client the server is stopping, flushes history, closes the socket. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopWatch();
    await this.reservations.save(this.online());
    await this.known.save().catch((err: Error) => this.emit('log', `could not save names.json: ${err.message}`));
    this.files.close();
    for (const s of this.sessions) s.conn.close(CLOSE_SERVER_STOPPING, 'server stopping');
    this.sessions.clear();
    await this.history.close();
    await this.responder?.stop();
    // Give the CLOSE datagrams a moment to leave before the socket goes.
    await new Promise((r) => setTimeout(r, 20));
    await this.endpoint.close();
    this.emit('stopped');
  }

  private onConnection(conn: Connection, address: string, token: Buffer): void {
    if (this.stopping) return conn.close(CLOSE_SERVER_STOPPING, 'server stopping');
    const ip = address.slice(0, address.lastIndexOf(':'));
    const login = new ServerLogin(this.password.reveal(), { sid: conn.sessionHash, fingerprint: this.fingerprint, connId: conn.connId });
    const s: Session = { conn, address, ip, authed: false, login };
    this.sessions.add(s);
    conn.on('message', (buf: Buffer) => this.onMessage(s, buf));
    conn.once('gone', (reason: string, detail: string) => {
      this.sessions.delete(s);
      if (s.member) {
        this.files.left(s.member);
        this.room.remove(s.member, reason === 'closed' ? 'quit' : `${reason}: ${detail}`);
        this.emit('leave', { user: s.member.name, reason });
        // While stopping, online.json already lists everyone: keep it, so their names stay held for them.
        if (!this.stopping) this.saveReservations();
      }
    });
    this.send(s, { t: 'hello', pake: login.message.toString('base64'), reset: token.toString('base64') });
  }

  private send(s: Session, m: ServerMessage | Buffer, bulk = false): void {
    try {
      s.conn.send(Buffer.isBuffer(m) ? m : encodeMessage(m), bulk);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // The client does not read fast enough to keep up: let it go and come back.
      if (err.code === 'window_full') s.conn.close(CLOSE_TOO_SLOW, 'too slow');
    }
  }

  private onMessage(s: Session, buf: Buffer): void {
    if (buf[0] === FILE_CHUNK_KIND) return s.member ? this.files.chunk(s.member, buf) : undefined;
    let m: ClientMessage;
    try {
      m = decodeClientMessage(buf);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.endpoint.dropped.bad_message = (this.endpoint.dropped.bad_message ?? 0) + 1;
      const id = typeof err.data?.id === 'string' ? { id: err.data.id } : {};
      return this.send(s, { t: 'error', code: err.code === 'too_large' ? 'too_large' : 'bad_message', message: err.message, ...id });
    }
    // Logins wait their turn in slices (a storm of them must not hold up the members' chat); a session's
    // later messages wait behind its own.
    if (m.t !== 'auth' && m.t !== 'join' && !s.queued) return this.handle(s, m);
    s.queued = (s.queued ?? 0) + 1;
    this.logins.push(() => { s.queued!--; if (this.sessions.has(s)) this.handle(s, m); });
  }

  private handle(s: Session, m: ClientMessage): void {
    const allowed = m.t === 'auth' ? true : m.t === 'join' ? s.authed : s.member !== undefined;
    if (!allowed) return this.send(s, { t: 'error', code: 'not_logged_in', message: 'log in first' });
    this.handlers[m.t](s, m);
  }

  // The server cannot read an envelope, but it checks its shape and that it claims the right sender, id,
  // room and context, so nobody can store or forward an envelope in someone else's name or elsewhere.
  private envelopeOk(s: Session, id: string, env: unknown, to?: string): boolean {
    const problem = envelopeProblem(env, { from: s.member!.name, id, room: this.fingerprint, ...(to !== undefined ? { to } : {}) });
    if (problem === undefined) return true;
    this.send(s, { t: 'error', code: 'bad_message', message: problem, id });
    return false;
  }

  private online(): Array<{ key: string; conn: string; address: string }> {
    return [...this.sessions].flatMap((s) => (s.member ? [{ key: s.member.key, conn: s.conn.connId.toString('hex'), address: s.address }] : []));
  }

  private saveReservations(): void {
    this.reservations.saveSoon(() => this.online(), (err) => this.emit('log', `could not save online.json: ${err.message}`));
  }
}

