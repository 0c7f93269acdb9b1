// The room history's files: <dir>/room/YYYY-MM-DD.db, then YYYY-MM-DD-002.db … when a segment is full.
// Names sort by (day, index), which is also the order of the room sequence numbers inside them.
import { readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSize } from './lines.ts';

/** One day file or one of its continuations. */
export interface Segment { day: string; index: number; name: string; path: string }

const MS_PER_DAY = 86_400_000;
const SEGMENT_RE = /^(\d{4}-\d{2}-\d{2})(?:-(\d{3,}))?\.db$/;
const DAY_PREFIX_RE = /^(\d{4}-\d{2}-\d{2})/;

/** UTC day of a time in ms since the epoch, as "YYYY-MM-DD". */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** File name of segment `index` (1-based) of `day`. */
export function segmentName(day: string, index: number): string {
  return index === 1 ? `${day}.db` : `${day}-${String(index).padStart(3, '0')}.db`;
}

/** A Segment for `day` and `index` in `dir`. */
export function makeSegment(dir: string, day: string, index: number): Segment {
  const name = segmentName(day, index);
  return { day, index, name, path: join(dir, name) };
}

function compareSegments(a: Segment, b: Segment): number {
  return a.day < b.day ? -1 : a.day > b.day ? 1 : a.index - b.index;
}

/**
 * The segments in `dir`, oldest first. A segment whose file is missing but whose NeDB temp file
 * (`<name>~`) exists — a crash during compaction — is restored from it, as NeDB itself would.
 */
export async function listSegments(dir: string): Promise<Segment[]> {
  const names = new Set(await readdir(dir));
  for (const name of names) {
    if (name.endsWith('.db~') && SEGMENT_RE.test(name.slice(0, -1)) && !names.has(name.slice(0, -1))) {
      await rename(join(dir, name), join(dir, name.slice(0, -1)));
      names.add(name.slice(0, -1));
    }
  }
  const segments: Segment[] = [];
  for (const name of names) {
    const m = SEGMENT_RE.exec(name);
    if (m) segments.push(makeSegment(dir, m[1]!, m[2] ? Number(m[2]) : 1));
  }
  return segments.sort(compareSegments);
}

/**
 * Deletes the day files (and their saved torn lines) older than `retentionDays` before today (UTC).
 * The newest non-empty segment is always kept: it carries the last room sequence number, and losing it
 * would restart the numbering at 1 and make clients take new messages for ones they already have.
 * Returns the segments that remain, oldest first.
 */
export async function applyRetention(dir: string, segments: Segment[], retentionDays: number, nowMs: number): Promise<Segment[]> {
  const cutoff = dayOf(nowMs - retentionDays * MS_PER_DAY);
  let keep: Segment | undefined;
  for (let i = segments.length - 1; i >= 0 && !keep; i--) if ((await fileSize(segments[i]!.path)) > 0) keep = segments[i];
  for (const name of await readdir(dir)) {
    const day = DAY_PREFIX_RE.exec(name)?.[1];
    if (day === undefined || day >= cutoff) continue;
    if (keep && (name === keep.name || name.startsWith(`${keep.name}.`) || name.startsWith(`${keep.name}~`))) continue;
    await unlink(join(dir, name));
  }
  return segments.filter((s) => s.day >= cutoff || s === keep);
}
