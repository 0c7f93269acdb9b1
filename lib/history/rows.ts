// How a room message is stored: the StoredMessage shape, checked on the way in, rebuilt on the way out.
import type { Doc } from './lines.ts';

/** One message of the server's room history. */
export interface StoredMessage {
  /** Room sequence number (server-assigned, 1, 2, 3 …, gap-free); 0 for direct messages. */
  seq: number;
  /** Client message id. */
  id: string;
  from: string;
  /** ms since the epoch. */
  ts: number;
  /** Plain room message. */
  text?: string;
  /** End-to-end encrypted envelope (JSON-able object): stored as is, never inspected here. */
  envelope?: unknown;
  /** Direct message recipient. */
  to?: string;
}

/**
 * The document form. The envelope is kept as a JSON string: NeDB refuses field names with "." or a leading
 * "$", and an envelope is not ours to inspect; a string also hands every reader its own copy.
 */
export interface Row { seq: number; id: string; from: string; ts: number; text?: string; env?: string; to?: string }

/** _id of the document that opens each segment with the room sequence number before it. */
export const BASE_ID = '~base';

function isSeq(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** The document for a message. Throws TypeError for a malformed message (a bug in the caller). */
export function toRow(msg: StoredMessage): Row {
  if (!isSeq(msg.seq)) throw new TypeError(`seq must be an integer ≥ 0, got ${String(msg.seq)}`);
  if (typeof msg.id !== 'string' || typeof msg.from !== 'string') throw new TypeError('id and from must be strings');
  if (!Number.isFinite(msg.ts)) throw new TypeError(`ts must be a number of ms, got ${String(msg.ts)}`);
  if (msg.text !== undefined && typeof msg.text !== 'string') throw new TypeError('text must be a string');
  if (msg.to !== undefined && typeof msg.to !== 'string') throw new TypeError('to must be a string');
  if (msg.seq === 0 && msg.to === undefined) throw new TypeError('a message with seq 0 is a direct message and needs `to`');
  const row: Row = { seq: msg.seq, id: msg.id, from: msg.from, ts: msg.ts };
  if (msg.text !== undefined) row.text = msg.text;
  if (msg.envelope !== undefined) {
    const env: unknown = JSON.stringify(msg.envelope);
    if (typeof env !== 'string') throw new TypeError('envelope must be JSON-able');
    row.env = env;
  }
  if (msg.text === undefined && row.env === undefined) throw new TypeError('a message needs text or an envelope');
  if (msg.to !== undefined) row.to = msg.to;
  return row;
}

/** The message in a document read from disk, or undefined when it is not one. */
export function rowOf(doc: Doc): Row | undefined {
  const { seq, id, from, ts, text, env, to } = doc;
  if (!isSeq(seq) || typeof id !== 'string' || typeof from !== 'string' || typeof ts !== 'number') return undefined;
  if ((text !== undefined && typeof text !== 'string') || (env !== undefined && typeof env !== 'string')) return undefined;
  if (to !== undefined && typeof to !== 'string') return undefined;
  const row: Row = { seq, id, from, ts };
  if (text !== undefined) row.text = text;
  if (env !== undefined) row.env = env;
  if (to !== undefined) row.to = to;
  return row;
}

/** The message a caller sees: a fresh object with the envelope parsed back. */
export function fromRow(row: Row): StoredMessage {
  const msg: StoredMessage = { seq: row.seq, id: row.id, from: row.from, ts: row.ts };
  if (row.text !== undefined) msg.text = row.text;
  if (row.env !== undefined) msg.envelope = JSON.parse(row.env) as unknown;
  if (row.to !== undefined) msg.to = row.to;
  return msg;
}

/** What one segment file holds: its room messages, its base (room seq before it, if recorded) and its message count. */
export interface SegmentContent { rows: Row[]; base: number | undefined; count: number }

/** Sorts a segment's documents into messages and its base marker. */
export function segmentContent(docs: Doc[]): SegmentContent {
  const rows: Row[] = [];
  let base: number | undefined;
  let count = 0;
  for (const doc of docs) {
    if (doc._id === BASE_ID) {
      if (isSeq(doc.baseSeq)) base = doc.baseSeq;
      continue;
    }
    const row = rowOf(doc);
    if (!row) continue;
    count++;
    if (row.seq > 0) rows.push(row);
  }
  return { rows, base, count };
}
