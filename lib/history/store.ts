// The shared machinery of the history files: one NeDB data file opened safely (repair first), a batcher
// that turns the appends of one event-loop turn into one insertMany, an append-only writer of NeDB lines,
// and safe file names.
// lib/history*.ts is the only place in the project that imports nedb-promises.
import Datastore from 'nedb-promises';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, statSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { repairFile, type Doc, type Warn } from './lines.ts';
import { foldName } from '../names.ts';

type Db = ReturnType<typeof Datastore.create>;

/** Directories we create hold chat history: owner only. */
export const DIR_MODE = 0o700;
/** Data files: owner only. */
export const FILE_MODE = 0o600;
/** Characters of the SHA-256 (hex) that make a file name unique. */
const NAME_HASH_CHARS = 16;
/** Longest readable part of a file name, in characters. */
const NAME_READABLE_CHARS = 40;

/** Where warnings go when the caller gives no onWarning (stderr; the windows pass their own). */
export const defaultWarn: Warn = (msg) => process.emitWarning(msg, 'ObrolanHistory');

/** The error text of anything thrown. */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * A file name part for any string (server address, username): a sanitized readable form plus a hash of
 * the exact string, so "a:b" and "a_b" differ, and slashes, dots or unicode can never leave the folder.
 */
export function safeName(s: string): string {
  const hash = createHash('sha256').update(s, 'utf8').digest('hex').slice(0, NAME_HASH_CHARS);
  const readable = s.normalize('NFKC').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').slice(0, NAME_READABLE_CHARS);
  return readable ? `${readable}-${hash}` : hash;
}

/**
 * Usernames are one name when their keys are equal (lib/names.ts foldName, the one folding used everywhere),
 * so "Budi", "budi" and "Budı" share a file and a key pin.
 */
export function userKey(user: string): string {
  return foldName(user);
}

/** Servers are "host:port"; host names are case-insensitive. */
export function serverKey(server: string): string {
  return server.trim().toLowerCase();
}

/** Characters NeDB's line reader splits on besides \n that JSON.stringify leaves as they are. */
const LINE_BREAKS = /[\u0085\u2028\u2029]/g;

/**
 * `json` with U+0085, U+2028 and U+2029 written as \u escapes (still the same JSON). NeDB splits its data
 * files on these too, so a chat text holding one would turn into two corrupt lines: dropped at the next
 * load, and gone from the file at the compaction that follows.
 */
