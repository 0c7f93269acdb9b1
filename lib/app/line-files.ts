// Files in the line mode (issue 19): /send [USER] PATH, /accept ID, /decline ID, /cancel ID, and the file
// events as lines (file_offer, file_progress, file_done, file_failed).
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ChatClient } from '../chat/client.ts';
import { ChatError } from '../errors.ts';

type Out = (type: string, fields: Record<string, unknown>, text: string) => void;

/** "~" and "~/x" expanded to the home folder. */
export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

/** `/send USER PATH` (USER a member's name) or `/send PATH` (to everyone): the recipient (undefined: everyone) and the path. */
export function sendTarget(rest: string, find: (name: string) => string | undefined): { to: string | undefined; path: string } {
  const m = /^(\S+)\s+(.+)$/.exec(rest);
  if (m && find(m[1]!) !== undefined) return { to: m[1]!, path: expandHome(m[2]!) };
  return { to: undefined, path: expandHome(rest) };
}

function mib(n: number): string { return n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`; }

/** Prints the client's file events. */
export function showFileEvents(client: ChatClient, out: Out): void {
  client.on('file_offer', (e: { id: string; from: string; name: string; size: number; sha256: string; keys: string }) => out('file_offer', e,
    `* ${e.from}${e.keys === 'verified' ? ' ✓' : e.keys === 'changed' ? ' (keys changed!)' : ''} offers ${e.name} (${mib(e.size)}, sha-256 ${e.sha256.slice(0, 16)}…): /accept ${e.id} or /decline ${e.id}`));
  client.on('file_progress', (e: { id: string; bytes: number; size: number; direction: string }) => out('file_progress', e,
    `  ${e.direction === 'in' ? '↓' : '↑'} ${e.id.slice(0, 8)} ${mib(e.bytes)} of ${mib(e.size)}`));
  client.on('file_done', (e: { id: string; path: string; sha256: string; direction: string }) => out('file_done', e,
    e.direction === 'in' ? `* saved ${e.path} (sha-256 ${e.sha256.slice(0, 16)}… matched)` : `* ${e.path} was received (${e.id.slice(0, 8)})`));
  client.on('file_failed', (e: { id: string; reason: string }) => out('file_failed', e, `! file ${e.id.slice(0, 8)} stopped: ${e.reason}`));
}

/** Runs a file command; returns false if `line` is none. Throws ChatError. */
export async function fileCommand(client: ChatClient, line: string, out: Out): Promise<boolean> {
  const m = /^\/(send|accept|decline|cancel)(?:\s+([\s\S]*))?$/.exec(line);
  if (!m) return false;
  const arg = (m[2] ?? '').trim();
  if (!arg) throw new ChatError('bad_arguments', m[1] === 'send' ? 'usage: /send USER PATH, or /send PATH for everyone' : `usage: /${m[1]} ID`);
  if (m[1] === 'send') {
    const { to, path } = sendTarget(arg, (n) => client.users().find((u) => u.toLowerCase() === n.toLowerCase()));
    const ids = await client.files.send(to, path);
    out('file_sent', { ids, to: to ?? null, path }, `* offered ${path} to ${to ?? 'everyone'} (${ids.map((i) => i.slice(0, 8)).join(', ')})`);
  } else if (m[1] === 'accept') await client.files.accept(findId(client, arg));
  else if (m[1] === 'decline') client.files.decline(findId(client, arg));
  else await client.files.cancel(findId(client, arg));
  return true;
}

/** A full id, or a unique prefix of one (the plain lines show 8 digits). */
function findId(client: ChatClient, arg: string): string {
  const hit = client.files.ids().filter((id) => id.startsWith(arg.toLowerCase()));
  return hit.length === 1 ? hit[0]! : arg;
}
