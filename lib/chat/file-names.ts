// Where a received file may be saved: the name a peer offered, made safe (no folders, no "..", no control,
// format or bidi characters, no names Windows reserves, a bounded length), and a free name in the downloads
// folder that never overwrites: "name (1).ext", "name (2).ext"…
import { constants } from 'node:fs';
import { link, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Longest saved name, in UTF-8 bytes (most file systems allow 255). */
const MAX_NAME_BYTES = 200;
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;

/** A file name safe to create in one folder, from whatever a peer sent. Never empty, never "." or "..". */
export function safeFileName(offered: string): string {
  let s = offered.normalize('NFC');
  // Only the last path part: a peer's folders are not ours.
  s = s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
  // Controls, format characters (bidi overrides and isolates, zero-width), line and paragraph separators.
  s = s.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '');
  s = s.replace(/[<>:"|?*]/g, '_');
  s = s.replace(/^[\s.]+|[\s.]+$/g, '');
  if (s === '') s = 'file';
  const dot = s.indexOf('.');
  if (RESERVED.test(dot < 0 ? s : s.slice(0, dot))) s = `_${s}`;
  while (Buffer.byteLength(s, 'utf8') > MAX_NAME_BYTES) {
    const ext = extOf(s);
    const stem = s.slice(0, s.length - ext.length);
    s = [...stem].slice(0, -1).join('') + ext;
    if (stem.length <= 1) s = [...s].slice(0, 100).join('');
  }
  return s;
}

function extOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
}

/** The `n`th alternative of a name: "a.txt", "a (1).txt", "a (2).txt"… */
export function numbered(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extOf(name);
  return `${name.slice(0, name.length - ext.length)} (${n})${ext}`;
}

/**
 * Moves the finished temporary file `temp` into `dir` under `name` or the first free numbered variant, never
 * replacing a file (a hard link fails if the name exists, then the temporary name is removed). Returns the path.
 */
export async function placeFile(temp: string, dir: string, name: string): Promise<string> {
  for (let n = 0; n < 10_000; n++) {
    const path = join(dir, numbered(name, n));
    try {
      await link(temp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    await unlink(temp);
    return path;
  }
  throw new Error(`no free name for ${name} in ${dir}`);
}

/** Flags of a temporary download: created new, never opened through an existing file. */
export const TEMP_FLAGS = constants.O_CREAT | constants.O_EXCL | constants.O_RDWR;
