// The server's young generation stays at its cap (lib/app/young-generation.ts): V8 would otherwise grow
// new space to 2 × 16 MB under a burst of short-lived objects and keep it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { capYoungGeneration, youngGenerationBytes } from '../lib/app/young-generation.ts';

const MB = 1024 * 1024;

/** Allocates short-lived objects (and keeps a few) in turns of the event loop, as a login ramp does. */
async function churn(turns: number): Promise<void> {
  const keep: unknown[] = [];
  for (let t = 0; t < turns; t++) {
    for (let i = 0; i < 20_000; i++) {
      const o = { a: i, b: `x${i}`, c: [i, t] };
      if (i % 500 === 0) keep.push(o);
    }
    await new Promise<void>((r) => setImmediate(r));
  }
  if (keep.length === 0) throw new Error('unreachable');
}

test('new space grows no further than the cap under a burst of allocations, in turns of the event loop', async () => {
  const stop = capYoungGeneration(4);
  try {
    await churn(150);
    const size = youngGenerationBytes();
    assert.ok(size > 0 && size <= 4 * MB, `new space ${size / MB} MB, cap 4 MB`);
  } finally {
    stop();
  }
});

test.run();
