// An in-process stand-in for ChatServer and ChatClient with the same events and methods, so the windows
// run and are tested without sockets or keys. One FakeRoom joins any number of fake clients.
import { EventEmitter } from 'node:events';
import type { ChatMessage, RoomUser, ServerStats } from '../../lib/chat/types.ts';
import { ChatError } from '../../lib/errors.ts';
import type { ClientFactoryOptions, ClientLike } from '../../lib/ui/client-like.ts';
import type { ServerLike } from '../../lib/ui/server-app.ts';

/** Delay before the fake server confirms a message, in ms (long enough to see "…" then "✓"). */
const DELIVER_MS = 30;

/** Shared state of one fake chat room; emits 'message', 'join' and 'leave' for the fake server. */
export class FakeRoom extends EventEmitter {
  password = 'secret';
  readonly serverFingerprint = 'SHA256:FAKEserverKEYfingerprint0000000000000000000000';
  readonly clients = new Set<FakeClient>();
  /** Fingerprints this "computer" trusts, by "host:port". */
  readonly pinned = new Map<string, string>();
  readonly log: ChatMessage[] = [];
  /** History each client keeps, by username (what client.history returns). */
  readonly stored = new Map<string, ChatMessage[]>();
  seq = 0;
  /** When true, connect() times out like an unreachable server. */
  down = false;
  /** Fingerprint offered instead of the pinned one (a changed key). */
  impostor: string | undefined;

  names(): string[] {
    return [...this.clients].filter((c) => c.name).map((c) => c.name!);
  }

  broadcast(from: FakeClient | undefined, emit: (c: FakeClient) => void): void {
    for (const c of this.clients) if (c !== from && c.name) emit(c);
  }

  /** Someone else says something (for demos and tests). */
  say(from: string, text: string, encrypted = false): ChatMessage {
    const m: ChatMessage = { id: `x${++this.seq}`, seq: this.seq, from, text, encrypted, ts: Date.now() };
    this.log.push(m);
    this.emit('message', m);
    this.broadcast(undefined, (c) => c.emit('message', m));
    return m;
  }
}

/** Fake ChatClient: password and unique names checked against the room, messages fanned out in process. */
export class FakeClient extends EventEmitter implements ClientLike {
  name: string | undefined;
  myFingerprint = 'SHA256:FAKEclientKEY000000000000000000000000000000';
  serverFingerprint = '';
  private authed = false;
  private nextId = 0;

  constructor(private readonly room: FakeRoom, private readonly opts: ClientFactoryOptions) {
    super();
  }

  async connect(): Promise<void> {
    const server = `${this.opts.host}:${this.opts.port}`;
    if (this.room.down) throw new ChatError('timeout', `no answer from ${server} — is the server running?`);
    const offered = this.room.impostor ?? this.room.serverFingerprint;
    const pinned = this.room.pinned.get(server);
    if (pinned && pinned !== offered) {
      throw new ChatError('server_key_changed', `server key changed since last time: pinned ${pinned}, now ${offered}`);
    }
    if (!pinned) {
      if (!(await this.opts.trust(offered, server))) throw new ChatError('verify_failed', `you did not trust the server key ${offered}`);
      this.room.pinned.set(server, offered);
    }
    this.serverFingerprint = offered;
    this.emit('state', 'connecting');
  }

  async authenticate(password: string): Promise<void> {
    if (password !== this.room.password) throw new ChatError('wrong_password', 'wrong password — try again');
    this.authed = true;
  }

  async join(username: string): Promise<void> {
    if (!this.authed) throw new ChatError('not_logged_in', 'authenticate first');
    if (!username.trim() || username.includes(' ')) throw new ChatError('bad_name', 'names are 1–32 characters without spaces');
    if (this.room.names().some((n) => n.toLowerCase() === username.toLowerCase())) {
      throw new ChatError('name_taken', `the name ${username} is taken — pick another`);
    }
    this.name = username;
    this.room.clients.add(this);
    this.room.emit('join', { user: username, address: '127.0.0.1:50000' });
    this.room.broadcast(this, (c) => {
      c.emit('join', { user: username });
      c.emit('users', { users: this.room.names() });
    });
    this.emit('users', { users: this.room.names() });
    this.emit('state', 'connected');
    this.emit('ready');
  }

  users(): string[] {
    return this.room.names();
  }

  send(text: string): string {
    if (!this.name) throw new ChatError('not_logged_in', 'join first');
    if (Buffer.byteLength(text) > 16 * 1024) throw new ChatError('too_large', 'message too large: at most 16 KiB of text');
    const id = `${this.name}-${++this.nextId}`;
    if (this.room.down) this.waiting.push({ id, text, encrypted: false });
    else setTimeout(() => this.deliver(id, text, false), DELIVER_MS).unref();
    return id;
  }

