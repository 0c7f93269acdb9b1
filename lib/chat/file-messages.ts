// The messages of file transfers (issue 19; docs/PROTOCOL.md "## Files"). JSON, the same shapes in both
// directions: an offer (signed by the sender, lib/e2e/file-crypto.ts), an acknowledgement from the recipient
// (the first one accepts, and says from which chunk to start), a cancel from either side (or the server).
// The chunks themselves are binary (FILE_CHUNK_KIND). Decoders for messages.ts; they throw ProtocolError('bad_message').
import { ProtocolError } from '../errors.ts';

/** Offer a file (client → server: to offer.to; server → client: from offer.from). The offer is checked by the recipient. */
export interface FileOfferMessage { t: 'foffer'; offer: unknown }
/** Recipient: chunks below `next` are verified and written (the first fack accepts the offer). Relayed to the sender. */
export interface FileAckMessage { t: 'fack'; id: string; next: number }
/** Either side, or the server: the transfer `id` ends (declined, cancelled, failed, refused). */
export interface FileCancelMessage { t: 'fcancel'; id: string; reason: string }
export type FileMessage = FileOfferMessage | FileAckMessage | FileCancelMessage;

/** Longest reason in a cancel, in characters. */
const MAX_REASON_CHARS = 200;

function bad(message: string): never {
  throw new ProtocolError('bad_message', message);
}

function id(o: Record<string, unknown>): string {
  const v = o.id;
  if (typeof v !== 'string' || !/^[0-9a-f]{32}$/.test(v)) bad('field id must be a transfer id (32 hex digits)');
  return v;
}

/** Decodes a foffer, fack or fcancel (either direction). */
export function decodeFileMessage(o: Record<string, unknown>): FileMessage {
  switch (o.t) {
    case 'foffer':
      if (typeof o.offer !== 'object' || o.offer === null || Array.isArray(o.offer)) bad('offer must be an object');
      return { t: 'foffer', offer: o.offer };
    case 'fack': {
      const next = o.next;
      if (typeof next !== 'number' || !Number.isInteger(next) || next < 0 || next > 0xffff_ffff) bad('field next must be an integer 0..2^32-1');
      return { t: 'fack', id: id(o), next };
    }
    default: {
      const reason = o.reason;
      if (typeof reason !== 'string' || reason.length > MAX_REASON_CHARS) bad(`field reason must be a string of at most ${MAX_REASON_CHARS} characters`);
      return { t: 'fcancel', id: id(o), reason };
    }
  }
}
