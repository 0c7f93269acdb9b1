// Files in the chat window (issue 19): /send, /accept, /decline, /cancel run through the same parser as the
// line mode (lib/chat/file-commands.ts); offers and the outcome appear as system lines, the transfers that
// run as live rows above the input (lib/ui/live-transfers.ts: a bar with bytes, rate and time left, redrawn
// in place at most 4 times a second).
import { basename } from 'node:path';
import { runFileCommand, sizeText, type FileCommandTarget } from '../chat/file-commands.ts';
import type { ClientLike } from './client-like.ts';
import type { ClientWindow } from './client-window.ts';
import { stripControls } from './format.ts';
import { LiveTransfers } from './live-transfers.ts';

export { progressBar } from './live-transfers.ts';

/** One set of live rows per window, whichever client (after a reconnect) feeds it. */
const live = new WeakMap<ClientWindow, LiveTransfers>();

function liveFor(w: ClientWindow): LiveTransfers {
  let l = live.get(w);
  if (!l) live.set(w, (l = new LiveTransfers((lines) => w.setTransfers(lines))));
  return l;
}

/** Shows the client's file events in the window. */
export function showFiles(c: ClientLike, w: ClientWindow): void {
  const rows = liveFor(w);
  const files = c.files;
  if (files) w.setTransferIds(() => ({ offers: files.offers(), all: files.ids() }));
  c.on('file_offer', (e) => {
    rows.name(e.id, `${e.name} from ${stripControls(e.from)}`);
    w.system(`${e.from}${e.keys === 'changed' ? ' (keys changed!)' : e.keys === 'verified' ? ' ✓' : ''} offers ${e.name} ` +
      `(${sizeText(e.size)}, sha-256 ${e.sha256.slice(0, 16)}…): /accept ${e.id.slice(0, 8)} or /decline ${e.id.slice(0, 8)}`);
  });
  c.on('file_progress', (e) => rows.progress(e));
  c.on('file_done', (e) => { rows.end(e.id); w.system(e.direction === 'in' ? `saved ${e.path} (sha-256 matched)` : `${e.path} was received (${e.id.slice(0, 8)})`); });
  c.on('file_failed', (e) => { rows.end(e.id); w.system(`file ${e.id.slice(0, 8)} stopped: ${e.reason}`, 'error'); });
}

/** Runs a file command typed in the window. */
export async function fileCommandInWindow(files: FileCommandTarget | undefined, users: string[], line: string, w: ClientWindow): Promise<void> {
  if (!files) return w.system('files cannot be sent from here', 'error');
  try {
    const r = await runFileCommand(files, users, line);
    if (!r) return;
    if (r.path !== undefined) for (const id of r.ids) liveFor(w).name(id, `${stripControls(basename(r.path))} to ${r.to ?? 'everyone'}`);
    w.system(r.line);
  } catch (err) {
    w.system((err as Error).message, 'error');
  }
}
