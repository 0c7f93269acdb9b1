// The messages of Send Encrypted with sender keys (docs/PROTOCOL.md, "Send Encrypted (sender keys)"):
// a sender key on its way to one member, and the server's refusal of a room message whose sender has not
// given its current key to everyone present. Decoders for messages.ts; they throw ProtocolError('bad_message').
import { ProtocolError } from '../errors.ts';

/** Client → server: give `to` this client's sender key of `epoch` (env), or say it cannot (no env). */
export interface ClientSenderKey { t: 'skey'; to: string; epoch: number; env?: unknown }
/** Server → client: `from`'s sender key of `epoch` for you (env), or `from` could not give you one (no env). */
export interface ServerSenderKey { t: 'skey'; from: string; epoch: number; env?: unknown }
/** Server → client: your room message `id` (sealed with `epoch`) was not stored: these members lack that key. */
export interface ServerRekey { t: 'rekey'; id: string; epoch: number; missing: string[] }

/** Most names one rekey lists (the server sends the first ones; the client's resend then finds the rest). */
export const REKEY_NAMES_MAX = 1000;
const U32 = 0xffff_ffff;

function bad(message: string): never {
  throw new ProtocolError('bad_message', message);
}

function name(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length === 0 || v.length > 256) bad(`field ${k} must be a name`);
  return v;
}

function epoch(o: Record<string, unknown>): number {
  const v = o.epoch;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > U32) bad('field epoch must be an integer 0..2^32-1');
  return v;
}

function env(o: Record<string, unknown>): unknown {
  if (o.env === undefined) return undefined;
  if (typeof o.env !== 'object' || o.env === null || Array.isArray(o.env)) bad('env must be an object');
  return o.env;
}

export function decodeClientSenderKey(o: Record<string, unknown>): ClientSenderKey {
  const e = env(o);
  return e === undefined ? { t: 'skey', to: name(o, 'to'), epoch: epoch(o) } : { t: 'skey', to: name(o, 'to'), epoch: epoch(o), env: e };
}

export function decodeServerSenderKey(o: Record<string, unknown>): ServerSenderKey {
  const e = env(o);
  return e === undefined ? { t: 'skey', from: name(o, 'from'), epoch: epoch(o) } : { t: 'skey', from: name(o, 'from'), epoch: epoch(o), env: e };
}

export function decodeRekey(o: Record<string, unknown>): ServerRekey {
  const missing = o.missing;
  if (!Array.isArray(missing) || missing.length > REKEY_NAMES_MAX) bad(`missing must be a list of at most ${REKEY_NAMES_MAX} names`);
  if (typeof o.id !== 'string' || o.id.length > 64) bad('field id must be a message id');
  return { t: 'rekey', id: o.id, epoch: epoch(o), missing: missing.map((_, i) => name(missing as unknown as Record<string, unknown>, String(i))) };
}
