// Messages sent and not yet acknowledged as stored: resent after a reconnect (the server de-duplicates
// by sender and id), turned into the sender's own ChatMessage when the server says `delivered`.
import { randomBytes } from 'node:crypto';
import { ChatError } from '../errors.ts';
import { encodeMessage, type ClientMessage } from './messages.ts';
import type { ChatMessage } from './types.ts';

/** Largest encoded message the client sends, in bytes (the channel's 64 KiB less headroom). */
const MAX_ENCODED_BYTES = 60 * 1024;
/** Largest plain text, in bytes of UTF-8. */
const MAX_PLAIN_TEXT_BYTES = 16 * 1024;

interface Pending { m: ClientMessage; text: string; to?: string }

/** The unacknowledged messages, in the order they were sent. */
export class Outbox {
  private readonly pending = new Map<string, Pending>();

  get size(): number { return this.pending.size; }

  /** The messages to send again, oldest first. */
  messages(): ClientMessage[] { return [...this.pending.values()].map((p) => p.m); }

  /** Checks the size and keeps the message until acknowledged. Throws ChatError too_large. */
  add(id: string, m: ClientMessage, text: string, to?: string): void {
    const size = encodeMessage(m).length;
    if (size > MAX_ENCODED_BYTES) throw new ChatError('too_large', `message too large (${size} bytes encoded; the limit is about 60 KiB, 16 KiB of text)`);
    if (m.t === 'chat' && Buffer.byteLength(text) > MAX_PLAIN_TEXT_BYTES) throw new ChatError('too_large', 'message too large: at most 16 KiB of text');
    this.pending.set(id, to ? { m, text, to } : { m, text });
  }

  has(id: string): boolean { return this.pending.has(id); }

  /** The text of pending message `id`, if any. */
  text(id: string): string | undefined { return this.pending.get(id)?.text; }

  /** Replaces pending message `id` (sealed again), keeping its place and text. */
  replace(id: string, m: ClientMessage): void {
    const p = this.pending.get(id);
    if (p) p.m = m;
  }

  /** Forgets a message the server refused. */
  drop(id: string): void { this.pending.delete(id); }

  /** The server stored `id` as room seq `seq`: the sender's copy of it, or undefined if not ours or already done. */
  delivered(id: string, seq: number, from: string, ts: number): ChatMessage | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    return { id, seq, from, text: p.text, encrypted: p.m.t !== 'chat', ts, ...(p.to ? { to: p.to } : {}) };
  }
}

/** Message ids: a random prefix per process and a counter, unique per sender without a random draw each. */
const ID_PREFIX = randomBytes(9).toString('base64url');
let idCounter = 0;

export function newId(): string {
  return `${ID_PREFIX}${(idCounter++).toString(36)}`;
}
