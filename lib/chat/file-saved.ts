// File transfers kept across a client restart (issue 19). The sender keeps what it was sending in
// <history>/files/out-<id>.json (path, recipient, name, size, SHA-256; never a key) and, once it and the
// recipient are back, offers the file again under a new id and key. The recipient keeps its partial file
// (every chunk in it was verified before it was written) and the offer's description beside it
// (<downloads>/.obrolan-<id>.part.json), and takes a later offer of the same file (same sender, name, size
// and SHA-256) up where it stopped: the part is hashed again from disk and cut to whole chunks.
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** What a sender keeps of a transfer it was sending. */
export interface SavedOut { id: string; path: string; to: string; name: string; size: number; sha256: string }
/** What a recipient keeps beside its partial file. */
export interface SavedIn { id: string; from: string; name: string; size: number; sha256: string; temp: string }

/** Writes `value` as JSON to `path` (mode 0600), through a temporary name so a reader never sees half of it. */
export async function saveJson(path: string, value: object): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try { await fh.writeFile(JSON.stringify(value)); } finally { await fh.close(); }
  await rename(tmp, path);
}

/** Removes a file if it is there. */
export async function removeQuiet(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The records in `dir` whose file names match `pattern`, with their file's path; unreadable or malformed ones are skipped. */
async function loadAll<T>(dir: string, pattern: RegExp, ok: (o: Record<string, unknown>) => boolean): Promise<Array<T & { file: string }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Array<T & { file: string }> = [];
  for (const name of names.filter((n) => pattern.test(n))) {
    const file = join(dir, name);
    try {
      const o = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      if (o && typeof o === 'object' && ok(o)) out.push({ ...o, file } as unknown as T & { file: string });
    } catch { /* a torn or foreign file: not ours to resume */ }
  }
  return out;
}

export const outRecord = (stateDir: string, id: string): string => join(stateDir, 'files', `out-${id}.json`);
export const inRecord = (temp: string): string => `${temp}.json`;

export async function loadOut(stateDir: string): Promise<Array<SavedOut & { file: string }>> {
  return loadAll<SavedOut>(join(stateDir, 'files'), /^out-[0-9a-f]{32}\.json$/, (o) =>
    isStr(o.id) && isStr(o.path) && isStr(o.to) && isStr(o.name) && isSize(o.size) && isStr(o.sha256));
}

export async function loadIn(downloads: string): Promise<Array<SavedIn & { file: string }>> {
  return loadAll<SavedIn>(downloads, /^\.obrolan-[0-9a-f]{32}\.part\.json$/, (o) =>
    isStr(o.id) && isStr(o.from) && isStr(o.name) && isSize(o.size) && isStr(o.sha256) && isStr(o.temp) && /^\.obrolan-[0-9a-f]{32}\.part$/.test(o.temp));
}

/**
 * Opens a kept partial file to go on writing it: the whole chunks in it (at most `chunks` − 1, so the last
 * one always comes again and ends the transfer) are hashed again; anything after them is cut off.
 */
export async function reopenPart(path: string, chunk: number, chunks: number): Promise<{ fh: FileHandle; hash: Hash; next: number }> {
  const fh = await open(path, 'r+');
  try {
    const next = Math.min(chunks - 1, Math.floor((await fh.stat()).size / chunk));
    const hash = createHash('sha256');
    const buf = Buffer.alloc(Math.max(chunk, 1024 * 1024));
    for (let at = 0; at < next * chunk;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, next * chunk - at), at);
      if (bytesRead === 0) throw new Error('the partial file got shorter');
      hash.update(buf.subarray(0, bytesRead));
      at += bytesRead;
    }
    await fh.truncate(next * chunk);
    return { fh, hash, next };
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
}
