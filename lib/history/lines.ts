// NeDB data files are NDJSON: one JSON document per line. This module reads them the way NeDB does
// (later lines for the same _id win, `$$deleted` removes) and repairs them before NeDB loads a file:
// NeDB refuses to start when more than 10% of a small file is corrupt, which one torn last line
// (a crash mid-write) is enough for. We cut such lines out, save their bytes beside the file and say so.
import { open, readFile, rename, stat, truncate } from 'node:fs/promises';
import { basename } from 'node:path';

/** One parsed NeDB document. */
export type Doc = Record<string, unknown>;
/** Where a module reports a problem it repaired or worked around (one line for a person). */
export type Warn = (msg: string) => void;

/** A line that is not a JSON object: its 1-based number and byte range (without the newline). */
export interface BadLine { lineNo: number; start: number; end: number; last: boolean }

export interface ParsedFile {
  /** Live documents (with a string _id), in first-seen order. */
  docs: Doc[];
  bad: BadLine[];
}

const NEWLINE = 0x0a;
const FILE_MODE = 0o600;

function parseObject(text: string): Doc | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : undefined;
  } catch {
    return undefined;
  }
}

/** Parses NDJSON bytes like NeDB's loader does; lines that are not JSON objects are listed in `bad`, never thrown. */
export function parseLines(buf: Buffer): ParsedFile {
  const byId = new Map<string, Doc>();
  const bad: BadLine[] = [];
  let lineNo = 0;
  for (let start = 0; start < buf.length; ) {
    let end = buf.indexOf(NEWLINE, start);
    if (end < 0) end = buf.length;
    lineNo++;
    if (end > start) {
      const doc = parseObject(buf.toString('utf8', start, end));
      if (!doc) bad.push({ lineNo, start, end, last: false });
      else if (typeof doc._id === 'string') {
        // The same rules as NeDB: a later line for an _id replaces it, `$$deleted` removes it.
        if (doc.$$deleted === true) byId.delete(doc._id);
        else byId.set(doc._id, doc);
      }
      // Objects without _id ($$indexCreated and the like) are NeDB bookkeeping: neither data nor damage.
    }
    start = end + 1;
  }
  const tail = bad.at(-1);
  if (tail && buf.subarray(tail.end).every((b) => b === NEWLINE || b === 0x20 || b === 0x0d)) tail.last = true;
  return { docs: [...byId.values()], bad };
}

/** Reads a data file; like NeDB, a missing file with a leftover `<file>~` (crash during compaction) is restored from it. */
export async function readDataFile(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    await rename(`${path}~`, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return readFile(path);
}

function describe(bad: BadLine[]): string {
  const torn = bad.at(-1)?.last ? bad.at(-1) : undefined;
  const middle = torn ? bad.slice(0, -1) : bad;
  const parts: string[] = [];
  if (middle.length === 1) parts.push(`corrupt line ${middle[0]!.lineNo} (${middle[0]!.end - middle[0]!.start} bytes)`);
  else if (middle.length > 1) parts.push(`${middle.length} corrupt lines (${middle.map((b) => b.lineNo).join(', ')})`);
  if (torn) parts.push(`a torn last line (${torn.end - torn.start} bytes, probably a crash mid-write)`);
  return parts.join(' and ');
}

async function writeSynced(path: string, data: Buffer, flag: 'w' | 'wx'): Promise<void> {
  const fh = await open(path, flag, FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Saves the dropped bytes as `<file>.torn-<ms>` (never overwriting one); returns its path. */
async function saveDropped(path: string, buf: Buffer, bad: BadLine[], nowMs: number): Promise<string> {
  const parts: Buffer[] = [];
  bad.forEach((b, i) => parts.push(...(i ? [Buffer.from('\n')] : []), buf.subarray(b.start, b.end)));
  const data = Buffer.concat(parts);
  for (let ms = nowMs; ; ms++) {
    const saved = `${path}.torn-${ms}`;
    try {
      await writeSynced(saved, data, 'wx');
      return saved;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Removes the bad lines from the file: a cut at the end is a truncate; anything else a rewrite (temp file, fsync, rename). */
async function cutBadLines(path: string, buf: Buffer, bad: BadLine[]): Promise<void> {
  if (bad.length === 1 && bad[0]!.last) {
    await truncate(path, bad[0]!.start);
    return;
  }
  const kept: Buffer[] = [];
  let from = 0;
  for (const b of bad) {
    kept.push(buf.subarray(from, b.start));
    from = Math.min(buf.length, b.end + 1);
  }
  kept.push(buf.subarray(from));
  const tmp = `${path}.repair-${process.pid}`;
  await writeSynced(tmp, Buffer.concat(kept), 'w');
  await rename(tmp, path);
}

/**
 * Pre-scans a NeDB data file before it is loaded: lines that are not JSON objects (a torn last line, a
 * corrupt line anywhere) are cut out, their bytes saved to `<file>.torn-<ms>`, and `warn` is told which
 * file and what was dropped. Every whole line is kept. Returns the file's documents ([] when it does not exist).
 * Throws only on I/O errors (permissions, disk full).
 */
export async function repairFile(path: string, warn: Warn, nowMs = Date.now()): Promise<Doc[]> {
  const buf = await readDataFile(path);
  if (!buf) return [];
  const parsed = parseLines(buf);
  if (parsed.bad.length === 0) return parsed.docs;
  const saved = await saveDropped(path, buf, parsed.bad, nowMs);
  await cutBadLines(path, buf, parsed.bad);
  warn(`history file ${path}: dropped ${describe(parsed.bad)}; every whole line was kept and the dropped bytes are saved in ${basename(saved)}`);
  return parsed.docs;
}

/** Reads a data file without changing it (for files NeDB is not loading): bad lines are skipped. */
export async function readDocs(path: string): Promise<ParsedFile> {
  const buf = await readDataFile(path);
  return buf ? parseLines(buf) : { docs: [], bad: [] };
}

/** Size of a file in bytes, 0 when it does not exist. */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}
