// ChatClient: the headless client. Secure session, login, history, sending with idempotent resend,
// end-to-end encrypted room and direct messages, and reconnecting by itself. Events: ChatClientEvents.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { HANDSHAKE_TIMEOUT_MS, RECONNECT_INITIAL_MS, RECONNECT_MAX_MS } from './constants.ts';
import type { ChatMessage, ClientState } from './chat-types.ts';
import { connectSecure, type SecureLink } from './client-endpoint.ts';
import { loadOrCreateClientKeys, type ClientKeys } from './e2e-keys.ts';
import { ChatError, type ChatErrorCode, ProtocolError } from './errors.ts';
import { ClientHistory, KnownServers, KnownUsers } from './history.ts';
import { KeyDirectory } from './key-directory.ts';
import { MemoryHistory, MemoryKnownUsers, type MessageStore } from './memory-store.ts';
import { decodeServerMessage, encodeMessage, type ClientMessage, type PresenceEvent, type ServerMessage } from './messages.ts';
import { decodeParams, derivePasswordKey, type PasswordParams } from './password.ts';
import { Inbox } from './client-inbox.ts';
import { ReplayGuard } from './e2e.ts';
import { Waiters } from './waiters.ts';

export interface ChatClientOptions {
  host: string;
  port: number;
  historyDir: string;
  /** Asked on first contact with a server; resolve true to trust (and pin) its key. Default: trust. */
  trust?: (fingerprint: string, server: string) => Promise<boolean>;
  onProgress?: (text: string) => void;
  /** Keys to use instead of loading them from the history dir (many clients in one process share them). */
  keys?: ClientKeys;
  /** Keep history and known users' keys on disk (default true); false keeps them in memory only — for a
   * load generator that simulates many machines in one process. Keys and pinned servers still use historyDir. */
  persist?: boolean;
  /** Reconnect by itself when the connection is lost (default true). */
  reconnect?: boolean;
}

/** A trust answer slower than this restarts the handshake, in ms (the server forgets a silent one after ~10 s). */
const TRUST_ANSWER_FRESH_MS = 3_000;

/** Errors that end the reconnect loop: trying again cannot help. */
const FATAL: ReadonlySet<string> = new Set(['wrong_password', 'name_taken', 'bad_name', 'server_key_changed', 'verify_failed']);

export class ChatClient extends EventEmitter {
  serverFingerprint = '';
  state: ClientState = 'closed';
  readonly server: string;
  private link: SecureLink | undefined;
  private params: PasswordParams | undefined;
  private password: string | undefined;
  private username: string | undefined;
  private resume: string | undefined;
  private keys: ClientKeys | undefined;
  private store: MessageStore | undefined;
  private directory: KeyDirectory | undefined;
  private inbox: Inbox | undefined;
  private readonly seen = new ReplayGuard();
  private readonly waiters = new Waiters<ServerMessage>();
  private readonly pending = new Map<string, { m: ClientMessage; text: string; to?: string }>();
  private readonly userNames = new Map<string, string>();
  private closing = false;
  private reconnecting = false;

  constructor(private readonly opts: ChatClientOptions) {
    super();
    this.server = `${opts.host}:${opts.port}`;
  }

  get myFingerprint(): string { return this.keys?.fingerprint ?? ''; }
  get name(): string | undefined { return this.username; }

  /** Runs the secure handshake (asking `trust` on first contact). Rejects ChatError: server_key_changed, timeout, server_gone, verify_failed. */
  async connect(): Promise<void> {
    this.closing = false;
    this.setState(this.reconnecting ? 'reconnecting' : 'connecting');
    const known = await KnownServers.open(this.opts.historyDir);
    const trust = this.opts.trust ?? (async () => true);
    let slowAnswer = false;
    const target = { host: this.opts.host, port: this.opts.port };
    let link = await connectSecure({
      ...target, pinned: known.get(this.server),
      trust: async (fp) => {
        const asked = Date.now();
        const ok = await trust(fp, this.server);
        if (ok) await known.pin(this.server, fp);
        slowAnswer = Date.now() - asked > TRUST_ANSWER_FRESH_MS;
        return ok;
      },
    });
    if (slowAnswer) {
      // The person took a while to decide; the server may have given up on that handshake. The key is
      // pinned now, so a fresh handshake asks nothing.
      link.close();
      link = await connectSecure({ ...target, pinned: known.get(this.server), trust: async () => false });
    }
    this.link = link;
    this.serverFingerprint = link.fingerprint;
    const hello = this.waiters.wait((m) => m.t === 'hello', HANDSHAKE_TIMEOUT_MS);
    link.conn.on('message', (buf: Buffer) => this.onData(buf));
    link.conn.once('gone', (reason: string, detail: string) => this.onGone(link, reason, detail));
    const h = await hello as Extract<ServerMessage, { t: 'hello' }>;
    link.setResetToken(Buffer.from(h.reset, 'base64'));
    this.params = decodeParams(h.pw);
  }

