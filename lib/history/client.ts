// The client side of history: each client's own copy of the room per server and username, the pinned
// server key fingerprints (like ssh known_hosts) and the end-to-end key fingerprints seen per user.
// Files: <dir>/known_servers.db, <dir>/client/<server>/history-<user>.db, <dir>/client/<server>/known_users.db,
// with <server> and <user> made safe by safeName().
import { join, resolve } from 'node:path';
import type { ChatMessage } from './message.ts';
import { CLIENT_HISTORY_WRITE_GAP_MS } from '../constants.ts';
import type { Doc, Warn } from './lines.ts';
import { Batcher, defaultWarn, NedbFile, safeName, serverKey, userKey, type Pending } from './store.ts';

export interface HistoryOptions { onWarning?: (msg: string) => void }

function serverDir(dir: string, server: string): string {
  return join(dir, 'client', safeName(serverKey(server)));
}

/** The message in a document read from disk, or undefined when it is not one. */
function messageOf(doc: Doc): ChatMessage | undefined {
  const { id, seq, from, text, encrypted, ts, to, notice } = doc;
  if (typeof id !== 'string' || typeof from !== 'string' || typeof text !== 'string') return undefined;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0 || typeof ts !== 'number' || typeof encrypted !== 'boolean') return undefined;
  const msg: ChatMessage = { id, seq: seq as number, from, text, encrypted, ts };
  if (typeof to === 'string') msg.to = to;
  if (notice === true) msg.notice = true;
  return msg;
}

/** A checked copy of a message to store. Throws TypeError for a malformed one (a bug in the caller). */
function checked(msg: ChatMessage): ChatMessage {
  const copy = messageOf({ ...msg });
  if (!copy) throw new TypeError('malformed ChatMessage: needs string id/from/text, integer seq ≥ 0, number ts, boolean encrypted');
  return copy;
}

function insertSorted(list: ChatMessage[], msg: ChatMessage, key: (m: ChatMessage) => number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(list[mid]!) <= key(msg)) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, msg);
}

const bySeq = (m: ChatMessage): number => m.seq;
const byTs = (m: ChatMessage): number => m.ts;
const senderKey = (m: ChatMessage): string => JSON.stringify([m.from, m.id]);

/** One client's own copy of the room (and its direct messages), per server and username. */
export class ClientHistory {
  #room: ChatMessage[] = [];
  #direct: ChatMessage[] = [];
  /** Dedup keys of stored and queued messages. */
  #seqs = new Set<number>();
  #senders = new Set<string>();
  #lastSeq = 0;
  #closed = false;
  #batcher = new Batcher<ChatMessage>((batch) => this.#write(batch), CLIENT_HISTORY_WRITE_GAP_MS);

  private constructor(private readonly file: NedbFile) {}

