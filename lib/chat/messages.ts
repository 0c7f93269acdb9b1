// Application messages carried by the channel inside the sealed session: JSON objects with a type `t`,
// except the plain room message from the server, the hottest message, which has a binary layout.
// The first byte tells them apart: JSON always starts with '{' (0x7b). The binary layout is in
// lib/chat/plain-room-message.ts; encrypted, direct and replayed messages stay JSON.
//
// The decoders validate every field a peer could get wrong and throw ProtocolError('bad_message' or 'too_large').
import { KEYS_MAX_NAMES, MAX_TEXT_BYTES } from '../constants.ts';
import { ProtocolError } from '../errors.ts';
import { decodeClientSenderKey, decodeRekey, decodeServerSenderKey, type ClientSenderKey, type ServerRekey, type ServerSenderKey } from './sk-messages.ts';
import { decodeFileMessage, type FileMessage } from './file-messages.ts';
import { decodePlainRoomMessage, MAX_ID_CHARS, PLAIN_ROOM_MESSAGE_KIND } from './plain-room-message.ts';

export { encodePlainRoomMessage, MAX_ID_CHARS, PLAIN_ROOM_MESSAGE_KIND } from './plain-room-message.ts';

/** A room or direct message as it travels from the server to a client. */
export interface WireChat {
  seq: number;
  id: string;
  from: string;
  ts: number;
  text?: string;
  env?: unknown;
  to?: string;
}

export interface WireUser { name: string; keys: string }

/** Client → server. */
export type ClientMessage =
  | { t: 'auth'; pake: string; mac: string }
  | { t: 'join'; name: string; lastSeq: number; keys?: { enc: string; sig: string }; resume?: string }
  | { t: 'chat'; id: string; text: string }
  | { t: 'enc'; id: string; env: unknown }
  | { t: 'dm'; id: string; to: string; env: unknown }
  | { t: 'keys'; users: string[] }
  | { t: 'mykeys'; keys: { enc: string; sig: string } }
  | { t: 'users' }
  | { t: 'bye' }
  | ClientSenderKey | FileMessage;

/** Server → client. */
export type ServerMessage =
  | { t: 'hello'; pake: string; reset: string }
  | { t: 'auth_ok'; mac: string }
  | { t: 'welcome'; name: string; users: WireUser[]; resume: string; lastSeq: number }
  | { t: 'replay'; messages: WireChat[]; missed: number; done: boolean }
  | { t: 'msg'; m: WireChat }
  | { t: 'delivered'; id: string; seq: number }
  | { t: 'keys'; bundles: Record<string, { enc: string; sig: string }> }
  | { t: 'users'; users: WireUser[]; append?: boolean }
  | { t: 'join'; user: WireUser }
  | { t: 'leave'; user: string }
  | { t: 'presence'; events: PresenceEvent[] }
  | { t: 'notice'; text: string }
  | { t: 'error'; code: string; message: string; id?: string; retryAfterMs?: number; pake?: string }
  | ServerSenderKey | ServerRekey | FileMessage;

/**
 * A join or a leave, alone or (the server's way) batched in a `presence` message; or `keys`: a present member
 * who joined without keys has given them (`mykeys`), with its bundle fingerprint.
 */
export type PresenceEvent = { t: 'join'; user: WireUser } | { t: 'leave'; user: string } | { t: 'keys'; user: WireUser };

/** Joins and leaves in one `presence` message (64 KiB limit: a name and a fingerprint take well under 300 bytes). */
export const PRESENCE_PER_MESSAGE = 200;

/** Users listed in one message; a longer list follows in `users` messages with `append` (64 KiB limit). */
export const USERS_PER_MESSAGE = 400;

/** Splits a user list into message-sized chunks (at least one, possibly empty). */
export function chunkUsers(list: WireUser[]): WireUser[][] {
  const out: WireUser[][] = [];
  for (let i = 0; i < list.length; i += USERS_PER_MESSAGE) out.push(list.slice(i, i + USERS_PER_MESSAGE));
  return out.length ? out : [[]];
}

/** Longest base64 login field (a CPace message is 50 bytes, a tag 64), in characters. */
const MAX_LOGIN_FIELD_CHARS = 128;

/** First byte of every JSON message: '{'. */
const JSON_FIRST_BYTE = 0x7b;