  /** Proves the password. Rejects ChatError wrong_password or rate_limited (the message says when to retry). */
  async authenticate(password: string): Promise<void> {
    if (!this.params) throw new ChatError('not_logged_in', 'not connected: call connect() first');
    const key = await derivePasswordKey(password, this.params);
    const reply = this.waiters.wait((m) => m.t === 'auth_ok' || (m.t === 'error' && ['wrong_password', 'rate_limited'].includes(m.code)));
    this.sendRaw({ t: 'auth', key: key.toString('base64') });
    const r = await reply;
    if (r.t === 'error') throw new ChatError(r.code as ChatErrorCode, r.message, r.retryAfterMs ? { retryAfterMs: r.retryAfterMs } : undefined);
    this.password = password;
  }

  /** Takes a name in the room, then receives what was missed; emits 'ready'. Rejects ChatError name_taken or bad_name. */
  async join(username: string): Promise<void> {
    this.keys ??= this.opts.keys ?? await loadOrCreateClientKeys(this.opts.historyDir, () => this.opts.onProgress?.('making your encryption keys (first time only, a few seconds)…'));
    await this.inbox?.idle();
    if (!this.store || this.username?.toLowerCase() !== username.toLowerCase()) {
      await this.store?.close();
      this.store = this.opts.persist === false ? new MemoryHistory()
        : await ClientHistory.open(this.opts.historyDir, this.server, username, { onWarning: (w: string) => this.emit('warning', w) });
      this.resume = undefined;
    }
    if (!this.directory) {
      const known = this.opts.persist === false ? new MemoryKnownUsers() : await KnownUsers.open(this.opts.historyDir, this.server);
      this.directory = new KeyDirectory(known, (names) => this.fetchKeys(names), (w) => this.emit('warning', w));
    }
    const welcome = this.waiters.wait((m) => m.t === 'welcome' || (m.t === 'error' && ['name_taken', 'bad_name', 'bad_keys'].includes(m.code)));
    const done = this.waiters.wait((m) => m.t === 'replay' && m.done, 60_000);
    done.catch(() => {});
    // What the last session showed is written before we tell the server how far our copy goes.
    await this.store.flush();
    this.inbox = new Inbox(this.store, this.directory, this.keys, this, this.seen);
    this.sendRaw({ t: 'join', name: username, lastSeq: this.store.lastSeq, keys: this.keys.bundle, ...(this.resume ? { resume: this.resume } : {}) });
    const w = await welcome;
    if (w.t === 'error') { this.waiters.cancel(done); throw new ChatError(w.code === 'bad_keys' ? 'bad_name' : w.code as ChatErrorCode, w.message); }
    if (w.t !== 'welcome') return;
    this.username = w.name;
    this.resume = w.resume;
    this.inbox.me = w.name;
    for (const u of w.users) await this.directory.saw(u);
    await done;
    await this.inbox.idle();
    this.setState('connected');
    this.emit('ready');
    for (const p of this.pending.values()) this.sendRaw(p.m);
  }

  users(): string[] { return [...this.userNames.values()]; }

  /** Sends a room message; returns its id. Throws ChatError too_large or not_logged_in. */
  send(text: string): string {
    const id = newId();
    return this.queue(id, { t: 'chat', id, text }, text);
  }

