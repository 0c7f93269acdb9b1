// The client window's controller: login with retries, history on open, sending, commands, core events.
import type { ChatMessage } from '../chat/types.ts';
import { ChatError } from '../errors.ts';
import type { ClientFactory, ClientLike } from './client-like.ts';
import type { ClientWindow, LoginDetails, LoginError, LoginPrefill } from './client-window.ts';
import { runCommand } from './chat-commands.ts';
import { keysCommand, Reconnector, type SessionContext } from './session-commands.ts';
import { mentions, windowTitle } from './attention.ts';
import { saveLastLogin } from './last-login.ts';
import { CHAT_HISTORY_LINES, REPLAY_MAX } from '../constants.ts';
import { foldName } from '../names.ts';
import { fileCommandInWindow, showFiles } from './file-view.ts';

/** Messages of earlier sessions shown when the chat opens. */
const HISTORY_ON_OPEN = REPLAY_MAX;
/** Stored messages searched for your own earlier lines (Up in the input). */
const INPUT_HISTORY_SCAN = 20 * REPLAY_MAX;
/** Longest wait for a clean close on quit, in ms. */
const CLOSE_TIMEOUT_MS = 3_000;

/** Which login step a refusal sends the person back to. */
const REFUSAL_FIELD: Partial<Record<string, LoginError['field']>> = {
  wrong_password: 'password',
  rate_limited: 'password',
  name_taken: 'username',
  bad_name: 'username',
};

/**
 * The login state machine and the chat wiring for one client window: connect, password and name with
 * retries on the same session, history on open, sending, commands, and the core's events.
 */
export class ClientController {
  onQuit = () => {};
  private client: ClientLike | undefined;
  private stage: 'new' | 'connected' | 'authed' | 'joined' = 'new';
  private target = '';
  private me = '';
  private busy = false;
  /** Ring the terminal bell on a mention or a direct message (/bell off). */
  private bell = true;
  private unreadMentions = 0;
  private unsentAtJoin: ReturnType<ClientLike['unsent']> = [];
  private closed = false;
  /** Messages that arrive while joining, shown after the stored history. */
  private held: ChatMessage[] | undefined;
  private readonly shown = new Set<string>();
  /** What /verify, /trust and /reconnect reach (lib/ui/session-commands.ts). */
  private readonly sessionCommands: SessionContext;
  private readonly reconnector: Reconnector;

  constructor(private readonly win: ClientWindow, private readonly historyDir: string, private readonly create: ClientFactory) {
    win.on('connect', (d) => void this.login(d));
    win.on('send', (text) => this.send(text));
    win.on('sendEncrypted', (text) => void this.sendAsync(() => this.client!.sendEncrypted(text), { text, encrypted: true }));
    win.on('command', (line) => this.command(line));
    for (const e of ['send', 'sendEncrypted', 'command'] as const) win.on(e, () => this.typed());
    this.sessionCommands = {
      win, client: () => this.client, joined: () => this.stage === 'joined', target: () => this.target,
      refreshUsers: () => this.setUsers(this.client!.users()),
    };
    this.reconnector = new Reconnector(this.sessionCommands);
  }

