// History storage: the server's room history (this file), each client's copy and the pinned keys
// (history-client.ts). Room history lives in <dir>/room/YYYY-MM-DD[-NNN].db, NeDB files rolled per UTC day
// and every `segmentMax` messages, so start-up reads only the newest segment(s), never the whole history.
// The newest REPLAY_MAX room messages stay in memory, so since() is almost always memory-only.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { REPLAY_MAX } from '../constants.ts';
import { readDocs, repairFile, type Warn } from './lines.ts';
import { BASE_ID, fromRow, segmentContent, toRow, type Row, type StoredMessage } from './rows.ts';
import { applyRetention, dayOf, listSegments, makeSegment, type Segment } from './segments.ts';
import { AppendLog, asError, Batcher, defaultWarn, DIR_MODE, NedbFile, type Pending } from './store.ts';

export type { StoredMessage } from './rows.ts';
export { ClientHistory, KnownServers, KnownUsers } from './client.ts';

/** Messages per segment file before the next one starts. */
export const SEGMENT_MAX_DEFAULT = 10_000;

export interface RoomHistoryOptions {
  /** Day files older than this many days (UTC) are deleted at open; default: keep everything. */
  retentionDays?: number;
  /** Messages per segment file; default SEGMENT_MAX_DEFAULT. */
  segmentMax?: number;
  /** Clock, ms since the epoch; picks the day file. */
  now?: () => number;
  /** Told about repaired files (torn or corrupt lines). */
  onWarning?: (msg: string) => void;
}

/** Counters for a status line and for tests. */
export interface RoomHistoryStats {
  /** insertMany calls so far (one per batch, or per segment a batch spans). */
  writes: number;
  /** Segment files read so far (at open and by since()). */
  filesRead: number;
  /** Segment files on disk. */
  segments: number;
}

interface Active { seg: Segment; log: AppendLog; count: number; needsBase: boolean }

/** The server's room history. */
export class RoomHistory {
  #dir: string;
  #max: number;
  #now: () => number;
  #warn: Warn;
  #segments: Segment[] = [];
  #active: Active | undefined;
  /** The newest room messages, ascending by seq, at most REPLAY_MAX. */
  #ring: Row[] = [];
  /** Whether stored room messages older than #ring[0] may exist on disk. */
  #olderOnDisk = false;
  #lastSeq = 0;
  /** Highest seq accepted by append(), written or queued. */
  #assigned = 0;
  #closed = false;
  #stats = { writes: 0, filesRead: 0 };
  #batcher = new Batcher<Row>((batch) => this.#write(batch));
  #idPrefix = randomBytes(6).toString('base64url');
  #idCounter = 0;

