// Files in the chat window (issue 19): /send, /accept, /decline, /cancel run through the same parser as the
// line mode (lib/chat/file-commands.ts); offers, progress (a bar with bytes, rate and time left, at each
// quarter) and the outcome appear as system lines.
import { runFileCommand, sizeText, type FileCommandTarget } from '../chat/file-commands.ts';
import type { ClientLike } from './client-like.ts';
import type { ClientWindow } from './client-window.ts';

const BAR_CELLS = 20;

/** "[█████░░░░░…] 25% 1.2 of 5.0 MiB, 3.4 MB/s, 2 s left". */
export function progressBar(bytes: number, size: number, elapsedMs: number): string {
  const f = size > 0 ? Math.min(1, bytes / size) : 1;
  const cells = Math.round(f * BAR_CELLS);
  const rate = elapsedMs > 0 ? bytes / (elapsedMs / 1000) : 0;
  const left = rate > 0 ? Math.ceil((size - bytes) / rate) : undefined;
  return `[${'█'.repeat(cells)}${'░'.repeat(BAR_CELLS - cells)}] ${Math.floor(f * 100)}% ${sizeText(bytes)} of ${sizeText(size)}` +
    `${rate > 0 ? `, ${(rate / 1e6).toFixed(1)} MB/s` : ''}${left !== undefined ? `, ${left} s left` : ''}`;
}

/** Shows the client's file events in the window. */
export function showFiles(c: ClientLike, w: ClientWindow): void {
  const started = new Map<string, { at: number; quarter: number }>();
  c.on('file_offer', (e) => w.system(`${e.from}${e.keys === 'changed' ? ' (keys changed!)' : e.keys === 'verified' ? ' ✓' : ''} offers ${e.name} ` +
    `(${sizeText(e.size)}, sha-256 ${e.sha256.slice(0, 16)}…): /accept ${e.id.slice(0, 8)} or /decline ${e.id.slice(0, 8)}`));
  c.on('file_progress', (e) => {
    const s = started.get(e.id) ?? { at: Date.now(), quarter: 0 };
    started.set(e.id, s);
    const quarter = Math.floor((e.bytes / Math.max(1, e.size)) * 4);
    if (quarter <= s.quarter) return;
    s.quarter = quarter;
    w.system(`${e.direction === 'in' ? '↓' : '↑'} ${e.id.slice(0, 8)} ${progressBar(e.bytes, e.size, Date.now() - s.at)}`);
  });
  c.on('file_done', (e) => { started.delete(e.id); w.system(e.direction === 'in' ? `saved ${e.path} (sha-256 matched)` : `${e.path} was received (${e.id.slice(0, 8)})`); });
  c.on('file_failed', (e) => { started.delete(e.id); w.system(`file ${e.id.slice(0, 8)} stopped: ${e.reason}`, 'error'); });
}

/** Runs a file command typed in the window. */
export async function fileCommandInWindow(files: FileCommandTarget | undefined, users: string[], line: string, w: ClientWindow): Promise<void> {
  if (!files) return w.system('files cannot be sent from here', 'error');
  try {
    const r = await runFileCommand(files, users, line);
    if (r) w.system(r.line);
  } catch (err) {
    w.system((err as Error).message, 'error');
  }
}