  async sendEncrypted(text: string): Promise<string> {
    if (!this.name) throw new ChatError('not_logged_in', 'join first');
    const id = `${this.name}-${++this.nextId}`;
    setTimeout(() => this.deliver(id, text, true), DELIVER_MS).unref();
    return id;
  }

  async sendDirect(to: string, text: string): Promise<string> {
    const target = [...this.room.clients].find((c) => c.name?.toLowerCase() === to.toLowerCase());
    if (!target) throw new ChatError('no_such_user', `${to} is not in the room`);
    const id = `${this.name}-${++this.nextId}`;
    target.emit('message', { id, seq: 0, from: this.name!, to: target.name!, text, encrypted: true, ts: Date.now() });
    setTimeout(() => this.emit('delivered', { id, seq: 0 }), DELIVER_MS).unref();
    return id;
  }

  private deliver(id: string, text: string, encrypted: boolean): void {
    if (!this.name || !this.room.clients.has(this)) return;
    const m: ChatMessage = { id, seq: ++this.room.seq, from: this.name, text, encrypted, ts: Date.now() };
    this.room.log.push(m);
    this.room.emit('message', m);
    this.emit('delivered', { id, seq: m.seq });
    this.room.broadcast(this, (c) => c.emit('message', m));
  }

  /** Messages sent while the room is `down` wait here (the real client keeps them on disk). */
  readonly waiting: Array<{ id: string; text: string; encrypted: boolean }> = [];

  unsent(): Array<{ id: string; text: string; encrypted: boolean }> {
    return [...this.waiting];
  }

  async reconnect(password?: string): Promise<void> {
    if (this.room.down) throw new ChatError('timeout', 'no answer — is the server running?');
    if (password !== undefined && password !== this.room.password) throw new ChatError('wrong_password', 'wrong password — try again');
    this.emit('state', 'connected');
    for (const w of this.waiting.splice(0)) this.deliver(w.id, w.text, w.encrypted);
  }

  async history(limit: number): Promise<ChatMessage[]> {
    return (this.room.stored.get(this.name ?? '') ?? []).slice(-limit);
  }

  async close(): Promise<void> {
    const name = this.name;
    this.room.clients.delete(this);
    this.name = undefined;
    if (name) this.room.emit('leave', { user: name, reason: 'quit' });
    if (name) this.room.broadcast(this, (c) => {
      c.emit('leave', { user: name });
      c.emit('users', { users: this.room.names() });
    });
    this.emit('state', 'closed');
  }
}

/** A factory for runClientWindow's deps.createClient; `made` collects the clients for a test to inspect. */
export function fakeClientFactory(room: FakeRoom, made: FakeClient[] = []) {
  return async (opts: ClientFactoryOptions): Promise<ClientLike> => {
    const c = new FakeClient(room, opts);
    made.push(c);
    return c;
  };
}

/** Fake ChatServer: listen fails for a port in `busyPorts`; users and counters come from the room. */
export class FakeServer extends EventEmitter implements ServerLike {
  readonly fingerprint: string;
  static busyPorts = new Set<number>();

  constructor(private readonly room: FakeRoom, private readonly opts: { host: string; port: number; password: string }) {
    super();
    this.fingerprint = room.serverFingerprint;
    room.password = opts.password;
    for (const event of ['message', 'join', 'leave'] as const) {
      room.on(event, (arg: unknown) => this.emit(event, arg));
    }
  }

  async listen(): Promise<{ host: string; port: number }> {
    if (FakeServer.busyPorts.has(this.opts.port)) throw new Error(`port ${this.opts.port} is in use — is another server running? Pick another port.`);
    const addr = { host: this.opts.host, port: this.opts.port || 40000 };
    this.emit('listening', addr);
    return addr;
  }

  async stop(): Promise<void> {
    for (const c of [...this.room.clients]) await c.close();
    this.emit('stopped');
  }

  users(): RoomUser[] {
    return this.room.names().map((name, i) => ({ name, address: `127.0.0.1:${50000 + i}`, since: Date.now() }));
  }

  stats(): ServerStats {
    const n = this.room.names().length;
    return { users: n, connections: n, messages: this.room.seq, datagramsIn: 10 * this.room.seq, datagramsOut: 12 * this.room.seq, dropped: {}, retransmits: 0 };
  }
}

/** A factory for runServerWindow's deps.createServer. */
export function fakeServerFactory(room: FakeRoom, made: FakeServer[] = []) {
  return async (opts: { host: string; port: number; password: string; onProgress: (text: string) => void }): Promise<ServerLike> => {
    opts.onProgress('loading the server key…');
    const s = new FakeServer(room, opts);
    made.push(s);
    return s;
  };
}
