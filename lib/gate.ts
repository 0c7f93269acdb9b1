// A limit on concurrent async jobs: the server's RSA signatures run in libuv's thread pool, and a login
// storm must not take every thread, or history writes (ack = stored) would queue behind them.

/** Runs at most `max` async jobs at once; the others start in arrival order as running ones finish. */
export class Gate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  /** Throws RangeError unless `max` is a whole number ≥ 1. */
  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`a gate needs room for at least one job, got ${max}`);
  }

  /** Jobs running now. */
  get active(): number { return this.running; }

  /** Jobs waiting for a place. */
  get queued(): number { return this.waiting.length; }

  /** Runs `job` once a place is free; settles as it does. A job that throws frees its place all the same. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.max) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // a finishing job hands its place over
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); else this.running--;
    }
  }
}
