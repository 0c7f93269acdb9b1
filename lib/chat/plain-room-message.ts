// The plain room message from the server, the hottest message, in a binary layout rather than JSON
// (lib/chat/messages.ts tells them apart by the first byte and decodes both):
//   kind u8 = 0x01 | seq u48 | ts u48 (ms since the epoch) | id len u8 | id | from len u8 | from | text
//   Integers are big-endian, strings UTF-8; the text is the rest of the message (the channel keeps
//   message boundaries). Decoding validates as the JSON path does and throws ProtocolError('bad_message' or 'too_large').
import { MAX_TEXT_BYTES } from '../constants.ts';
import { ProtocolError } from '../errors.ts';
import type { ServerMessage, WireChat } from './messages.ts';

/** Longest client message id, in characters. */
export const MAX_ID_CHARS = 64;
/** First byte of a binary plain room message. */
export const PLAIN_ROOM_MESSAGE_KIND = 0x01;
/** Largest seq or ts a binary room message carries (u48). */
const MAX_U48 = 2 ** 48 - 1;
/** Longest `from` a binary room message carries, in UTF-8 bytes (its length is one byte). */
const MAX_FROM_BYTES = 255;
/** Bytes of a binary room message besides its strings: kind, seq, ts, id length, from length. */
const ROOM_MESSAGE_FIXED_BYTES = 15;
/** Offset of the id length byte. */
const ID_LENGTH_AT = 13;

function u48(v: number, field: string): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > MAX_U48) throw new RangeError(`${field} must be an integer from 0 to 2^48 - 1, got ${v}`);
}

/**
 * Encodes `{ t: 'msg', m }` for a plain room message (text, no env or to) in the binary layout at the
 * top of this file; decodeServerMessage reads it back. Throws RangeError if `m` has env or to, has no
 * text, its seq or ts is not an integer in [0, 2^48), its id exceeds MAX_ID_CHARS characters or its
 * from exceeds 255 UTF-8 bytes.
 */
export function encodePlainRoomMessage(m: WireChat): Buffer {
  if (m.env !== undefined) throw new RangeError('an encrypted message (env) has no binary layout: encode it as JSON');
  if (m.to !== undefined) throw new RangeError('a direct message (to) has no binary layout: encode it as JSON');
  if (typeof m.text !== 'string') throw new RangeError('a plain room message needs a text');
  u48(m.seq, 'seq');
  u48(m.ts, 'ts');
  if (m.id.length > MAX_ID_CHARS) throw new RangeError(`id must be at most ${MAX_ID_CHARS} characters, got ${m.id.length}`);
  // At most 3 bytes per UTF-16 unit, so an id within MAX_ID_CHARS (64) always fits its length byte.
  const idBytes = Buffer.byteLength(m.id, 'utf8');
  const fromBytes = Buffer.byteLength(m.from, 'utf8');
  if (fromBytes > MAX_FROM_BYTES) throw new RangeError(`from must be at most ${MAX_FROM_BYTES} UTF-8 bytes, got ${fromBytes}`);
  const textBytes = Buffer.byteLength(m.text, 'utf8');
  const buf = Buffer.allocUnsafe(ROOM_MESSAGE_FIXED_BYTES + idBytes + fromBytes + textBytes);
  buf[0] = PLAIN_ROOM_MESSAGE_KIND;
  buf.writeUIntBE(m.seq, 1, 6);
  buf.writeUIntBE(m.ts, 7, 6);
  buf[ID_LENGTH_AT] = idBytes;
  let at = ID_LENGTH_AT + 1 + buf.write(m.id, ID_LENGTH_AT + 1, idBytes, 'utf8');
  buf[at++] = fromBytes;
  at += buf.write(m.from, at, fromBytes, 'utf8');
  at += buf.write(m.text, at, textBytes, 'utf8');
  // allocUnsafe: a byte left unwritten would leak old memory to every member.
  if (at !== buf.length) throw new Error(`bug: wrote ${at} of ${buf.length} bytes of a room message`);
  return buf;
}

function bad(message: string): never {
  throw new ProtocolError('bad_message', message);
}

function tooLarge(): never {
  throw new ProtocolError('too_large', `text exceeds ${MAX_TEXT_BYTES} bytes`);
}

/** Decodes the binary plain room message (first byte already checked by decodeServerMessage); validates as the JSON path does. */
export function decodePlainRoomMessage(buf: Buffer): ServerMessage {
  if (buf.length < ROOM_MESSAGE_FIXED_BYTES) bad(`room message truncated: ${buf.length} bytes, its fixed fields need ${ROOM_MESSAGE_FIXED_BYTES}`);
  const idEnd = ID_LENGTH_AT + 1 + buf[ID_LENGTH_AT]!;
  // idEnd is also where the from length byte sits, so it must lie inside the buffer.
  if (idEnd >= buf.length) bad(`room message truncated: id of ${buf[ID_LENGTH_AT]} bytes runs past the end of ${buf.length} bytes`);
  const fromEnd = idEnd + 1 + buf[idEnd]!;
  if (fromEnd > buf.length) bad(`room message truncated: from of ${buf[idEnd]} bytes runs past the end of ${buf.length} bytes`);
  if (buf.length - fromEnd > MAX_TEXT_BYTES) tooLarge();
  const id = buf.toString('utf8', ID_LENGTH_AT + 1, idEnd);
  if (id.length > MAX_ID_CHARS) bad(`field id must be a string of at most ${MAX_ID_CHARS} characters`);
  // from is at most 255 bytes, hence at most 255 characters: within the JSON path's limit of 256.
  const from = buf.toString('utf8', idEnd + 1, fromEnd);
  const text = buf.toString('utf8', fromEnd);
  // Invalid UTF-8 decodes to U+FFFD (3 bytes), so the decoded text can outgrow its bytes; the JSON path
  // limits the decoded text. Measure only when it could exceed the limit (never for short texts).
  if (text.length * 3 > MAX_TEXT_BYTES && Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) tooLarge();
  return { t: 'msg', m: { seq: buf.readUIntBE(1, 6), id, from, ts: buf.readUIntBE(7, 6), text } };
}
