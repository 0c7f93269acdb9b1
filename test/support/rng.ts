// The one seeded PRNG (splitmix32) for every test and simulation: the same seed gives the same
// sequence on every machine, so a failing random case reproduces from its seed.
// Never use Math.random (or a private copy of a generator) for a test's decisions; take one of these.

/** A seeded pseudo-random generator. Not for cryptography. */
export class Rng {
  private state: number;

  /** `seed` is any integer; only its low 32 bits matter. */
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.u32() / 2 ** 32;
  }

  /** A uniform integer in [0, 2^32). */
  u32(): number {
    // splitmix32: a Weyl sequence through a 32-bit mixer.
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A uniform integer in [0, n). `n` must be a positive integer. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A uniform integer in [min, max] (both included). */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability `p` (0 never, 1 always). */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** `n` random bytes in a new Buffer. */
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return out;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** An independent generator derived from this one (e.g. one per link direction). */
  fork(): Rng {
    return new Rng(this.u32());
  }
}
