// V8's collector, callable from inside the process: `node --expose-gc` cannot be passed through tsx, so the
// flag is set at run time and the function taken from a fresh context, once.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collector = (o?: { type?: 'major' | 'minor' }) => void;
let collector: Collector | undefined;

function gc(): Collector {
  if (!collector) {
    setFlagsFromString('--expose-gc');
    collector = runInNewContext('gc') as Collector;
  }
  return collector;
}

/**
 * One young-generation collection (a scavenge, ~1 ms). The file relay runs one every few MiB: each relayed
 * chunk leaves ~180 KiB of dead Buffers, which V8 would otherwise free only once ~64 MB of them piled up.
 */
export function minorCollection(): void {
  gc()({ type: 'minor' });
}

/** One full collection that compacts every page it can (V8 compacts only its worst pages otherwise). */
export function compactHeap(): void {
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc()();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

let marking = 0;
/** Holds on incremental marking taken and not given back (tests: 0 once every transfer has ended). */
export function markingHolds(): number { return marking; }
/**
 * Stops V8 from starting incremental marking until the returned function is called (calls nest). Measured
 * on the file relay (Node 20.20, 2 cores): once the old generation holds more than ~8 MB, V8 starts an
 * incremental mark every 60–150 ms while file data flows, although half the old-generation limit is free:
 * 30–40 Mark-Compacts per 200 MiB, each freeing < 1 MB and pausing the loop 4–14 ms (chat p99 beside a
 * transfer 19–24 ms; with marking held 9–10 ms, server CPU −5 points). Held, a full collection still runs
 * when the old generation reaches its limit, in one piece.
 */
export function holdIncrementalMarking(): () => void {
  if (marking++ === 0) setFlagsFromString('--no-incremental-marking');
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--marking === 0) setFlagsFromString('--incremental-marking');
  };
}

/** One hold on incremental marking, taken while `set(true)` and given back on `set(false)` (both idempotent). */
export class MarkingHold {
  private release: (() => void) | undefined;
  constructor(private readonly hold: () => () => void = holdIncrementalMarking) {}
  set(on: boolean): void {
    if (on) this.release ??= this.hold();
    else { this.release?.(); this.release = undefined; }
  }
}