  private async login(d: LoginDetails): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const reused = this.client !== undefined && this.target === `${d.host}:${d.port}`;
      try {
        await this.steps(d);
      } catch (err) {
        // A kept session may have died between tries (the server closes after refusals): one fresh try.
        if (!reused || this.isRefusal(err)) throw err;
        await this.drop();
        await this.steps(d);
      }
      await this.opened(d);
    } catch (err) {
      if (!this.closed) await this.refused(d, err);
    } finally {
      this.busy = false;
    }
  }

  private isRefusal(err: unknown): boolean {
    return err instanceof ChatError && REFUSAL_FIELD[err.code] !== undefined;
  }

  /** Connects, authenticates and joins, skipping the steps a kept session already passed. */
  private async steps(d: LoginDetails): Promise<void> {
    const c = await this.session(d);
    if (this.stage === 'new') {
      this.win.progress(`connecting to ${this.target}…`);
      await c.connect();
      this.stage = 'connected';
    }
    if (this.stage === 'connected') {
      this.win.progress('checking the password…');
      await c.authenticate(d.password);
      this.stage = 'authed';
    }
    this.win.progress(`joining as ${d.username}…`);
    this.me = d.username;
    this.held = [];
    await c.join(d.username);
    this.stage = 'joined';
    // Taken before any await: join() has just sent what an earlier run left unsent, and an ack may follow.
    this.unsentAtJoin = c.unsent();
  }

  /** The kept session when the server is the same, else a new one. */
  private async session(d: LoginDetails): Promise<ClientLike> {
    const target = `${d.host}:${d.port}`;
    if (this.client && this.target !== target) await this.drop();
    if (this.client) return this.client;
    this.target = target;
    this.stage = 'new';
    this.win.progress(`connecting to ${target}…`);
    const created = await this.create({
      host: d.host, port: d.port, historyDir: this.historyDir,
      trust: (fp, server) => this.trust(fp, server),
      onProgress: (text) => this.win.progress(text),
    });
    if (this.closed) {
      await created.close();
      throw new Error('window closed');
    }
    this.client = created;
    this.listen(created);
    return created;
  }

  private async trust(fp: string, server: string): Promise<boolean> {
    const ok = await this.win.askTrust(fp, server);
    this.win.progress(ok ? 'connecting…' : null);
    return ok;
  }

  /** After a successful join: remember the login, show the chat, earlier history, then what came while joining. */
  private async opened(d: LoginDetails): Promise<void> {
    await saveLastLogin(this.historyDir, { host: d.host, port: d.port, username: d.username })
      .catch((err: Error) => this.win.system(`could not remember this login: ${err.message}`, 'error'));
    this.win.progress(null);
    this.win.showChat(this.me);
    this.status('connected');
    this.setUsers(this.client!.users());
    const earlier = await this.client!.history(HISTORY_ON_OPEN).catch((err: Error) => {
      this.win.system(`could not read the stored history: ${err.message}`, 'error');
      return [];
    });
    if (earlier.length) this.win.system(`${earlier.length} earlier message(s) from this computer's copy`);
    for (const m of earlier) this.show(m);
    const held = this.held ?? [];
    this.held = undefined;
    for (const m of held) this.show(m);
    if (this.client!.verified === 'password') this.win.system(`server key ${this.client!.serverFingerprint} verified by the room password`);
    // Up reaches the last lines you sent in earlier sessions, further back than the messages shown.
    const mine = (await this.client!.history(INPUT_HISTORY_SCAN).catch(() => earlier)).filter((m) => this.isMe(m.from));
    this.win.seedInputHistory(mine.slice(-CHAT_HISTORY_LINES).map((m) => m.text));
    const unsent = this.unsentAtJoin;
    this.unsentAtJoin = [];
    if (unsent.length) this.win.system(`${unsent.length} message(s) not sent last time: sending them now`);
    for (const u of unsent) this.own(u.id, u.text, u.encrypted, u.to);
    this.win.system(`you joined ${this.target} as ${this.me} — type /help for commands`);
    this.title();
  }

  private async refused(d: LoginDetails, err: unknown): Promise<void> {
    this.held = undefined;
    const message = err instanceof Error ? err.message : String(err);
    const field = err instanceof ChatError ? REFUSAL_FIELD[err.code] : undefined;
    // Keep the session for a password or name retry; anything else starts over.
    if (!field) await this.drop();
    const prefill: LoginPrefill = { host: d.host, port: d.port, password: d.password, username: d.username };
    this.win.showLogin(prefill, { field: field ?? 'host', message });
  }

  private async drop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.stage = 'new';
    if (!c) return;
    c.removeAllListeners();
    await c.close().catch(() => {});
  }

  /** Closes the session (waits at most CLOSE_TIMEOUT_MS). */
  async close(): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drop(), new Promise<void>((r) => (timer = setTimeout(r, CLOSE_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }

  private listen(c: ClientLike): void {
    const w = this.win;
    c.on('message', (m) => (this.held ? this.held.push(m) : this.live(m)));
    c.on('delivered', ({ id }) => w.markDelivered(id));
    c.on('join', ({ user }) => this.stage === 'joined' && w.system(`${user} joined`));
    c.on('leave', ({ user }) => this.stage === 'joined' && w.system(`${user} left`));
    c.on('users', ({ users }) => this.setUsers(users));
    // The core words losing and regaining the connection as warnings and errors; state only feeds the status bar.
    c.on('state', (state) => this.stage === 'joined' && this.status(state));
    c.on('error', ({ code, message }) => {
      w.system(message, 'error');
      // The server came back with another password: ask for it instead of staying stuck.
      if (code === 'wrong_password' && this.stage === 'joined') void this.reconnector.askPassword(message);
    });
    c.on('warning', (line) => w.system(line));
    showFiles(c, w);
  }

  private isMe(name: string): boolean {
    return foldName(name) === foldName(this.me);
  }

  /** The users pane always lists you, whether or not the core counts you among the others. */
  private setUsers(users: string[]): void {
    const list = this.me && !users.some((u) => this.isMe(u)) ? [...users, this.me] : users;
    const e2e = this.client?.e2e;
    this.win.setUsers(list, e2e ? Object.fromEntries(list.map((u) => [u, e2e.state(u)])) : {});
  }

  private status(state: 'connecting' | 'connected' | 'reconnecting' | 'closed'): void {
    const c = this.client;
    if (!c) return;
    this.win.setStatus({ state, server: this.target, serverFingerprint: c.serverFingerprint, myFingerprint: c.myFingerprint });
  }

  /** Shows a message once, however many ways it arrives (history, replay, echo of an own send); true when new. */
  private show(m: ChatMessage, stored = true): boolean {
    const key = `${foldName(m.from)}\u0000${m.id}`;
    if (this.shown.has(key)) return false;
    this.shown.add(key);
    this.win.addMessage(m, this.isMe(m.from), stored);
    return true;
  }

  /** A message as it arrives: your name in it or a direct message rings the bell and counts in the title. */
  private live(m: ChatMessage): void {
    if (!this.show(m) || this.isMe(m.from)) return;
    if (m.to === undefined && !mentions(m.text, this.me)) return;
    if (this.bell) this.win.bell();
    this.unreadMentions++;
    this.title();
  }

  private title(): void {
    this.win.setTitle(windowTitle(this.target, this.unreadMentions));
  }

  /** The person typed a line: the mentions so far count as read. */
  private typed(): void {
    if (this.unreadMentions === 0) return;
    this.unreadMentions = 0;
    this.title();
  }

  private own(id: string, text: string, encrypted: boolean, to?: string): void {
    this.show({ id, seq: 0, from: this.me, text, encrypted, ts: Date.now(), ...(to !== undefined ? { to } : {}) }, false);
  }

  private send(text: string): void {
    if (!this.client || this.stage !== 'joined') return;
    try {
      this.own(this.client.send(text), text, false);
    } catch (err) {
      this.win.system((err as Error).message, 'error');
    }
  }

  private async sendAsync(how: () => Promise<string>, m: { text: string; encrypted: boolean; to?: string }): Promise<void> {
    if (!this.client || this.stage !== 'joined') return;
    try {
      this.own(await how(), m.text, m.encrypted, m.to);
    } catch (err) {
      this.win.system((err as Error).message, 'error');
    }
  }

  private command(line: string): void {
    runCommand(line, {
      win: this.win,
      me: this.me,
      send: (text) => this.send(text),
      sendEncrypted: (text) => void this.sendAsync(() => this.client!.sendEncrypted(text), { text, encrypted: true }),
      sendDirect: (to, text) => void this.sendAsync(() => this.client!.sendDirect(to, text), { text, encrypted: true, to }),
      users: () => this.client?.users() ?? [],
      reconnect: () => void this.reconnector.reconnect(),
      setBell: (on) => (this.bell = on),
      keys: (user, action) => void keysCommand(this.sessionCommands, user, action),
      file: (line) => void fileCommandInWindow(this.client?.files, this.client?.users() ?? [], line, this.win),
      quit: () => this.onQuit(),
    });
  }

  /** Whether to quit now: asks first when messages have not reached the server (they stay on disk either way). */
  async mayQuit(): Promise<boolean> {
    const count = this.stage === 'joined' ? this.client?.unsent().length ?? 0 : 0;
    return count === 0 || this.win.askQuitUnsent(count, this.me);
  }
}
