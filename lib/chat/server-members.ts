// The server's handlers of the messages of a member in the room (ChatServer, lib/chat/server.ts, routes them
// here once logged in): chat, end-to-end encrypted room and direct messages, sender keys, key requests and
// keys given late, the user list, goodbye, and file transfers.
import { KEYS_BURST, KEYS_RATE_PER_S } from '../constants.ts';
import { bundleFingerprint, parseBundle } from '../e2e/keys.ts';
import { TokenBucket } from '../rate-limit.ts';
import type { FileMessage } from './file-messages.ts';
import { keysReply, type Bundle } from './key-requests.ts';
import { chunkUsers, type ClientMessage, type ServerMessage } from './messages.ts';
import { forwardSenderKey, type KeyHolders } from './room-e2e.ts';
import type { FileRelay } from './room-files.ts';
import type { Room } from './room.ts';
import type { Session } from './server-login.ts';
import { checkUsername } from './username.ts';

export type Handler = (s: Session, m: ClientMessage) => void;

/** What a member's messages reach of the server. */
export interface MemberHost {
  readonly room: Room;
  /** Send Encrypted: who was given each sender's current key (issue 15). */
  readonly holders: KeyHolders;
  /** Members' public key bundles by folded name, for `keys` requests. */
  readonly bundles: Map<string, Bundle>;
  readonly files: FileRelay;
  /** The server key's fingerprint: the room envelopes are sealed for. */
  readonly fingerprint: string;
  send(s: Session, m: ServerMessage): void;
  /** Checks an envelope's shape and claimed sender, id, room and context; if wrong, answers bad_message and returns false. */
  envelopeOk(s: Session, id: string, env: unknown, to?: string): boolean;
}

/** The handlers of every message but `auth` and `join` (lib/chat/server-login.ts); each runs only for a member. */
export function memberHandlers(h: MemberHost): Record<Exclude<ClientMessage['t'], 'auth' | 'join'>, Handler> {
  return {
    chat: (s, m) => { const c = m as Extract<ClientMessage, { t: 'chat' }>; h.room.submit(s.member!, c.id, { text: c.text }); },
    enc: (s, m) => {
      const c = m as Extract<ClientMessage, { t: 'enc' }>;
      if (h.envelopeOk(s, c.id, c.env)) h.room.submit(s.member!, c.id, { env: c.env });
    },
    dm: (s, m) => {
      const c = m as Extract<ClientMessage, { t: 'dm' }>;
      const name = checkUsername(c.to);
      const to = name.ok ? h.room.members.get(name.key) : undefined;
      if (!h.envelopeOk(s, c.id, c.env, to?.name ?? c.to)) return;
      if (!h.room.direct(s.member!, c.id, to, c.env)) h.send(s, { t: 'error', code: 'no_such_user', message: `${c.to} is not in the room`, id: c.id });
    },
    skey: (s, m) => {
      const k = m as Extract<ClientMessage, { t: 'skey' }>;
      const name = checkUsername(k.to);
      const err = forwardSenderKey(h.holders, h.fingerprint, s.member!, name.ok ? h.room.members.get(name.key) : undefined, k);
      if (err) h.send(s, { t: 'error', ...err });
    },
    keys: (s, m) => {
      const now = Date.now();
      const wait = (s.keysRate ??= new TokenBucket(KEYS_RATE_PER_S, KEYS_BURST, now)).take(now, 0);
      if (wait > 0) return h.send(s, { t: 'error', code: 'rate_limited', message: `too many key requests — try again in ${wait} ms`, retryAfterMs: wait });
      h.send(s, { t: 'keys', bundles: keysReply((m as Extract<ClientMessage, { t: 'keys' }>).users, h.bundles) });
    },
    mykeys: (s, m) => onLateKeys(h, s, (m as Extract<ClientMessage, { t: 'mykeys' }>).keys),
    users: (s) => chunkUsers(h.room.userList()).forEach((users, i) => h.send(s, i ? { t: 'users', users, append: true } : { t: 'users', users })),
    bye: (s) => s.conn.close(0, 'bye'),
    foffer: (s, m) => h.files.message(s.member!, m as FileMessage),
    fack: (s, m) => h.files.message(s.member!, m as FileMessage),
    fcancel: (s, m) => h.files.message(s.member!, m as FileMessage),
  };
}

/**
 * A member that joined without keys gives them (its client was still making them): once per session. The
 * others hear them in a `keys` presence event, and every sender's key is owed to it again.
 */
function onLateKeys(h: MemberHost, s: Session, keys: Bundle): void {
  const member = s.member!;
  let fp: string;
  try { parseBundle(keys); fp = bundleFingerprint(keys); } catch { return h.send(s, { t: 'error', code: 'bad_keys', message: 'your public keys are malformed' }); }
  if (member.keysFp) return h.send(s, { t: 'error', code: 'bad_keys', message: 'your keys were given already in this session' });
  member.keys = keys;
  member.keysFp = fp;
  h.bundles.set(member.key, keys);
  h.holders.forget(member);
  h.room.keysGiven(member);
}