  /**
   * Opens (creating, mode 0700) the copy for `username` on `server` ("host:port") under `<dir>/client/`.
   * Torn or corrupt lines are repaired and reported through onWarning. Throws on I/O errors only.
   */
  static async open(dir: string, server: string, username: string, opts: HistoryOptions = {}): Promise<ClientHistory> {
    const path = join(serverDir(dir, server), `history-${safeName(userKey(username))}.db`);
    const { file, docs } = await NedbFile.open(path, opts.onWarning ?? defaultWarn);
    const h = new ClientHistory(file);
    for (const doc of docs) {
      const msg = messageOf(doc);
      if (msg && !h.#isDuplicate(msg)) h.#remember(msg);
    }
    return h;
  }

  /** Highest room seq held (0 when none). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** True when a message from `from` with this id is stored or queued (the end-to-end replay guard, issue 15). */
  has(from: string, id: string): boolean {
    return this.#senders.has(JSON.stringify([from, id]));
  }

  #isDuplicate(msg: ChatMessage): boolean {
    return (msg.seq > 0 && this.#seqs.has(msg.seq)) || this.#senders.has(senderKey(msg));
  }

  #remember(msg: ChatMessage): void {
    this.#seqs.add(msg.seq);
    this.#senders.add(senderKey(msg));
    if (msg.seq > 0) {
      insertSorted(this.#room, msg, bySeq);
      if (msg.seq > this.#lastSeq) this.#lastSeq = msg.seq;
    } else insertSorted(this.#direct, msg, byTs);
  }

  /**
   * Stores a message once: the same room seq (> 0) or the same (from, id) again resolves without writing.
   * Resolves when written; appends of one turn share one write. Rejects with TypeError for a malformed
   * message, Error after close(), or the I/O error (the message may then be appended again).
   */
  async append(msg: ChatMessage): Promise<void> {
    if (this.#closed) throw new Error('client history is closed');
    const copy = checked(msg);
    if (this.#isDuplicate(copy)) return;
    // Claimed now, so a duplicate arriving while this one is being written is not stored twice.
    if (copy.seq > 0) this.#seqs.add(copy.seq);
    this.#senders.add(senderKey(copy));
    return this.#batcher.push(copy);
  }

  async #write(batch: Pending<ChatMessage>[]): Promise<void> {
    const msgs = batch.map((p) => p.item);
    try {
      // Our own _id (the dedup key) spares NeDB a random one per document, its main cost here.
      await this.file.insert(msgs.map((m) => ({ _id: m.seq > 0 ? `r${m.seq}` : `d${senderKey(m)}`, ...m })));
    } catch (err) {
      for (const m of msgs) {
        this.#seqs.delete(m.seq);
        this.#senders.delete(senderKey(m));
      }
      throw err;
    }
    for (const m of msgs) this.#remember(m);
  }

  /** The newest `limit` messages, oldest first: room messages by seq, direct ones by ts, the two merged by ts. */
  async recent(limit: number): Promise<ChatMessage[]> {
    const out: ChatMessage[] = [];
    let i = this.#room.length - 1;
    let j = this.#direct.length - 1;
    while (out.length < limit && (i >= 0 || j >= 0)) {
      const r = this.#room[i];
      const d = this.#direct[j];
      // Walking back from the newest: on equal ts the direct message counts as the later one.
      if (r !== undefined && (d === undefined || r.ts > d.ts)) {
        out.push(r);
        i--;
      } else {
        out.push(d!);
        j--;
      }
    }
    return out.reverse().map((m) => ({ ...m }));
  }

  /** Resolves when every message appended so far is on disk (or its write has failed). */
  async flush(): Promise<void> {
    await this.#batcher.drain();
  }

  /** Waits for pending writes; later appends reject. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#batcher.drain();
  }
}

const openKnownServers = new Map<string, Promise<KnownServers>>();
const openKnownUsers = new Map<string, Promise<KnownUsers>>();

/** Pinned server key fingerprints, like ssh known_hosts: <dir>/known_servers.db. */
export class KnownServers {
  #pins = new Map<string, string>();

  private constructor(private readonly file: NedbFile) {}

  /** Opens (creating) the file; torn lines are repaired and reported. Throws on I/O errors only. */
  static open(dir: string, opts: HistoryOptions = {}): Promise<KnownServers> {
    // One instance per file in a process: many clients (or reconnects) must not reload and rewrite it at once.
    const path = resolve(dir, 'known_servers.db');
    let p = openKnownServers.get(path);
    if (!p) {
      p = KnownServers.load(dir, opts);
      openKnownServers.set(path, p);
      p.catch(() => openKnownServers.delete(path));
    }
    return p;
  }

  private static async load(dir: string, opts: HistoryOptions): Promise<KnownServers> {
    const { file, docs } = await NedbFile.open(join(dir, 'known_servers.db'), opts.onWarning ?? defaultWarn);
    const k = new KnownServers(file);
    for (const d of docs) if (typeof d._id === 'string' && typeof d.fingerprint === 'string') k.#pins.set(d._id, d.fingerprint);
    return k;
  }

  /** The fingerprint pinned for "host:port", if any. */
  get(server: string): string | undefined {
    return this.#pins.get(serverKey(server));
  }

  /** Every pin, as ("host:port", fingerprint) pairs (for marking rooms found on the LAN). */
  entries(): Array<{ server: string; fingerprint: string }> {
    return [...this.#pins].map(([server, fingerprint]) => ({ server, fingerprint }));
  }

  /** Pins (or replaces) the fingerprint of "host:port"; resolves when written. Throws on I/O errors. */
  async pin(server: string, fingerprint: string): Promise<void> {
    const key = serverKey(server);
    if (this.#pins.get(key) === fingerprint) return;
    await this.file.put(key, { server, fingerprint, pinnedAt: Date.now() });
    this.#pins.set(key, fingerprint);
  }
}

/** End-to-end key fingerprints seen per user of one server: <dir>/client/<server>/known_users.db. */
export class KnownUsers {
  #users = new Map<string, { keys: string; since: number }>();

  private constructor(private readonly file: NedbFile) {}

  /** Opens (creating) the file for `server`; torn lines are repaired and reported. Throws on I/O errors only. */
  static open(dir: string, server: string, opts: HistoryOptions = {}): Promise<KnownUsers> {
    const path = resolve(serverDir(dir, server), 'known_users.db');
    let p = openKnownUsers.get(path);
    if (!p) {
      p = KnownUsers.load(dir, server, opts);
      openKnownUsers.set(path, p);
      p.catch(() => openKnownUsers.delete(path));
    }
    return p;
  }

  private static async load(dir: string, server: string, opts: HistoryOptions): Promise<KnownUsers> {
    const warn: Warn = opts.onWarning ?? defaultWarn;
    const { file, docs } = await NedbFile.open(join(serverDir(dir, server), 'known_users.db'), warn);
    const k = new KnownUsers(file);
    for (const d of docs) {
      if (typeof d._id === 'string' && typeof d.keys === 'string' && typeof d.since === 'number') {
        // Folded again: a pin written under an older folding (e.g. "alı" before ı folded to i) is found by the new one.
        k.#users.set(userKey(d._id), { keys: d.keys, since: d.since });
      }
    }
    return k;
  }

  /** The keys last seen for `user` (case-insensitive, NFKC) and since when (ms since the epoch). */
  get(user: string): { keys: string; since: number } | undefined {
    const entry = this.#users.get(userKey(user));
    return entry && { ...entry };
  }

  /** Records `keys` for `user` as of `now` (ms since the epoch); resolves when written. Throws on I/O errors. */
  async set(user: string, keys: string, now: number): Promise<void> {
    const key = userKey(user);
    await this.file.put(key, { user, keys, since: now });
    this.#users.set(key, { keys, since: now });
  }
}
