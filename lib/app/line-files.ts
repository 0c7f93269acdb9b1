// Files in the line mode (issue 19): /send [USER] PATH, /accept ID, /decline ID, /cancel ID, and the file
// events as lines (file_offer, file_progress, file_done, file_failed).
import type { ChatClient } from '../chat/client.ts';
import { runFileCommand, sizeText as mib } from '../chat/file-commands.ts';

type Out = (type: string, fields: Record<string, unknown>, text: string) => void;

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
  const r = await runFileCommand(client.files, client.users(), line);
  if (!r) return false;
  if (r.path !== undefined) out('file_sent', { ids: r.ids, to: r.to ?? null, path: r.path }, `* ${r.line}`);
  return true;
}
