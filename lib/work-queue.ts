// Work that may wait a turn: run in slices of at most `budgetMs` per event-loop turn, in order. Between two
// slices the loop's poll phase runs, so what arrived meanwhile (members' chat) is handled before more of
// this work. The server queues logins (auth, join) here: a storm of them then delays chat by about one
// slice, not by the whole storm.
import { performance } from 'node:perf_hooks';

export class WorkQueue {
  private items: Array<() => void> = [];
  private head = 0;
  private scheduled = false;
  /** Slices run so far (a test's counter). */
  slices = 0;

  /** `onError` gets what a task throws (the queue goes on). */
  constructor(private readonly budgetMs: number, private readonly onError: (err: unknown) => void) {}

  /** Tasks waiting. */
  get size(): number { return this.items.length - this.head; }

  push(task: () => void): void {
    this.items.push(task);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.slice());
  }

  // One slice: at least one task, then more while the budget lasts.
  private slice(): void {
    this.scheduled = false;
    this.slices++;
    const end = performance.now() + this.budgetMs;
    do {
      const task = this.items[this.head]!;
      this.items[this.head++] = noop;
      try { task(); } catch (err) { this.onError(err); }
    } while (this.head < this.items.length && performance.now() < end);
    if (this.head === this.items.length) { this.items = []; this.head = 0; } else this.schedule();
  }
}

function noop(): void {}
