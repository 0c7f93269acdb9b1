// The server's young generation, capped from inside the process. `npx tsx server.ts` cannot pass node
// flags, and `v8.setFlagsFromString('--max-semi-space-size=N')` after start-up changes nothing (V8 sized the
// heap when the process started: measured on Node 20.20, new space still grows to 2 × 16 MB). What V8 does
// read at each growth is --semi-space-growth-factor: after each garbage collection this sets it to 1 (no
// growth) once new space has reached the cap, and back to the default 2 below it (V8 may shrink it when idle).
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { SERVER_YOUNG_GEN_MAX_MB } from '../constants.ts';

/** V8's default growth factor of new space (each growth doubles it). */
const DEFAULT_GROWTH_FACTOR = 2;

/** The young generation's size now (both semi-spaces), in bytes. */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Keeps V8's new space at or under `maxMb` (default SERVER_YOUNG_GEN_MAX_MB) for the life of the process;
 * call it once, early in the server's start. Returns a function that stops watching (tests).
 */
export function capYoungGeneration(maxMb: number = SERVER_YOUNG_GEN_MAX_MB): () => void {
  const cap = maxMb * 1024 * 1024;
  let frozen = false;
  const check = (): void => {
    const full = youngGenerationBytes() >= cap;
    if (full === frozen) return;
    frozen = full;
    setFlagsFromString(`--semi-space-growth-factor=${full ? 1 : DEFAULT_GROWTH_FACTOR}`);
  };
  check();
  // A 'gc' entry comes after every collection, scavenges included; growth happens only in a collection.
  const observer = new PerformanceObserver(check);
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    if (frozen) setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
  };
}
