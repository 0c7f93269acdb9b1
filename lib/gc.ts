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