  private constructor(dir: string, opts: RoomHistoryOptions) {
    this.#dir = join(dir, 'room');
    this.#max = opts.segmentMax ?? SEGMENT_MAX_DEFAULT;
    this.#now = opts.now ?? Date.now;
    this.#warn = opts.onWarning ?? defaultWarn;
    if (!Number.isSafeInteger(this.#max) || this.#max < 1) throw new RangeError(`segmentMax must be an integer ≥ 1, got ${this.#max}`);
  }

  /**
   * Opens (creating, mode 0700) the room history under `<dir>/room`: applies retention, repairs and reads
   * the newest segment(s) until the newest REPLAY_MAX messages are known, and loads today's segment for
   * appending. Throws on I/O errors only; damaged lines are repaired and reported through onWarning.
   */
  static async open(dir: string, opts: RoomHistoryOptions = {}): Promise<RoomHistory> {
    const h = new RoomHistory(dir, opts);
    await mkdir(h.#dir, { recursive: true, mode: DIR_MODE });
    h.#segments = await listSegments(h.#dir);
    if (opts.retentionDays !== undefined) {
      h.#segments = await applyRetention(h.#dir, h.#segments, opts.retentionDays, h.#now());
    }
    const newestCount = await h.#loadRecent();
    const newest = h.#segments.at(-1);
    if (newest && newest.day >= dayOf(h.#now()) && newestCount < h.#max) await h.#target();
    return h;
  }

  /** Highest room seq stored (0 when empty). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  get stats(): RoomHistoryStats {
    return { ...this.#stats, segments: this.#segments.length };
  }

  /** Reads segments newest first until the newest REPLAY_MAX room messages are in the ring; returns the newest's message count. */
  async #loadRecent(): Promise<number> {
    const found = new Map<number, Row>();
    let newestCount = 0;
    let i = this.#segments.length - 1;
    for (; i >= 0; i--) {
      const seg = this.#segments[i]!;
      const { rows, base, count } = segmentContent(await repairFile(seg.path, this.#warn));
      this.#stats.filesRead++;
      if (i === this.#segments.length - 1) newestCount = count;
      for (const r of rows) if (!found.has(r.seq)) found.set(r.seq, r);
      for (const r of rows) if (r.seq > this.#lastSeq) this.#lastSeq = r.seq;
      if (base !== undefined && base > this.#lastSeq) this.#lastSeq = base;
      if (this.#lastSeq > 0 && this.#countFrom(found, this.#lastSeq - REPLAY_MAX + 1) >= Math.min(REPLAY_MAX, this.#lastSeq)) break;
    }
    const rows = [...found.values()].sort((a, b) => a.seq - b.seq);
    this.#ring = rows.slice(-REPLAY_MAX);
    this.#olderOnDisk = (i > 0 || rows.length > REPLAY_MAX) && this.#ring[0]?.seq !== 1;
    this.#assigned = this.#lastSeq;
    return newestCount;
  }

  #countFrom(found: Map<number, Row>, lo: number): number {
    let n = 0;
    for (const seq of found.keys()) if (seq >= lo) n++;
    return n;
  }

  /**
   * Stores one message; resolves when it is written (handed to the OS). Appends made in the same
   * event-loop turn are written with one insertMany. A room message must carry seq = the last one
   * appended + 1; a direct message seq 0 and `to`. Rejects with TypeError/RangeError for a malformed
   * message or wrong seq, Error after close(), or the I/O error — after which every append still
   * queued is rejected too and the seqs after lastSeq are free again.
   */
  async append(msg: StoredMessage): Promise<void> {
    if (this.#closed) throw new Error('room history is closed');
    const row = toRow(msg);
    if (row.seq > 0) {
      if (row.seq !== this.#assigned + 1) throw new RangeError(`room seq must be ${this.#assigned + 1} (gap-free), got ${row.seq}`);
      this.#assigned = row.seq;
    }
    return this.#batcher.push(row);
  }

  /** The segment to write to now: today's, not full; rolls to a new day or a new index as needed. */
  async #target(): Promise<Active> {
    const today = dayOf(this.#now());
    const a = this.#active;
    if (a && a.count < this.#max && a.seg.day >= today) return a;
    const newest = this.#segments.at(-1);
    this.#closeLog();
    if (!a && newest && newest.day >= today) {
      // Reopen (at start, or after a failed write): NeDB loads the file (repaired first), which says how full it is.
      const { docs } = await NedbFile.open(newest.path, this.#warn);
      const count = segmentContent(docs).count;
      if (count < this.#max) return (this.#active = { seg: newest, log: AppendLog.open(newest.path), count, needsBase: false });
    }
    // A clock that went back keeps writing into the newest day, never into an older one.
    const day = newest && newest.day >= today ? newest.day : today;
    const seg = makeSegment(this.#dir, day, newest && newest.day === day ? newest.index + 1 : 1);
    await mkdir(this.#dir, { recursive: true, mode: DIR_MODE });
    const log = AppendLog.open(seg.path);
    this.#segments.push(seg);
    return (this.#active = { seg, log, count: 0, needsBase: true });
  }

  async #write(batch: Pending<Row>[]): Promise<void> {
    try {
      for (let i = 0; i < batch.length; ) {
        const a = await this.#target();
        const chunk = batch.slice(i, i + this.#max - a.count);
        const rows = chunk.map((p) => p.item);
        // Each new segment starts by recording the room seq before it, so lastSeq survives even when
        // retention has deleted everything older.
        // Our own _id spares NeDB a random one per document: unique per process (random prefix) and per row.
        const docs = rows.map((r) => ({ _id: `${this.#idPrefix}${(this.#idCounter++).toString(36)}`, ...r }));
        a.log.append(a.needsBase ? [{ _id: BASE_ID, baseSeq: this.#lastSeq }, ...docs] : docs);
        this.#stats.writes++;
        a.needsBase = false;
        a.count += rows.length;
        for (const r of rows) this.#remember(r);
        for (const p of chunk) p.resolve();
        i += chunk.length;
      }
    } catch (err) {
      this.#assigned = this.#lastSeq;
      this.#closeLog();
      this.#batcher.rejectQueued(asError(err));
      throw err;
    }
  }

  #remember(row: Row): void {
    if (row.seq === 0) return;
    this.#lastSeq = row.seq;
    this.#ring.push(row);
    if (this.#ring.length > REPLAY_MAX) {
      this.#ring.splice(0, this.#ring.length - REPLAY_MAX);
      this.#olderOnDisk = true;
    }
  }

  /**
   * Stored room messages with seq > afterSeq, ascending and gap-free: at most the newest `limit`
   * (default REPLAY_MAX). `missed` counts the older ones left out (or no longer on disk). Direct messages
   * (seq 0) are not part of the room sequence and are never returned. Throws RangeError for bad arguments.
   */
  async since(afterSeq: number, limit: number = REPLAY_MAX): Promise<{ messages: StoredMessage[]; missed: number }> {
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new RangeError(`afterSeq must be an integer ≥ 0, got ${afterSeq}`);
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be an integer ≥ 0, got ${limit}`);
    const last = this.#lastSeq;
    if (afterSeq >= last) return { messages: [], missed: 0 };
    const lo = Math.max(afterSeq, last - limit) + 1;
    const rows = lo > last ? [] : !this.#olderOnDisk || (this.#ring[0]?.seq ?? Infinity) <= lo
      ? this.#ring.filter((r) => r.seq >= lo && r.seq <= last)
      : await this.#readRange(lo, last);
    return { messages: rows.map(fromRow), missed: last - afterSeq - rows.length };
  }

  /** Room messages lo..hi from the segment files, newest segment first, stopping once lo is reached. */
  async #readRange(lo: number, hi: number): Promise<Row[]> {
    const found = new Map<number, Row>();
    for (let i = this.#segments.length - 1; i >= 0 && found.size < hi - lo + 1; i--) {
      const { docs } = await readDocs(this.#segments[i]!.path);
      this.#stats.filesRead++;
      const { rows, base } = segmentContent(docs);
      let min = base !== undefined ? base + 1 : Infinity;
      for (const r of rows) {
        if (r.seq < min) min = r.seq;
        if (r.seq >= lo && r.seq <= hi && !found.has(r.seq)) found.set(r.seq, r);
      }
      if (min <= lo) break;
    }
    return [...found.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Waits for pending writes; later appends reject. Never throws (a failed write already rejected its append). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#batcher.drain();
    this.#closeLog();
  }

  /** Forgets the active segment (the next write reopens it), closing its file. */
  #closeLog(): void {
    const a = this.#active;
    this.#active = undefined;
    try { a?.log.close(); } catch { /* a descriptor that cannot be closed is gone anyway */ }
  }
}
