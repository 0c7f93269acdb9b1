// The running file transfers as the chat window shows them (issue 19): one row each above the input — a bar
// with bytes, rate and time left — redrawn in place at most every FILE_LIVE_MS however many progress events
// come. The window does the drawing (lib/ui/chat-view.ts setTransfers); finished transfers leave the rows.
import { FILE_LIVE_MS } from '../constants.ts';
import { sizeText } from '../chat/file-commands.ts';

/** Cells of the bar in a live row. */
const BAR_CELLS = 12;

/** "[█████░░░░░…] 25% 1.2 of 5.0 MiB, 3.4 MB/s, 2 s left"; the rate from `moved` bytes in `elapsedMs`. */
export function progressBar(bytes: number, size: number, elapsedMs: number, moved = bytes, barCells = 20): string {
  const f = size > 0 ? Math.min(1, bytes / size) : 1;
  const cells = Math.round(f * barCells);
  const rate = elapsedMs > 0 ? moved / (elapsedMs / 1000) : 0;
  const left = rate > 0 ? Math.ceil((size - bytes) / rate) : undefined;
  return `[${'█'.repeat(cells)}${'░'.repeat(barCells - cells)}] ${Math.floor(f * 100)}% ${sizeText(bytes)} of ${sizeText(size)}` +
    `${rate > 0 ? `, ${(rate / 1e6).toFixed(1)} MB/s` : ''}${left !== undefined ? `, ${timeText(left)} left` : ''}`;
}

/** "42 s", "3 min 5 s", "1 h 2 min". */
export function timeText(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A progress event of the core (file_progress). */
export interface ProgressEvent { id: string; bytes: number; size: number; direction: string }

/** Timers the rows use (tests pass their own). */
export interface LiveClock {
  now(): number;
  later(run: () => void, ms: number): () => void;
}

const realClock: LiveClock = {
  now: () => Date.now(),
  later: (run, ms) => { const t = setTimeout(run, ms); t.unref(); return () => clearTimeout(t); },
};

interface Row { label: string; direction: string; bytes: number; size: number; firstAt: number; firstBytes: number }

/** The rows of the running transfers; `draw` gets them (an empty list: none left). */
export class LiveTransfers {
  private readonly rows = new Map<string, Row>();
  private readonly labels = new Map<string, string>();
  private lastDraw = -Infinity;
  private cancelLater: (() => void) | undefined;

  constructor(private readonly draw: (lines: string[]) => void, private readonly clock: LiveClock = realClock) {}

  /** What to call transfer `id` ("report.pdf from ani", "notes.txt to budi"). */
  name(id: string, label: string): void {
    this.labels.set(id, label);
  }

  /** A progress event: the row changes; drawn now, or when FILE_LIVE_MS have passed since the last draw. */
  progress(e: ProgressEvent): void {
    const now = this.clock.now();
    const row = this.rows.get(e.id);
    if (row) Object.assign(row, { bytes: e.bytes, size: e.size });
    else this.rows.set(e.id, { label: this.labels.get(e.id) ?? e.id.slice(0, 8), direction: e.direction, bytes: e.bytes, size: e.size, firstAt: now, firstBytes: e.bytes });
    this.schedule();
  }

  /** The transfer ended (done, failed, cancelled): its row goes at once. */
  end(id: string): void {
    this.labels.delete(id);
    if (this.rows.delete(id)) this.flush();
  }

  /** The rows as text, one per transfer. */
  lines(): string[] {
    const now = this.clock.now();
    return [...this.rows.entries()].map(([id, r]) =>
      `${r.direction === 'in' ? '↓' : '↑'} ${r.label} (${id.slice(0, 8)}) ${progressBar(r.bytes, r.size, now - r.firstAt, r.bytes - r.firstBytes, BAR_CELLS)}`);
  }

  private schedule(): void {
    if (this.cancelLater) return;
    const wait = this.lastDraw + FILE_LIVE_MS - this.clock.now();
    if (wait <= 0) return this.flush();
    this.cancelLater = this.clock.later(() => this.flush(), wait);
  }

  private flush(): void {
    this.cancelLater?.();
    this.cancelLater = undefined;
    this.lastDraw = this.clock.now();
    this.draw(this.lines());
  }
}
