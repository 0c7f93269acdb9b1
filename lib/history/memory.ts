// In-memory stand-ins for a client's history and known users, for clients that keep nothing on disk:
// a load generator simulating many machines in one process (`ChatClientOptions.persist = false`).
import type { ChatMessage } from './message.ts';
import type { ClientHistory, KnownUsers } from './room.ts';
import { userKey } from './store.ts';

/** What the client needs of its history copy. */
export type MessageStore = Pick<ClientHistory, 'lastSeq' | 'append' | 'recent' | 'flush' | 'close' | 'has'>;
/** What the client needs of its known users' keys. */
export type UserKeyStore = Pick<KnownUsers, 'get' | 'set'>;

/** Most messages an in-memory history keeps. */
const MEMORY_HISTORY_MAX = 1_000;

/** What MemoryHistory.append returns: settled, and never rejecting, so callers need not watch it. */
export const STORED: Promise<void> = Promise.resolve();

export class MemoryHistory implements MessageStore {
  lastSeq = 0;
  /** A ring of the newest MEMORY_HISTORY_MAX messages; `next` is where the next one goes. */
  private readonly messages: ChatMessage[] = [];
  private next = 0;
  /** (from, id) of the messages kept: the end-to-end replay guard. */
  private readonly ids = new Set<string>();

  has(from: string, id: string): boolean { return this.ids.has(JSON.stringify([from, id])); }

  /** Never fails, so it returns one settled promise rather than a new one per message. */
  append(m: ChatMessage): Promise<void> {
    if (m.seq > 0 && m.seq <= this.lastSeq) return STORED;
    if (m.seq > this.lastSeq) this.lastSeq = m.seq;
    this.ids.add(JSON.stringify([m.from, m.id]));
    if (this.messages.length < MEMORY_HISTORY_MAX) this.messages.push(m);
    else { const old = this.messages[this.next]!; this.ids.delete(JSON.stringify([old.from, old.id])); this.messages[this.next] = m; }
    this.next = (this.next + 1) % MEMORY_HISTORY_MAX;
    return STORED;
  }

  async recent(limit: number): Promise<ChatMessage[]> {
    const ordered = this.messages.length < MEMORY_HISTORY_MAX ? this.messages : [...this.messages.slice(this.next), ...this.messages.slice(0, this.next)];
    return ordered.slice(-limit);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}

export class MemoryKnownUsers implements UserKeyStore {
  private readonly users = new Map<string, { keys: string; since: number }>();
  get(user: string): { keys: string; since: number } | undefined { return this.users.get(userKey(user)); }
  async set(user: string, keys: string, now: number): Promise<void> { this.users.set(userKey(user), { keys, since: now }); }
}
