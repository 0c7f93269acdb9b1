// ChatClient: the headless client. Secure session (lib/chat/client-link.ts), login, history, sending with
// idempotent resend, end-to-end encrypted room and direct messages, and reconnecting by itself. Events: ChatClientEvents.
import { join as joinPath } from 'node:path';
import { FILE_MAX_BYTES } from '../constants.ts';
import type { ChatClientOptions, ChatMessage } from './types.ts';
export type { ChatClientOptions } from './types.ts';
import type { SecureLink } from '../net/client-endpoint.ts';
import { ChatError, type ChatErrorCode, ProtocolError } from '../errors.ts';
import { ClientLink } from './client-link.ts';
import { decodeServerMessage, encodeMessage, type ClientMessage, type ServerMessage } from './messages.ts';
import { reconnectLoop } from './reconnect.ts';
import { Roster } from './roster.ts';
import { newId, Outbox } from './outbox.ts';
import { Inbox } from './inbox.ts';
import { ReplayGuard } from '../e2e/seal.ts';
import { E2EClient } from './e2e-client.ts';
import type { Bundle } from './key-requests.ts';
import { requestKeys } from './client-requests.ts';
import { ClientStores } from './client-stores.ts';
import { dispatch, type ClientParts } from './client-dispatch.ts';
import { FileTransfers } from './file-transfer.ts';
import { FILE_CHUNK_KIND } from '../e2e/file-crypto.ts';

export class ChatClient extends ClientLink {
  private username: string | undefined;
  /** Our keys, our copy of the room, others' keys, the resume token (lib/chat/client-stores.ts). */
  private readonly stores: ClientStores;
  private inbox: Inbox | undefined;
  private readonly seen = new ReplayGuard();
  private readonly outbox = new Outbox();
  /** Send Encrypted: our sender key, the keys others gave us, and key trust (/verify, /trust). */
  readonly e2e = new E2EClient({
    keys: () => this.stores.keys, me: () => this.username ?? '', room: () => this.serverFingerprint, present: () => this.roster.byFolded(), find: (n) => this.roster.find(n),
    directory: () => this.stores.directory, send: (m) => this.sendRaw(m), warn: (w) => this.emit('warning', w), outbox: this.outbox,
    error: (e) => this.emitError(e),
  });
  /** File transfers: /send, /accept, /decline, /cancel (lib/chat/file-transfer.ts, issue 19). */
  readonly files = new FileTransfers({
    me: () => this.username ?? '', room: () => this.serverFingerprint, keys: () => this.stores.keys, keyState: (n) => this.e2e.state(n), userKeys: async (n) => (await this.stores.directory?.get([n]))?.get(n), find: (n) => this.roster.find(n), present: () => this.users(),
    send: (m) => this.sendRaw(m), sendChunk: (b) => this.state === 'connected' && this.sendRaw(b, true), buffered: () => this.link?.conn.channel.bufferedBytes ?? 0, whenBelow: (n, cb) => this.link?.conn.whenBelow(n, cb), emit: (e, p) => this.emit(e, p), warn: (w) => this.emit('warning', w),
    maxFile: () => this.opts.maxFile ?? FILE_MAX_BYTES, downloads: () => this.opts.downloads ?? joinPath(this.opts.historyDir, 'downloads'), stateDir: () => this.opts.historyDir,
  });
  private readonly roster = new Roster({
    saw: (u) => { void this.stores.directory?.saw(u); },
    join: (user) => { this.e2e.joined(user); this.files.joined(user); this.emit('join', { user }); },
    keys: (user) => this.e2e.keysArrived(user),
    leave: (user) => { this.e2e.left(user); this.emit('leave', { user }); },
    // The list costs O(users) to build: nobody listening (a load generator's clients) means nobody pays it,
    // which matters when a class of hundreds logs in and every client hears every join.
    changed: () => { if (this.listenerCount('users') > 0) this.emit('users', { users: this.users() }); },
  });
  /** What the server's messages reach (lib/chat/client-dispatch.ts). */
  private readonly parts: ClientParts = {
    inbox: () => this.inbox, roster: this.roster, e2e: this.e2e, outbox: this.outbox, files: this.files, warn: (w) => this.emit('warning', w),
    error: (e) => this.emitError(e), delivered: (id, seq) => this.onDelivered(id, seq),
  };