export function escapeLineBreaks(json: string): string {
  return json.replace(LINE_BREAKS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * One NeDB data file, opened only after repairFile() has cut torn or corrupt lines out of it. Writes
 * resolve once NeDB has appended them (handed to the OS, no fsync). A failed write makes the next one
 * reload the file first (repairing whatever half line the failure left behind).
 */
export class NedbFile {
  #db: Promise<Db> | undefined;

  private constructor(readonly path: string, private readonly warn: Warn) {}

  /** Creates the folder (0700), repairs and loads the file; returns it with its documents. Throws on I/O errors. */
  static async open(path: string, warn: Warn): Promise<{ file: NedbFile; docs: Doc[] }> {
    const file = new NedbFile(path, warn);
    const { db, docs } = await file.#load();
    file.#db = Promise.resolve(db);
    return { file, docs };
  }

  async #load(): Promise<{ db: Db; docs: Doc[] }> {
    await mkdir(dirname(this.path), { recursive: true, mode: DIR_MODE });
    const docs = await repairFile(this.path, this.warn);
    // Threshold 1: after the repair nothing should be corrupt, and if something is, NeDB must still start.
    const options = {
      filename: this.path, corruptAlertThreshold: 1, modes: { fileMode: FILE_MODE, dirMode: DIR_MODE },
      // JSON.parse reads the escapes back, so no inverse step is needed on load.
      afterSerialization: escapeLineBreaks, beforeDeserialization: (line: string) => line,
    };
    const db = Datastore.create(options as Parameters<typeof Datastore.create>[0]);
    await db.load();
    return { db, docs };
  }

  #ready(): Promise<Db> {
    if (!this.#db) {
      const p = this.#load().then((r) => r.db);
      p.catch(() => { if (this.#db === p) this.#db = undefined; });
      this.#db = p;
    }
    return this.#db;
  }

  async #run<T>(op: (db: Db) => Promise<T>): Promise<T> {
    try {
      return await op(await this.#ready());
    } catch (err) {
      this.#db = undefined;
      throw err;
    }
  }

  /** Appends documents with one write (NeDB insertMany). Throws on I/O errors. */
  async insert(docs: Doc[]): Promise<void> {
    await this.#run((db) => db.insert(docs));
  }

  /** Replaces (or creates) the document with this _id. Throws on I/O errors. */
  async put(id: string, doc: Doc): Promise<void> {
    await this.#run((db) => db.update({ _id: id }, { ...doc, _id: id }, { upsert: true }));
  }
}

/**
 * Appends NeDB document lines (one JSON object a line, exactly as NeDB writes them) to one data file through
 * a descriptor kept open: one write system call per batch. NeDB's own insert opens, appends and closes the
 * file each time, three round trips through libuv's thread pool: at 1,000 messages/s that was a median of
 * 3.9 ms and a p99 of 51 ms before a message could be fanned out. The write is synchronous on purpose: an
 * append of a few KiB to the page cache takes microseconds, less than one thread-pool hop. Like NeDB it
 * does not fsync (a killed process loses nothing, a power cut may). Only for documents whose keys NeDB
 * accepts (no `$` prefix, no `.`) and whose values are strings and numbers.
 */
export class AppendLog {
  #fd: number | undefined;
  #ino: number;
  #dev: number;

  private constructor(readonly path: string, fd: number) {
    this.#fd = fd;
    const st = fstatSync(fd);
    this.#ino = st.ino;
    this.#dev = st.dev;
  }

  /** Opens `path` for appending (creating it, mode 0600; its folder must exist). Throws on I/O errors. */
  static open(path: string): AppendLog {
    return new AppendLog(path, openSync(path, 'a', FILE_MODE));
  }

  /**
   * Appends the documents with one write. Throws on I/O errors, after close(), and when the path no longer
   * names the file we opened (moved or deleted meanwhile): the caller then reopens (and repairs) the file.
   */
  append(docs: readonly Doc[]): void {
    if (this.#fd === undefined) throw new Error(`${this.path} is closed`);
    const st = statSync(this.path, { throwIfNoEntry: false });
    if (!st || st.ino !== this.#ino || st.dev !== this.#dev) throw new Error(`${this.path} was moved or deleted while open`);
    let text = '';
    for (const d of docs) text += `${escapeLineBreaks(JSON.stringify(d))}\n`;
    const data = Buffer.from(text, 'utf8');
    for (let off = 0; off < data.length; ) off += writeSync(this.#fd, data, off, data.length - off);
  }

  /** Closes the descriptor; later appends throw. */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    closeSync(fd);
  }
}

interface Pending<T> { item: T; resolve: () => void; reject: (err: Error) => void }
export type { Pending };

/**
 * Collects items pushed in one event-loop turn (and while a write is running) and hands them to `write`
 * together. `write` may resolve entries itself as parts land; when it returns every entry resolves, when it
 * throws every entry not yet resolved rejects.
 */
export class Batcher<T> {
  #queue: Pending<T>[] = [];
  #running: Promise<void> | undefined;

  /** `minGapMs`: at least this long from the start of one write to the start of the next (0: back to back). */
  constructor(private readonly write: (batch: Pending<T>[]) => Promise<void>, private readonly minGapMs = 0) {}

  /** Queues one item; resolves when it is written. */
  push(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#running ??= this.#run();
    });
  }

  /** Rejects everything queued and not yet handed to `write` (after a failure that invalidates it). */
  rejectQueued(err: Error): void {
    for (const p of this.#queue.splice(0)) p.reject(err);
  }

  /** Resolves when nothing is queued or being written. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #run(): Promise<void> {
    // One turn of the event loop, so every append made in this turn joins the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    let started = -Infinity;
    while (this.#queue.length > 0) {
      const wait = started + this.minGapMs - performance.now();
      if (wait > 0) await new Promise<void>((resolve) => setTimeout(resolve, wait));
      started = performance.now();
      const batch = this.#queue.splice(0);
      try {
        await this.write(batch);
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(asError(err));
      }
    }
    this.#running = undefined;
  }
}
