// Messages sent and not yet acknowledged as stored: resent after a reconnect (the server de-duplicates
// by sender and id), turned into the sender's own ChatMessage when the server says `delivered`.
import { randomBytes } from 'node:crypto';
import { ChatError } from '../errors.ts';
import { encodeMessage, type ClientMessage } from './messages.ts';
import type { ChatMessage } from './types.ts';
import type { PendingEntry, PendingFile } from '../history/pending.ts';

/** Largest encoded message the client sends, in bytes (the channel's 64 KiB less headroom). */
const MAX_ENCODED_BYTES = 60 * 1024;
/** Largest plain text, in bytes of UTF-8. */
const MAX_PLAIN_TEXT_BYTES = 16 * 1024;

interface Pending { m: ClientMessage; text: string; to?: string }

/** The unacknowledged messages, in the order they were sent. */
export class Outbox {
  private readonly pending = new Map<string, Pending>();
  private file: PendingFile | undefined;

  get size(): number { return this.pending.size; }

  /** Resolves true once every message is stored, false after `timeoutMs` or when `closed()` says so. */
  async drain(timeoutMs: number, closed: () => boolean): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.size && Date.now() < until && !closed()) await new Promise((r) => setTimeout(r, 20));
    return this.size === 0;
  }

  /** The messages to send again, oldest first. */
  messages(): ClientMessage[] { return [...this.pending.values()].map((p) => p.m); }

  /** Checks the size and keeps the message until acknowledged. Throws ChatError too_large. */
  add(id: string, m: ClientMessage, text: string, to?: string): void {
    const size = encodeMessage(m).length;
    if (size > MAX_ENCODED_BYTES) throw new ChatError('too_large', `message too large (${size} bytes encoded; the limit is about 60 KiB, 16 KiB of text)`);
    if (m.t === 'chat' && Buffer.byteLength(text) > MAX_PLAIN_TEXT_BYTES) throw new ChatError('too_large', 'message too large: at most 16 KiB of text');
    this.pending.set(id, to ? { m, text, to } : { m, text });
    this.file?.add({ id, wire: JSON.stringify(m), text, ...(to ? { to } : {}), ts: Date.now() });
  }

  /**
   * Keeps the unsent messages in `file` from now on (written through), and takes in those an earlier run
   * left there; returns those, oldest first, for the window to show as not yet sent.
   */
  attach(file: PendingFile): PendingEntry[] {
    this.file = file;
    const earlier = file.entries().filter((e) => !this.pending.has(e.id));
    for (const e of earlier) this.pending.set(e.id, { m: JSON.parse(e.wire) as ClientMessage, text: e.text, ...(e.to ? { to: e.to } : {}) });
    for (const [id, p] of this.pending) {
      if (!earlier.some((e) => e.id === id)) file.add({ id, wire: JSON.stringify(p.m), text: p.text, ...(p.to ? { to: p.to } : {}), ts: Date.now() });
    }
    return earlier;
  }

  /** The file the unsent messages are kept in, if any (to flush it, and to open another after a name change). */
  get store(): PendingFile | undefined { return this.file; }

  /** The unsent messages, oldest first, as the window shows them. */
  list(): Array<{ id: string; text: string; encrypted: boolean; to?: string }> {
    return [...this.pending].map(([id, p]) => ({ id, text: p.text, encrypted: p.m.t !== 'chat', ...(p.to ? { to: p.to } : {}) }));
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
  drop(id: string): void {
    if (this.pending.delete(id)) this.file?.done(id);
  }

  /** The server stored `id` as room seq `seq`: the sender's copy of it, or undefined if not ours or already done. */
  delivered(id: string, seq: number, from: string, ts: number): ChatMessage | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    this.file?.done(id);
    return { id, seq, from, text: p.text, encrypted: p.m.t !== 'chat', ts, ...(p.to ? { to: p.to } : {}) };
  }
}

/** Message ids: a random prefix per process and a counter, unique per sender without a random draw each. */
const ID_PREFIX = randomBytes(9).toString('base64url');
let idCounter = 0;

export function newId(): string {
  return `${ID_PREFIX}${(idCounter++).toString(36)}`;
}