  /** Sends a room message encrypted for everyone in the room now; returns its id. */
  async sendEncrypted(text: string): Promise<string> {
    const inbox = this.requireJoined();
    const id = newId();
    const env = await inbox.seal(id, text, this.users());
    return this.queue(id, { t: 'enc', id, env }, text);
  }

  /** Sends a direct message to one user, always encrypted; returns its id. Throws ChatError no_such_user. */
  async sendDirect(to: string, text: string): Promise<string> {
    const inbox = this.requireJoined();
    const name = this.users().find((u) => u.toLowerCase() === to.toLowerCase());
    if (!name) throw new ChatError('no_such_user', `${to} is not in the room`);
    const id = newId();
    const env = await inbox.seal(id, text, [name]);
    return this.queue(id, { t: 'dm', id, to: name, env }, text, name);
  }

  /** This client's stored copy of the room (earlier sessions included), oldest first; empty before join(). */
  async history(limit: number): Promise<ChatMessage[]> { return this.store ? this.store.recent(limit) : []; }

  /** Resolves when every message sent has been acknowledged as stored. */
  async drain(timeoutMs = 30_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.pending.size && Date.now() < until && this.state !== 'closed') await new Promise((r) => setTimeout(r, 20));
    return this.pending.size === 0;
  }

  /** Number of messages sent but not yet acknowledged. */
  get unacked(): number { return this.pending.size; }

  /** Says goodbye and closes. */
  async close(): Promise<void> {
    this.closing = true;
    const link = this.link;
    this.link = undefined;
    if (link?.conn.alive) {
      try { link.conn.send(encodeMessage({ t: 'bye' })); } catch { /* closing anyway */ }
      await new Promise((r) => setTimeout(r, 30));
      link.conn.close(0, 'bye');
    }
    link?.close();
    this.waiters.cancelAll(new ChatError('server_gone', 'client closed'));
    await this.inbox?.idle();
    await this.store?.close();
    this.store = undefined;
    this.setState('closed');
  }

  private requireJoined(): Inbox {
    if (!this.inbox || !this.username) throw new ChatError('not_logged_in', 'join the room first');
    return this.inbox;
  }

  private queue(id: string, m: ClientMessage, text: string, to?: string): string {
    const size = encodeMessage(m).length;
    if (size > 60 * 1024) throw new ChatError('too_large', `message too large (${size} bytes encoded; the limit is about 60 KiB, 16 KiB of text)`);
    if (m.t === 'chat' && Buffer.byteLength(text) > 16 * 1024) throw new ChatError('too_large', 'message too large: at most 16 KiB of text');
    this.requireJoined();
    this.pending.set(id, to ? { m, text, to } : { m, text });
    if (this.state === 'connected') this.sendRaw(m);
    return id;
  }

  private sendRaw(m: ClientMessage): void {
    try {
      this.link?.conn.send(encodeMessage(m));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // not_open: the reconnect loop resends what is pending.
    }
  }

  private async fetchKeys(names: string[]): Promise<Record<string, { enc: string; sig: string }>> {
    const reply = this.waiters.wait((m) => m.t === 'keys', 10_000);
    this.sendRaw({ t: 'keys', users: names });
    const r = await reply;
    return r.t === 'keys' ? r.bundles : {};
  }

  private setUsers(names: string[]): void {
    this.userNames.clear();
    for (const n of names) this.userNames.set(n.toLowerCase(), n);
    this.usersChanged();
  }

  // The list costs O(users) to build: nobody listening (a load generator's clients) means nobody pays it,
  // which matters when a class of hundreds logs in and every client hears every join.
  private usersChanged(): void {
    if (this.listenerCount('users') > 0) this.emit('users', { users: this.users() });
  }

  // An 'error' event with no listener would throw (EventEmitter's rule); a headless user may not listen.
  private emitError(e: { code: ChatErrorCode; message: string }): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  private setState(s: ClientState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }

  private onData(buf: Buffer): void {
    let m: ServerMessage;
    try { m = decodeServerMessage(buf); } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.emit('warning', `ignored a malformed message from the server (${err.message})`);
      return;
    }
    // The welcome's user list is taken at once: appended chunks may follow in the same datagram.
    if (m.t === 'welcome') this.setUsers(m.users.map((u) => u.name));
    if (this.waiters.offer(m)) return;
    this.handle(m);
  }

  private handle(m: ServerMessage): void {
    switch (m.t) {
      case 'replay': for (const c of m.messages) this.inbox?.receive(c); if (m.missed) this.emit('warning', `${m.missed} older messages were missed while you were away (only the newest are replayed)`); break;
      case 'msg': this.inbox?.receive(m.m); break;
      case 'delivered': this.onDelivered(m.id, m.seq); break;
      // A batch of joins and leaves changes the list once, not once per event.
      case 'presence': for (const e of m.events) this.applyPresence(e); this.usersChanged(); break;
      case 'join': case 'leave': this.applyPresence(m); this.usersChanged(); break;
      case 'users':
        if (!m.append) this.userNames.clear();
        for (const u of m.users) { this.userNames.set(u.name.toLowerCase(), u.name); void this.directory?.saw(u); }
        this.usersChanged();
        break;
      case 'notice': this.emit('warning', m.text); break;
      case 'error': this.onServerError(m); break;
      default: break;
    }
  }

  private applyPresence(e: PresenceEvent): void {
    if (e.t === 'join') {
      this.userNames.set(e.user.name.toLowerCase(), e.user.name);
      void this.directory?.saw(e.user);
      this.emit('join', { user: e.user.name });
    } else {
      this.userNames.delete(e.user.toLowerCase());
      this.emit('leave', { user: e.user });
    }
  }

  private onServerError(m: Extract<ServerMessage, { t: 'error' }>): void {
    if (m.id && this.pending.has(m.id) && m.code !== 'flood') this.pending.delete(m.id);
    this.emitError({ code: m.code as ChatErrorCode, message: m.message });
  }

  /** Called by the inbox for our own message seen in a replay: the server has it stored. */
  onOwnReplayed(id: string, seq: number): boolean {
    if (!this.pending.has(id)) return false;
    this.onDelivered(id, seq);
    return true;
  }

  private onDelivered(id: string, seq: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const msg: ChatMessage = { id, seq, from: this.username ?? '', text: p.text, encrypted: p.m.t !== 'chat', ts: Date.now(), ...(p.to ? { to: p.to } : {}) };
    this.inbox?.storeOwn(msg);
    this.emit('delivered', { id, seq });
  }

  private onGone(link: SecureLink, reason: string, detail: string): void {
    link.close();
    if (this.link !== link) return;
    this.link = undefined;
    this.waiters.cancelAll(new ChatError('server_gone', `connection lost: ${detail}`));
    if (this.closing || this.opts.reconnect === false || !this.password || !this.username) {
      this.setState('closed');
      if (!this.closing) this.emitError({ code: 'server_gone', message: `connection lost (${reason}: ${detail})` });
      return;
    }
    this.emit('warning', `connection lost (${detail}); reconnecting…`);
    void this.reconnectLoop();
  }

  private async reconnectLoop(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    this.setState('reconnecting');
    let delay = RECONNECT_INITIAL_MS;
    while (!this.closing) {
      await new Promise((r) => setTimeout(r, delay));
      if (this.closing) break;
      try {
        await this.connect();
        // close() may come while a step waits: stop there instead of logging back in.
        if (!this.closing) await this.authenticate(this.password!);
        if (!this.closing) await this.join(this.username!);
        if (this.closing) throw new ChatError('server_gone', 'client closed');
        this.emit('warning', 'reconnected');
        break;
      } catch (err) {
        const link = this.link;
        this.link = undefined;
        if (link?.conn.alive) link.conn.close(0, 'bye');
        link?.close();
        if (this.closing) { this.setState('closed'); break; }
        if (err instanceof ChatError && FATAL.has(err.code)) {
          this.emitError({ code: err.code, message: err.message });
          this.setState('closed');
          break;
        }
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
      }
    }
    this.reconnecting = false;
  }
}

/** Message ids: a random prefix per process and a counter, unique per sender without a random draw each. */
const ID_PREFIX = randomBytes(9).toString('base64url');
let idCounter = 0;

function newId(): string {
  return `${ID_PREFIX}${(idCounter++).toString(36)}`;
}