/** Encodes a message as JSON. Throws whatever JSON.stringify throws. */
export function encodeMessage(m: ClientMessage | ServerMessage): Buffer {
  return Buffer.from(JSON.stringify(m), 'utf8');
}

function bad(message: string): never {
  throw new ProtocolError('bad_message', message);
}

function tooLarge(): never {
  throw new ProtocolError('too_large', `text exceeds ${MAX_TEXT_BYTES} bytes`);
}

function parse(buf: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch {
    bad('message is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('message is not an object');
  if (typeof (v as { t?: unknown }).t !== 'string') bad('message has no type');
  return v as Record<string, unknown>;
}

function str(o: Record<string, unknown>, k: string, max: number): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length > max) bad(`field ${k} must be a string of at most ${max} characters`);
  return v;
}

function int(o: Record<string, unknown>, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`field ${k} must be a non-negative integer`);
  return v;
}

/** The text field; a text over MAX_TEXT_BYTES throws `too_large`, naming the message `id` when given. */
function text(o: Record<string, unknown>, id?: string): string {
  const v = str(o, 'text', MAX_TEXT_BYTES * 4);
  if (Buffer.byteLength(v, 'utf8') <= MAX_TEXT_BYTES) return v;
  if (id === undefined) tooLarge();
  throw new ProtocolError('too_large', `text of message ${id} exceeds ${MAX_TEXT_BYTES} bytes`, { id });
}

function bundle(v: unknown): { enc: string; sig: string } {
  const o = v as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) bad('keys must be an object');
  return { enc: str(o, 'enc', 4096), sig: str(o, 'sig', 4096) };
}

function envelope(o: Record<string, unknown>): unknown {
  const env = o.env;
  if (typeof env !== 'object' || env === null || Array.isArray(env)) bad('env must be an object');
  return env;
}

/** Decodes and validates a message from a client. Throws ProtocolError ('bad_message', 'too_large'). */
export function decodeClientMessage(buf: Buffer): ClientMessage {
  const o = parse(buf);
  switch (o.t) {
    case 'auth': return { t: 'auth', pake: str(o, 'pake', MAX_LOGIN_FIELD_CHARS), mac: str(o, 'mac', MAX_LOGIN_FIELD_CHARS) };
    case 'join': {
      const m: ClientMessage = { t: 'join', name: str(o, 'name', 256), lastSeq: int(o, 'lastSeq') };
      if (o.keys !== undefined) m.keys = bundle(o.keys);
      if (o.resume !== undefined) m.resume = str(o, 'resume', 128);
      return m;
    }
    case 'chat': { const id = str(o, 'id', MAX_ID_CHARS); return { t: 'chat', id, text: text(o, id) }; }
    case 'enc': return { t: 'enc', id: str(o, 'id', MAX_ID_CHARS), env: envelope(o) };
    case 'dm': return { t: 'dm', id: str(o, 'id', MAX_ID_CHARS), to: str(o, 'to', 256), env: envelope(o) };
    case 'keys': {
      const users = o.users;
      if (!Array.isArray(users) || users.length > KEYS_MAX_NAMES || users.some((u) => typeof u !== 'string' || u.length > 256)) bad(`users must be a list of at most ${KEYS_MAX_NAMES} names`);
      return { t: 'keys', users: users as string[] };
    }
    case 'mykeys': return { t: 'mykeys', keys: bundle(o.keys) };
    case 'users': return { t: 'users' };
    case 'bye': return { t: 'bye' };
    case 'skey': return decodeClientSenderKey(o);
    case 'foffer': case 'fack': case 'fcancel': return decodeFileMessage(o);
    default: bad(`unknown message type ${JSON.stringify(o.t).slice(0, 40)}`);
  }
}

function chat(v: unknown): WireChat {
  const o = v as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) bad('message entry must be an object');
  const m: WireChat = { seq: int(o, 'seq'), id: str(o, 'id', MAX_ID_CHARS), from: str(o, 'from', 256), ts: int(o, 'ts') };
  if (o.text !== undefined) m.text = text(o);
  if (o.env !== undefined) m.env = envelope(o);
  if (o.to !== undefined) m.to = str(o, 'to', 256);
  if (m.text === undefined && m.env === undefined) bad('message entry has neither text nor env');
  return m;
}

