// The client's reconnect loop: try again with a doubling delay until logged back in, closed, or told
// something that trying again cannot fix.
import { RECONNECT_INITIAL_MS, RECONNECT_MAX_MS } from '../constants.ts';
import { ChatError } from '../errors.ts';

/** Errors that end the reconnect loop: trying again cannot help. */
export const FATAL_LOGIN_ERRORS: ReadonlySet<string> = new Set(['wrong_password', 'name_taken', 'bad_name', 'server_key_changed', 'verify_failed']);

/** What the loop needs of its client. */
export interface ReconnectSteps {
  /** True once the person closed the client: the loop stops at the next step. */
  closing(): boolean;
  /** One whole attempt: connect, log in, join. Rejects on failure. */
  attempt(): Promise<void>;
  /** Drops what a failed attempt left open. */
  abandon(): void;
  /** The attempt failed in a way that retrying cannot fix. */
  fatal(err: ChatError): void;
  /** The loop ended without logging back in (closed or fatal). */
  stopped(): void;
  /** Waits `ms` (a fake clock in tests). */
  sleep?(ms: number): Promise<void>;
}

/** Runs until logged back in (resolves true) or stopped (resolves false). */
export async function reconnectLoop(s: ReconnectSteps): Promise<boolean> {
  const sleep = s.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let delay = RECONNECT_INITIAL_MS;
  while (!s.closing()) {
    await sleep(delay);
    if (s.closing()) break;
    try {
      await s.attempt();
      if (s.closing()) throw new ChatError('server_gone', 'client closed');
      return true;
    } catch (err) {
      s.abandon();
      if (s.closing()) break;
      if (err instanceof ChatError && FATAL_LOGIN_ERRORS.has(err.code)) {
        s.fatal(err);
        s.stopped();
        return false;
      }
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  }
  s.stopped();
  return false;
}
