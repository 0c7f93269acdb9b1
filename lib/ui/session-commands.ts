// The chat commands that act on the session rather than on the room's lines: /verify and /trust on a user's
// keys, and /reconnect with the password dialog it opens when the server's password has changed. The
// controller (lib/ui/client-controller.ts) runs them; the command table is lib/ui/chat-commands.ts.
import { ChatError } from '../errors.ts';
import type { ClientLike } from './client-like.ts';
import type { ClientWindow } from './client-window.ts';

/** What the session commands need of the controller. */
export interface SessionContext {
  win: ClientWindow;
  /** The client of the current session, if any. */
  client(): ClientLike | undefined;
  /** True once the session has joined the room. */
  joined(): boolean;
  /** "host:port" of the room. */
  target(): string;
  /** Draws the users pane again (a key marker changed). */
  refreshUsers(): void;
}

/** /verify USER shows both fingerprints and the safety number; /verify USER yes and /trust USER accept the keys. */
export async function keysCommand(ctx: SessionContext, user: string, action: 'show' | 'verify' | 'trust'): Promise<void> {
  const e2e = ctx.client()?.e2e;
  if (!e2e) return;
  try {
    if (action === 'show') {
      const s = e2e.safety(user);
      for (const line of [`keys of ${user}: ${s.state}`, `yours:  ${s.mine}`, `theirs: ${s.theirs}`, `safety number: ${s.number}`, `read it aloud together; if it matches: /verify ${user} yes`]) ctx.win.system(line);
      return;
    }
    await e2e.accept(user, action === 'verify');
    ctx.win.system(`keys of ${user}: ${e2e.state(user)}`);
    ctx.refreshUsers();
  } catch (err) {
    ctx.win.system((err as Error).message, 'error');
  }
}

/** Logging in again on demand: /reconnect, and the password dialog when the server refuses the old password. */
export class Reconnector {
  /** The password dialog is open: a second refusal meanwhile does not open another. */
  private asking = false;

  constructor(private readonly ctx: SessionContext) {}

  /** /reconnect, or a new password from the dialog: log in again now. */
  async reconnect(password?: string): Promise<void> {
    const { win } = this.ctx;
    const c = this.ctx.client();
    if (!c || !this.ctx.joined()) return win.system('not in a room yet: log in first', 'error');
    win.system(`reconnecting to ${this.ctx.target()}…`);
    try {
      await c.reconnect(password);
      win.system('reconnected');
    } catch (err) {
      if (err instanceof ChatError && err.code === 'wrong_password') return this.askPassword(err.message);
      win.system(`${(err as Error).message} — type /reconnect to try again`, 'error');
    }
  }

  /** Asks for the room's new password (once at a time) and logs in again with it. */
  async askPassword(problem: string): Promise<void> {
    if (this.asking) return;
    this.asking = true;
    const password = await this.ctx.win.askPassword(this.ctx.target(), problem).finally(() => (this.asking = false));
    if (password === undefined) return this.ctx.win.system('not connected — type /reconnect to try again', 'error');
    await this.reconnect(password);
  }
}
