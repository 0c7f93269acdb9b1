// The client's requests that wait for the server's answer, apart from the hello and the join: the password
// proof (CPace, lib/chat/pake.ts) and the public keys of named users, asked in chunks the server accepts.
// Each goes out through its client's send and waits on its client's Waiters.
import { KEYS_MAX_NAMES } from '../constants.ts';
import { ChatError } from '../errors.ts';
import type { SecureLink } from '../net/client-endpoint.ts';
import type { Waiters } from '../waiters.ts';
import type { Bundle } from './key-requests.ts';
import type { ClientMessage, ServerMessage } from './messages.ts';
import { answerLogin, serverProved } from './pake.ts';

/** How a request reaches the server, and where its answer comes back. */
export interface Requester {
  waiters: Waiters<ServerMessage>;
  send(m: ClientMessage): void;
}

/**
 * One CPace login on `link` against the server's message `share`; resolves once the server has proved that it
 * knows the password too. Rejects ChatError wrong_password or rate_limited; a refusal's new server message
 * (for the next attempt) goes to `next` first.
 */
export async function provePassword(r: Requester, link: SecureLink, password: string, share: Buffer, next: (share: Buffer) => void): Promise<void> {
  const refused = new ChatError('wrong_password', 'wrong password — or this server is not the room you meant');
  const answer = answerLogin(password, { sid: link.conn.sessionHash, fingerprint: link.fingerprint, connId: link.conn.connId }, share);
  if (!answer) throw refused;
  const reply = r.waiters.wait((m) => m.t === 'auth_ok' || (m.t === 'error' && ['wrong_password', 'rate_limited'].includes(m.code)));
  r.send({ t: 'auth', pake: answer.message.toString('base64'), mac: answer.tag.toString('base64') });
  const m = await reply;
  if (m.t === 'error' && m.pake) next(Buffer.from(m.pake, 'base64'));
  if (m.t === 'error' && m.code === 'rate_limited') throw new ChatError('rate_limited', m.message, m.retryAfterMs ? { retryAfterMs: m.retryAfterMs } : undefined);
  if (m.t !== 'auth_ok' || !serverProved(answer, Buffer.from(m.mac, 'base64'))) throw refused;
}

/**
 * The public key bundles of `names` that the server has: at most KEYS_MAX_NAMES names a request (the server's
 * limit); a request refused for its rate is tried again once, after the wait the server asked for (at most 2 s).
 */
export async function requestKeys(r: Requester, names: string[]): Promise<Record<string, Bundle>> {
  const out: Record<string, Bundle> = {};
  for (let i = 0; i < names.length; i += KEYS_MAX_NAMES) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = r.waiters.wait((m) => m.t === 'keys' || (m.t === 'error' && m.code === 'rate_limited'), 10_000);
      r.send({ t: 'keys', users: names.slice(i, i + KEYS_MAX_NAMES) });
      const m = await reply;
      if (m.t === 'keys') { Object.assign(out, m.bundles); break; }
      if (m.t === 'error') await new Promise((ok) => setTimeout(ok, Math.min(m.retryAfterMs ?? 1_000, 2_000)));
    }
  }
  return out;
}
