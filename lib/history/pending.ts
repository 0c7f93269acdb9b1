// The client's unsent messages on disk, per server and username: a message typed while the server is
// down (or not yet acknowledged) survives /quit, Ctrl-C or a crash and is sent at the next join.
// File: <dir>/client/<server>/outbox-<user>.db (NeDB, one document per message id; a sent one is marked done,
// and the compaction at the next load drops it).
import { join } from 'node:path';
import type { Doc } from './lines.ts';
import { defaultWarn, NedbFile, safeName, serverKey, userKey } from './store.ts';

/** One unsent message as the chat layer gave it: `wire` is its encoded ClientMessage (JSON text). */
export interface PendingEntry { id: string; wire: string; text: string; to?: string; ts: number }

function entryOf(doc: Doc): PendingEntry | undefined {
  const { id, wire, text, to, ts, done } = doc;
  if (done === true || typeof id !== 'string' || typeof wire !== 'string' || typeof text !== 'string' || typeof ts !== 'number') return undefined;
  return typeof to === 'string' ? { id, wire, text, to, ts } : { id, wire, text, ts };
}

/** The unsent messages of one user on one server, written through as they come and go. */
export class PendingFile {
  #writes: Promise<void> = Promise.resolve();
  #error: Error | undefined;

  private constructor(private readonly file: NedbFile, private readonly loaded: PendingEntry[]) {}

  /** Opens (creating) the file; torn lines are repaired and reported through `warn`. Throws on I/O errors. */
  static async open(dir: string, server: string, username: string, warn: (msg: string) => void = defaultWarn): Promise<PendingFile> {
    const path = join(dir, 'client', safeName(serverKey(server)), `outbox-${safeName(userKey(username))}.db`);
    const { file, docs } = await NedbFile.open(path, warn);
    const entries = docs.map(entryOf).filter((e): e is PendingEntry => e !== undefined).sort((a, b) => a.ts - b.ts);
    return new PendingFile(file, entries);
  }

  /** What was unsent when the file was opened, oldest first. */
  entries(): PendingEntry[] {
    return [...this.loaded];
  }

  /** Keeps a message until done(id). The write runs in the background; flush() waits for it. */
  add(e: PendingEntry): void {
    this.#queue(() => this.file.put(e.id, { ...e }));
  }

  /** The server stored (or refused) the message: it is no longer unsent. */
  done(id: string): void {
    this.#queue(() => this.file.put(id, { id, done: true }));
  }

  /** Waits for every write so far; rejects with the first write error. */
  async flush(): Promise<void> {
    await this.#writes;
    if (this.#error) throw this.#error;
  }

  #queue(op: () => Promise<void>): void {
    this.#writes = this.#writes.then(op).catch((err: unknown) => { this.#error ??= err instanceof Error ? err : new Error(String(err)); });
  }
}