  constructor(opts: ChatClientOptions) {
    super(opts);
    this.stores = new ClientStores(opts, this.server, this.outbox, (names) => this.fetchKeys(names), (w) => this.emit('warning', w));
  }

  get myFingerprint(): string { return this.stores.keys?.fingerprint ?? ''; }
  get name(): string | undefined { return this.username; }

  /** Takes a name in the room, then receives what was missed; emits 'ready'. Rejects ChatError name_taken or bad_name. */
  async join(username: string): Promise<void> {
    // A first start does not wait for its keys (lib/e2e/keys-ahead.ts): it joins without and gives them when made.
    const keys = this.stores.withoutKeys(username) ? undefined : await this.stores.loadKeys(username);
    await this.inbox?.idle();
    const { store, directory } = await this.stores.open(username, this.username);
    const welcome = this.waiters.wait((m) => m.t === 'welcome' || (m.t === 'error' && ['name_taken', 'bad_name', 'bad_keys'].includes(m.code)));
    const done = this.waiters.wait((m) => m.t === 'replay' && m.done, 60_000);
    done.catch(() => {});
    // What the last session showed is written before we tell the server how far our copy goes.
    await store.flush();
    this.inbox = new Inbox(store, this.e2e, this, this.seen);
    this.sendRaw({ t: 'join', name: username, lastSeq: store.lastSeq, ...(keys ? { keys: keys.bundle } : {}), ...(this.stores.resume ? { resume: this.stores.resume } : {}) });
    const w = await welcome;
    if (w.t === 'error') { this.waiters.cancel(done); if (!this.username) this.stores.keys = undefined; throw new ChatError(w.code === 'bad_keys' ? 'bad_name' : w.code as ChatErrorCode, w.message); }
    if (w.t !== 'welcome') return;
    this.username = w.name;
    this.stores.resume = w.resume;
    this.inbox.me = w.name;
    this.e2e.session(); this.link?.probePath(); // larger datagrams once logged in (docs/PROTOCOL.md)
    if (!keys) this.giveKeysLater(w.name);
    for (const u of w.users) await directory.saw(u);
    await done;
    await this.inbox.idle();
    this.setState('connected');
    this.emit('ready');
    for (const m of this.outbox.messages()) this.sendRaw(m);
    this.files.rejoined();
  }

  users(): string[] { return this.roster.list(); }

  /** After a join without keys: makes them (saved under `name`) and gives them to the server on this link. */
  private giveKeysLater(name: string): void {
    const link = this.link;
    const made = this.stores.loadKeys(name).then((k) => { if (this.link === link && this.username === name) this.sendRaw({ t: 'mykeys', keys: k.bundle }); });
    this.stores.pending = made.catch((err: Error) => this.emit('warning', `could not make your encryption keys: ${err.message}`));
  }

  /** Sends a room message; returns its id. Throws ChatError too_large or not_logged_in. */
  send(text: string): string {
    const id = newId();
    return this.queue(id, { t: 'chat', id, text }, text);
  }

  /** Sends a room message encrypted for everyone in the room when stored; returns its id. Throws ChatError key_changed. */
  async sendEncrypted(text: string): Promise<string> {
    this.requireJoined();
    await this.stores.pending;
    const id = newId();
    return this.queue(id, { t: 'enc', id, env: await this.e2e.sealRoom(id, text) }, text);
  }

  /** Sends a direct message to one user, always encrypted; returns its id. Throws ChatError no_such_user. */
  async sendDirect(to: string, text: string): Promise<string> {
    this.requireJoined();
    const name = this.roster.find(to);
    if (!name) throw new ChatError('no_such_user', `${to} is not in the room`);
    await this.stores.pending;
    const id = newId();
    return this.queue(id, { t: 'dm', id, to: name, env: await this.e2e.sealDirect(id, name, text) }, text, name);
  }

  /** This client's stored copy of the room (earlier sessions included), oldest first; empty before join(). */
  async history(limit: number): Promise<ChatMessage[]> { return this.stores.store ? this.stores.store.recent(limit) : []; }

