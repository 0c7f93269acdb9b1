// The fragments a sender has in flight, in sequence order. Fragments are numbered one after another and
// mostly acknowledged in order, so they live in an array indexed by sequence number (a hole where one was
// acknowledged out of order) instead of a Map: a Map whose entries are added and deleted thousands of
// times a second rebuilds its hash table over and over, which was ~15 % of a busy server's allocations.

/** What the set needs of a fragment. */
export interface Numbered { readonly seq: number }

/** Slots before `head` are compacted away once there are this many of them (and they are most of the array). */
const COMPACT_AFTER = 1024;

export class InFlight<F extends Numbered> {
  /** slots[i] holds the fragment with seq `base + i`, or undefined once it is acknowledged. */
  private slots: Array<F | undefined> = [];
  private base = 0;
  private head = 0;
  private count = 0;

  /** Fragments in flight. */
  get size(): number { return this.count; }

  /**
   * Adds the next fragment: its seq must follow the last one added (or anything, when empty).
   * Throws RangeError otherwise (a broken assumption of the sender, not bad input).
   */
  add(f: F): void {
    if (this.count === 0) {
      this.slots.length = 0;
      this.base = f.seq;
      this.head = 0;
    } else if (f.seq !== this.base + this.slots.length) {
      throw new RangeError(`fragment ${f.seq} is not the next in flight (${this.base + this.slots.length})`);
    }
    this.compact();
    this.slots.push(f);
    this.count++;
  }

  /** Removes `f` if it is in flight. Safe while iterating with values(). */
  delete(f: F): boolean {
    const i = f.seq - this.base;
    if (i < this.head || i >= this.slots.length || this.slots[i] !== f) return false;
    this.slots[i] = undefined;
    this.count--;
    while (this.head < this.slots.length && this.slots[this.head] === undefined) this.head++;
    return true;
  }

  /**
   * For loops that must not allocate an iterator (the sender's per-ack path): indexes from `start` to
   * `end` (exclusive) with at(i), which is undefined for a hole. Stable while fragments are deleted.
   */
  get start(): number { return this.head; }
  get end(): number { return this.slots.length; }
  at(i: number): F | undefined { return this.slots[i]; }

  /** The fragments in flight, oldest first. */
  *values(): IterableIterator<F> {
    const slots = this.slots;
    for (let i = this.head; i < slots.length; i++) {
      const f = slots[i];
      if (f !== undefined) yield f;
    }
  }

  /** The smallest `key(f)` over the fragments in flight; Infinity when none. */
  min(key: (f: F) => number): number {
    let m = Infinity;
    const slots = this.slots;
    for (let i = this.head; i < slots.length; i++) {
      const f = slots[i];
      if (f !== undefined) { const k = key(f); if (k < m) m = k; }
    }
    return m;
  }

  // Drops the acknowledged slots at the front; only from add(), never while someone iterates.
  private compact(): void {
    if (this.head < COMPACT_AFTER || this.head * 2 < this.slots.length) return;
    this.slots.splice(0, this.head);
    this.base += this.head;
    this.head = 0;
  }
}
