// The file commands as people type them, for the line mode and the chat window alike (issue 19):
// "/send USER PATH" (PATH the rest of the line, "~" expanded), "/send PATH" to everyone when the first word
// is not a member's name, "/accept ID", "/decline ID", "/cancel ID" (ID in full or a unique prefix; "/accept"
// and "/decline" alone answer the only offer waiting).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ChatError } from '../errors.ts';
import type { FileTransfers } from './file-transfer.ts';
import { foldName } from '../names.ts';

/** "~" and "~/x" expanded to the home folder. */
export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

/** `/send USER PATH` (USER a present member) or `/send PATH` (everyone): the recipient (undefined: everyone) and the path. */
export function sendTarget(rest: string, users: string[]): { to: string | undefined; path: string } {
  const m = /^(\S+)\s+(.+)$/.exec(rest.trim());
  const to = m ? users.find((u) => foldName(u) === foldName(m[1]!)) : undefined;
  return to !== undefined ? { to, path: expandHome(m![2]!) } : { to: undefined, path: expandHome(rest.trim()) };
}

/** What the file commands use of FileTransfers (a fake in the window's tests). */
export type FileCommandTarget = Pick<FileTransfers, 'send' | 'accept' | 'decline' | 'cancel' | 'ids' | 'offers'>;

/** A file command's outcome for people, and the transfer ids it started. */
export interface FileCommandResult { line: string; ids: string[]; to?: string; path?: string }

/** Runs a file command; undefined if `line` is none. Throws ChatError (bad_arguments, no_such_user, too_large…). */
export async function runFileCommand(files: FileCommandTarget, users: string[], line: string): Promise<FileCommandResult | undefined> {
  const m = /^\/(send|accept|decline|cancel)(?:\s+([\s\S]*))?$/i.exec(line);
  if (!m) return undefined;
  const cmd = m[1]!.toLowerCase();
  const arg = (m[2] ?? '').trim() || impliedArgument(files, cmd);
  if (cmd === 'send') {
    const { to, path } = sendTarget(arg, users);
    const ids = await files.send(to, path);
    return { line: `offered ${path} to ${to ?? 'everyone'} (${ids.map((i) => i.slice(0, 8)).join(', ')})`, ids, path, ...(to !== undefined ? { to } : {}) };
  }
  const hit = files.ids().filter((i) => i.startsWith(arg.toLowerCase()));
  const id = hit.length === 1 ? hit[0]! : arg;
  if (cmd === 'accept') await files.accept(id);
  else if (cmd === 'decline') files.decline(id);
  else await files.cancel(id);
  return { line: `${cmd === 'accept' ? 'accepted' : cmd === 'decline' ? 'declined' : 'cancelled'} ${id.slice(0, 8)}`, ids: [id] };
}

/** A command typed without its argument: "/accept" and "/decline" answer the only offer waiting; anything else (or no single offer) throws ChatError bad_arguments with the usage. */
function impliedArgument(files: FileCommandTarget, cmd: string): string {
  if (cmd === 'send') throw new ChatError('bad_arguments', 'usage: /send USER PATH, or /send PATH for everyone');
  const waiting = cmd === 'cancel' ? [] : files.offers();
  if (waiting.length === 1) return waiting[0]!;
  const which = waiting.length > 1 ? ` (waiting: ${waiting.map((i) => i.slice(0, 8)).join(', ')})` : cmd === 'cancel' ? '' : ' (no file offer is waiting)';
  throw new ChatError('bad_arguments', `usage: /${cmd} ID${which}`);
}

/** "1.5 MiB", "12 KiB". */
export function sizeText(n: number): string {
  return n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
