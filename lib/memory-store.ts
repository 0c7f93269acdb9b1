// In-memory stand-ins for a client's history and known users, for clients that keep nothing on disk:
// a load generator simulating many machines in one process (`ChatClientOptions.persist = false`).
import type { ChatMessage } from './chat-types.ts';
import type { ClientHistory, KnownUsers } from './history.ts';
import { userKey } from './history-store.ts';

/** What the client needs of its history copy. */
export type MessageStore = Pick<ClientHistory, 'lastSeq' | 'append' | 'recent' | 'flush' | 'close'>;
/** What the client needs of its known users' keys. */
export type UserKeyStore = Pick<KnownUsers, 'get' | 'set'>;

/** Most messages an in-memory history keeps. */
const MEMORY_HISTORY_MAX = 1_000;

export class MemoryHistory implements MessageStore {
  lastSeq = 0;
  private readonly messages: ChatMessage[] = [];

  async append(m: ChatMessage): Promise<void> {
    if (m.seq > 0 && m.seq <= this.lastSeq) return;
    if (m.seq > this.lastSeq) this.lastSeq = m.seq;
    this.messages.push(m);
    if (this.messages.length > MEMORY_HISTORY_MAX) this.messages.shift();
  }

  async recent(limit: number): Promise<ChatMessage[]> { return this.messages.slice(-limit); }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}

export class MemoryKnownUsers implements UserKeyStore {
  private readonly users = new Map<string, { keys: string; since: number }>();
  get(user: string): { keys: string; since: number } | undefined { return this.users.get(userKey(user)); }
  async set(user: string, keys: string, now: number): Promise<void> { this.users.set(userKey(user), { keys, since: now }); }
}
