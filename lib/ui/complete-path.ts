// Tab completion of the file path in "/send NAME PATH" and "/send PATH" (issue 19). PATH is the rest of the
// line (blanks allowed); "~" is looked up in the home folder but kept as typed; a folder completes with a
// trailing "/" so the next Tab goes into it; hidden entries only when the typed part starts with ".".
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expandHome } from '../chat/file-commands.ts';
import { foldName } from '../names.ts';

/** One entry of a folder. */
export interface DirEntry { name: string; dir: boolean }
/** Lists a folder (empty when it cannot be read). */
export type ListDir = (dir: string) => DirEntry[];

/** The real file system: symbolic links to folders count as folders. */
export const listDir: ListDir = (dir) => {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((e) => {
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) try { isDir = statSync(join(dir, e.name)).isDirectory(); } catch { /* a dangling link: a file */ }
      return { name: e.name, dir: isDir };
    });
  } catch {
    return [];
  }
};

/**
 * Where the path of a "/send" line starts, for the text before the cursor: 'path' when the cursor is in the
 * path, 'first' when in the first word (a member's name, or the path of a /send to everyone); undefined
 * when the line is no /send.
 */
export function sendPathAt(head: string, names: string[]): { from: number; kind: 'path' | 'first' } | undefined {
  const m = /^\/send\s+/i.exec(head);
  if (!m) return undefined;
  const rest = head.slice(m[0].length);
  if (!/\s/u.test(rest)) return { from: m[0].length, kind: 'first' };
  const first = /^(\S+)\s+/u.exec(rest)!;
  const named = names.some((n) => foldName(n) === foldName(first[1]!));
  return { from: m[0].length + (named ? first[0].length : 0), kind: 'path' };
}

/** Whether a first word is written as a path rather than a name ("./x", "~/x", "/x", "a/b"). */
export const looksLikePath = (word: string): boolean => word.includes('/') || word.startsWith('~') || word.startsWith('.');

/** The completions of `partial` (as typed, "~" kept), sorted; folders end with "/". */
export function pathChoices(partial: string, list: ListDir = listDir): string[] {
  if (partial === '~') return ['~/'];
  const slash = partial.lastIndexOf('/');
  const dirPart = partial.slice(0, slash + 1);
  const base = partial.slice(slash + 1);
  const dir = dirPart === '' ? '.' : expandHome(dirPart);
  return list(dir)
    .filter((e) => e.name.startsWith(base) && (base.startsWith('.') || !e.name.startsWith('.')))
    .map((e) => `${dirPart}${e.name}${e.dir ? '/' : ''}`)
    .sort((a, b) => a.localeCompare(b));
}
