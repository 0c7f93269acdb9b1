// The server's side of logging in, for a session not yet in the room: the password proof (`auth`, CPace
// in lib/chat/pake.ts) with its per-address limit on wrong guesses, then taking a name (`join`): the name
// rule, look-alikes of present and known names, a resume that replaces its own stale session, and names
// held for their owners after a restart. ChatServer (lib/chat/server.ts) routes the messages here.
import type { Connection } from '../net/connection.ts';
import { bundleFingerprint, parseBundle } from '../e2e/keys.ts';
import type { FailureLimiter, TokenBucket } from '../rate-limit.ts';
import type { Bundle } from './key-requests.ts';
import type { KnownNames } from './known-names.ts';
import { chunkUsers, type ClientMessage, type ServerMessage } from './messages.ts';
import type { ServerLogin } from './pake.ts';
import type { Reservations } from './reservations.ts';
import type { Member, Room } from './room.ts';
import type { ChatServerEvents } from './types.ts';
import { checkUsername, usernameKey } from './username.ts';

/** CLOSE code sent to a stale session whose owner logged in again (a resume). */
const CLOSE_REPLACED = 2;

/** One connection to the server, from its handshake until it goes. */
export interface Session {
  conn: Connection;
  address: string;
  ip: string;
  authed: boolean;
  /** The CPace login in progress (lib/chat/pake.ts); dropped once logged in. */
  login?: ServerLogin;
  member?: Member;
  /** `keys` requests allowed (KEYS_RATE_PER_S, KEYS_BURST), made at the first request. */
  keysRate?: TokenBucket;
  /** Messages of this session waiting in the server's login queue (its later ones wait behind them). */
  queued?: number;
}

/** What logging in needs of its server. */
export interface LoginHost {
  readonly room: Room;
  /** Wrong passwords per IP address. */
  readonly failures: FailureLimiter;
  readonly reservations: Reservations;
  readonly known: KnownNames;
  /** Members' public key bundles by folded name, for `keys` requests. */
  readonly bundles: Map<string, Bundle>;
  readonly sessions: ReadonlySet<Session>;
  send(s: Session, m: ServerMessage | Buffer, bulk?: boolean): void;
  emit<K extends keyof ChatServerEvents>(event: K, ...args: ChatServerEvents[K]): void;
  /** The session is logged in: the limits on connections before login no longer count it. */
  loggedIn(conn: Connection): void;
  /** Writes online.json soon (who holds which name, for a restart). */
  saveReservations(): void;
}

/** An `auth`: checks the CPace proof; a right one authenticates the session, a wrong one counts against its address. */
export function onAuth(h: LoginHost, s: Session, m: Extract<ClientMessage, { t: 'auth' }>): void {
  if (!s.login) return h.send(s, { t: 'error', code: 'bad_message', message: 'already logged in' });
  const now = Date.now();
  const wait = h.failures.retryAfter(s.ip, now);
  if (wait > 0) {
    h.emit('refused', { address: s.address, code: 'rate_limited' });
    return h.send(s, { t: 'error', code: 'rate_limited', message: `too many wrong passwords — try again in ${Math.ceil(wait / 1000)} s`, retryAfterMs: wait });
  }
  // A wrong guess costs the guesser this whole round trip and counts against its address.
  const proof = s.login.check(Buffer.from(m.pake, 'base64'), Buffer.from(m.mac, 'base64'));
  if (!proof) {
    h.failures.fail(s.ip, now);
    h.emit('refused', { address: s.address, code: 'wrong_password' });
    h.emit('log', `refused ${s.address}: wrong password`);
    return h.send(s, { t: 'error', code: 'wrong_password', message: 'wrong password — try again', pake: s.login.message.toString('base64') });
  }
  h.failures.succeed(s.ip);
  s.authed = true;
  s.login = undefined;
  h.send(s, { t: 'auth_ok', mac: proof.toString('base64') });
}

/** A `join` of an authenticated session: takes the name (or refuses it), welcomes the member, replays what it missed. */
export function onJoin(h: LoginHost, s: Session, m: Extract<ClientMessage, { t: 'join' }>): void {
  if (s.member) return;
  const refuse = (code: 'bad_name' | 'name_taken' | 'bad_keys', message: string): void => {
    h.emit('refused', { address: s.address, code: code === 'bad_keys' ? 'bad_arguments' : code });
    h.emit('log', `refused ${s.address}: ${message}`);
    h.send(s, { t: 'error', code, message });
  };
  const check = checkUsername(m.name);
  if (!check.ok) return refuse('bad_name', check.reason);
  let keysFp = '';
  if (m.keys) {
    try { parseBundle(m.keys); keysFp = bundleFingerprint(m.keys); } catch { return refuse('bad_keys', 'your public keys are malformed'); }
  }
  const lookalike = lookalikeOf(h, check.name);
  if (lookalike) return refuse('name_taken', lookalike);
  const resume = m.resume ? Buffer.from(m.resume, 'base64') : undefined;
  const holder = h.room.members.get(check.key);
  if (holder) {
    // The same person coming back (e.g. after a network change) may take over its stale session.
    const heldBy = [...h.sessions].find((x) => x.member === holder);
    if (!resume || !heldBy || !h.reservations.matches(holder.key, resume)) return refuse('name_taken', `the name ${check.name} is taken (${holder.name === check.name ? 'names' : `by ${holder.name}: names`} ignore case) — pick another`);
    h.room.remove(holder, 'replaced by a new connection');
    heldBy.member = undefined;
    heldBy.conn.close(CLOSE_REPLACED, 'replaced by a new connection');
  } else if (!h.reservations.admits(check.key, resume, Date.now())) {
    return refuse('name_taken', `the name ${check.name} is reserved for a moment for the person who had it before the server restarted — pick another or wait`);
  }
  const member = h.room.newMember({ name: check.name, key: check.key, address: s.address, keysFp, send: (x, bulk) => h.send(s, x, bulk), whenBelow: (n, cb) => s.conn.whenBelow(n, cb), ...(m.keys ? { keys: m.keys } : {}) });
  h.room.members.set(check.key, member);
  s.member = member;
  h.loggedIn(s.conn);
  h.known.remember(check.name, (err) => h.emit('log', `could not save names.json: ${err.message}`));
  if (m.keys) h.bundles.set(check.key, m.keys);
  const token = h.reservations.issue(check.key);
  const [first, ...rest] = chunkUsers([{ name: check.name, keys: keysFp }, ...h.room.userList()]);
  h.send(s, { t: 'welcome', name: check.name, users: first!, resume: token.toString('base64'), lastSeq: h.room.lastSeq });
  for (const users of rest) h.send(s, { t: 'users', users, append: true });
  h.room.admit(member, m.lastSeq).then(() => {
    if (!member.ready) return;
    // Who came or went while its replay was sent (it was not live to hear it): the whole list again.
    chunkUsers(h.room.userList()).forEach((users, i) => h.send(s, i ? { t: 'users', users, append: true } : { t: 'users', users }));
    h.emit('join', { user: member.name, address: s.address });
    h.saveReservations();
  }, (err: Error) => h.emit('log', `replay to ${member.name} failed: ${err.message}`));
}

/** Why `name` may not be taken because it looks like a present or known name (lib/names.ts skeletons), or ''. */
function lookalikeOf(h: LoginHost, name: string): string {
  const like = h.known.lookalike(name);
  if (like === undefined) return '';
  const where = h.room.members.has(usernameKey(like)) ? 'who is in the room' : 'who has been in this room before';
  return `the name ${name} looks like ${like}, ${where} — pick a name that looks different`;
}
