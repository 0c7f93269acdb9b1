// A tiny seeded PRNG for tests, so a failing random case reproduces from its seed.

/** mulberry32: a 32-bit seeded generator. Returns a function giving uniform integers in [0, 2^32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Helpers over one seeded generator. */
export class Rng {
  private readonly next: () => number;
  constructor(readonly seed: number) { this.next = mulberry32(seed); }
  /** A uniform integer in [0, n). */
  int(n: number): number { return Math.floor((this.next() / 2 ** 32) * n); }
  /** True with probability `p`. */
  chance(p: number): boolean { return this.next() / 2 ** 32 < p; }
  /** `n` random bytes. */
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.next();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return out;
  }
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]!; }
}
