// One timer for many deadlines. Every connection needs a wake-up at its channel's next deadline (ack,
// retransmission, pacing, keepalive); a setTimeout each, replaced whenever the deadline moved earlier, was
// ~6 % of a busy server's allocations. Here the deadlines sit in a binary min-heap (two parallel arrays,
// nothing allocated per entry) and one timer is set for the earliest.

/** Something that asks for wake-ups. `scheduledAt` belongs to the Deadlines that wakes it (Infinity: none). */
export interface Sleeper {
  scheduledAt: number;
  onDeadline(now: number): void;
}

/** The timer functions (setTimeout/clearTimeout, or a test's fake). */
export interface TimerApi<H> {
  set(fn: () => void, ms: number): H;
  clear(handle: H): void;
}

/** Stale entries (replaced by an earlier wake-up, or cancelled) are swept once they outnumber live ones this much. */
const STALE_FACTOR = 4;
/** …and the heap holds at least this many entries. */
const SWEEP_MIN = 1024;
/** A wake-up due this close to now is taken as due (timers round to whole ms), in ms. */
const DUE_SLACK_MS = 0.5;

export class Deadlines<S extends Sleeper, H = unknown> {
  private readonly ats: number[] = [];
  private readonly items: S[] = [];
  private readonly dueNow: S[] = [];
  private timer: H | undefined;
  private timerAt = Infinity;
  /** Sleepers with a wake-up asked for. */
  private armed = 0;

  constructor(private readonly now: () => number, private readonly timers: TimerApi<H>) {}

  /** Sleepers waiting for a wake-up. */
  get waiting(): number { return this.armed; }

  /**
   * Wakes `s` at `at` (ms on this clock's time) or earlier: a sleeper woken before its deadline simply
   * asks again. A later `at` than the one already asked for changes nothing; Infinity asks for nothing.
   */
  set(s: S, at: number): void {
    if (!(at < s.scheduledAt)) return;
    if (s.scheduledAt === Infinity) this.armed++;
    s.scheduledAt = at;
    this.push(at, s);
    if (at < this.timerAt) this.startTimer(at);
  }

  /** Forgets the wake-up of `s`; when nobody waits any more the timer goes too (it would keep a process alive). */
  cancel(s: S): void {
    if (s.scheduledAt === Infinity) return;
    s.scheduledAt = Infinity;
    if (--this.armed === 0) this.clearAll();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.now();
    // Take everything due first: a sleeper that asks again for `now` is woken at the next timer, never in
    // this loop, so a deadline that keeps landing in the past cannot spin.
    while (this.ats.length > 0 && this.ats[0]! <= now + DUE_SLACK_MS) {
      const at = this.ats[0]!;
      const s = this.pop();
      if (s.scheduledAt !== at) continue; // replaced by an earlier one, or cancelled
      s.scheduledAt = Infinity;
      this.armed--;
      this.dueNow.push(s);
    }
    for (let i = 0; i < this.dueNow.length; i++) this.dueNow[i]!.onDeadline(now);
    this.dueNow.length = 0;
    if (this.armed === 0) return this.clearAll();
    if (this.ats.length > STALE_FACTOR * this.armed + SWEEP_MIN) this.sweep();
    while (this.ats.length > 0 && this.items[0]!.scheduledAt !== this.ats[0]) this.pop();
    if (this.ats.length > 0 && this.ats[0]! < this.timerAt) this.startTimer(this.ats[0]!);
  };

  private startTimer(at: number): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timerAt = at;
    this.timer = this.timers.set(this.fire, Math.max(0, at - this.now()));
  }

  private clearAll(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.ats.length = 0;
    this.items.length = 0;
  }

  // Rebuilds the heap from its live entries only.
  private sweep(): void {
    const ats = this.ats.splice(0);
    const items = this.items.splice(0);
    for (let i = 0; i < ats.length; i++) if (items[i]!.scheduledAt === ats[i]) this.push(ats[i]!, items[i]!);
  }

  private push(at: number, s: S): void {
    const ats = this.ats;
    const items = this.items;
    let i = ats.length;
    ats.push(at);
    items.push(s);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (ats[parent]! <= at) break;
      ats[i] = ats[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    ats[i] = at;
    items[i] = s;
  }

  private pop(): S {
    const ats = this.ats;
    const items = this.items;
    const top = items[0]!;
    const lastAt = ats.pop()!;
    const last = items.pop()!;
    const n = ats.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && ats[l + 1]! < ats[l]! ? l + 1 : l;
      if (ats[c]! >= lastAt) break;
      ats[i] = ats[c]!;
      items[i] = items[c]!;
      i = c;
    }
    ats[i] = lastAt;
    items[i] = last;
    return top;
  }
}