function users(v: unknown): WireUser[] {
  if (!Array.isArray(v) || v.length > 100_000) bad('users must be a list');
  return v.map((u) => {
    if (typeof u !== 'object' || u === null) bad('user must be an object');
    return { name: str(u as Record<string, unknown>, 'name', 256), keys: str(u as Record<string, unknown>, 'keys', 256) };
  });
}

function presenceEvent(v: unknown): PresenceEvent {
  const o = v as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) bad('presence event must be an object');
  if (o.t === 'join') return { t: 'join', user: users([o.user])[0]! };
  if (o.t === 'leave') return { t: 'leave', user: str(o, 'user', 256) };
  if (o.t === 'keys') return { t: 'keys', user: users([o.user])[0]! };
  bad('presence event must be a join, a leave or keys');
}

/**
 * Decodes and validates a message from the server: JSON, or a binary plain room message (see the top
 * of this file). Throws ProtocolError ('bad_message', or 'too_large' for a text over MAX_TEXT_BYTES).
 */
export function decodeServerMessage(buf: Buffer): ServerMessage {
  const kind = buf[0];
  if (kind === PLAIN_ROOM_MESSAGE_KIND) return decodePlainRoomMessage(buf);
  if (kind !== JSON_FIRST_BYTE) bad(kind === undefined ? 'empty message' : `unknown message kind 0x${kind.toString(16).padStart(2, '0')}: neither JSON nor a binary room message`);
  const o = parse(buf);
  switch (o.t) {
    case 'hello': return { t: 'hello', pake: str(o, 'pake', MAX_LOGIN_FIELD_CHARS), reset: str(o, 'reset', 64) };
    case 'auth_ok': return { t: 'auth_ok', mac: str(o, 'mac', MAX_LOGIN_FIELD_CHARS) };
    case 'welcome': return { t: 'welcome', name: str(o, 'name', 256), users: users(o.users), resume: str(o, 'resume', 128), lastSeq: int(o, 'lastSeq') };
    case 'replay': {
      if (!Array.isArray(o.messages)) bad('messages must be a list');
      return { t: 'replay', messages: o.messages.map(chat), missed: int(o, 'missed'), done: o.done === true };
    }
    case 'msg': return { t: 'msg', m: chat(o.m) };
    case 'delivered': return { t: 'delivered', id: str(o, 'id', MAX_ID_CHARS), seq: int(o, 'seq') };
    case 'keys': {
      const b = o.bundles as Record<string, unknown> | null;
      if (typeof b !== 'object' || b === null || Array.isArray(b)) bad('bundles must be an object');
      const bundles: Record<string, { enc: string; sig: string }> = {};
      for (const [name, v] of Object.entries(b)) bundles[name] = bundle(v);
      return { t: 'keys', bundles };
    }
    case 'users': return o.append === true ? { t: 'users', users: users(o.users), append: true } : { t: 'users', users: users(o.users) };
    case 'join':
    case 'leave': return presenceEvent(o) as Extract<ServerMessage, { t: 'join' | 'leave' }>;
    case 'presence': {
      if (!Array.isArray(o.events) || o.events.length > PRESENCE_PER_MESSAGE) bad(`events must be a list of at most ${PRESENCE_PER_MESSAGE}`);
      return { t: 'presence', events: o.events.map(presenceEvent) };
    }
    case 'notice': return { t: 'notice', text: str(o, 'text', 1024) };
    case 'skey': return decodeServerSenderKey(o);
    case 'rekey': return decodeRekey(o);
    case 'foffer': case 'fack': case 'fcancel': return decodeFileMessage(o);
    case 'error': {
      const m: ServerMessage = { t: 'error', code: str(o, 'code', 64), message: str(o, 'message', 1024) };
      if (o.id !== undefined) m.id = str(o, 'id', MAX_ID_CHARS);
      if (o.retryAfterMs !== undefined) m.retryAfterMs = int(o, 'retryAfterMs');
      if (o.pake !== undefined) m.pake = str(o, 'pake', MAX_LOGIN_FIELD_CHARS);
      return m;
    }
    default: bad(`unknown message type ${JSON.stringify(o.t).slice(0, 40)}`);
  }
}