  /** Resolves when every message sent has been acknowledged as stored. */
  drain(timeoutMs = 30_000): Promise<boolean> { return this.outbox.drain(timeoutMs, () => this.state === 'closed'); }

  /** Number of messages sent but not yet acknowledged. */
  get unacked(): number { return this.outbox.size; }
  /** Messages not yet stored by the server (also those an earlier run left on disk), oldest first. */
  unsent(): Array<{ id: string; text: string; encrypted: boolean; to?: string }> { return this.outbox.list(); }

  /** Logs in again now (/reconnect; a new `password` after the server's changed), a running reconnect loop stopped first. */
  async reconnect(password = this.password): Promise<void> {
    if (!this.username || password === undefined) throw new ChatError('not_logged_in', 'join the room first');
    this.closing = true; // a running loop stops at its next step
    this.dropLink();
    while (this.reconnecting) await new Promise((r) => setTimeout(r, 20));
    await this.logIn(password).catch((err: unknown) => { this.dropLink(); this.setState('closed'); throw err; });
  }
  /** connect, authenticate, join; close() may come while a step waits: stop there instead of logging back in. */
  private async logIn(password: string): Promise<void> {
    await this.connect();
    if (!this.closing) await this.authenticate(password);
    if (!this.closing) await this.join(this.username!);
  }

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
    await this.stores.pending; // keys being made are saved before the program ends
    await this.files.close();
    await this.inbox?.idle();
    await this.stores.close();
    this.setState('closed');
  }

  private dropLink(): void { // a failed attempt, /reconnect: no goodbye
    const link = this.link;
    this.link = undefined;
    if (link?.conn.alive) link.conn.close(0, 'bye');
    link?.close();
    this.roster.clear();
  }

  private requireJoined(): Inbox {
    if (!this.inbox || !this.username) throw new ChatError('not_logged_in', 'join the room first');
    return this.inbox;
  }

  private queue(id: string, m: ClientMessage, text: string, to?: string): string {
    this.requireJoined();
    this.outbox.add(id, m, text, to);
    if (this.state === 'connected') this.sendRaw(m);
    return id;
  }

  /** Users' key bundles from the server, in chunks it accepts (lib/chat/client-requests.ts). */
  private fetchKeys(names: string[]): Promise<Record<string, Bundle>> { return requestKeys(this.requester, names); }

  protected override onData(buf: Buffer): void {
    if (buf[0] === FILE_CHUNK_KIND) return this.files.chunk(buf);
    let m: ServerMessage;
    try { m = decodeServerMessage(buf); } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.emit('warning', `ignored a malformed message from the server (${err.message})`);
      return;
    }
    // The welcome's user list is taken at once: appended chunks may follow in the same datagram.
    if (m.t === 'welcome') this.roster.reset(m.users.map((u) => u.name));
    if (m.t === 'replay' && m.done) this.inbox?.goLive();
    if (this.waiters.offer(m)) return;
    dispatch(m, this.parts);
  }

  /** Called by the inbox for our own message seen in a replay: the server has it stored. */
  onOwnReplayed(id: string, seq: number): boolean {
    if (!this.outbox.has(id)) return false;
    this.onDelivered(id, seq);
    return true;
  }

  private onDelivered(id: string, seq: number): void {
    const msg = this.outbox.delivered(id, seq, this.username ?? '', Date.now());
    if (!msg) return;
    this.e2e.done(id);
    this.inbox?.storeOwn(msg);
    this.emit('delivered', { id, seq });
  }

  protected override onGone(link: SecureLink, reason: string, detail: string): void {
    link.close();
    if (this.link !== link) return;
    this.link = undefined;
    this.waiters.cancelAll(new ChatError('server_gone', `connection lost: ${detail}`));
    this.roster.clear();
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
    const ok = await reconnectLoop({
      closing: () => this.closing,
      attempt: () => this.logIn(this.password!),
      abandon: () => this.dropLink(),
      fatal: (err) => this.emitError({ code: err.code, message: err.message }),
      stopped: () => this.setState('closed'),
    });
    if (ok) this.emit('warning', 'reconnected');
    this.reconnecting = false;
  }
}
