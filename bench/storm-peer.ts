// A child process of the login-storm scenario: the 200 newcomers. They are 200 other machines, so their
// logins must not run in the process that times the chatters' messages. On a "go" line on stdin all log in
// at once; then one line {"type":"done","ms":…,"failures":…}; they stay in the room until stdin closes.
//   --port P --dir D --keys-dir K --count N --limit-ms MS
// Prints {"type":"listening"} when ready.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { ChatClient } from '../lib/chat/client.ts';
import { loadOrCreateClientKeys } from '../lib/e2e/keys.ts';
import { BENCH_PASSWORD, LOAD_KEY_BITS } from './context.ts';
import { loginClient } from './fleet.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, dir: { type: 'string' }, 'keys-dir': { type: 'string' }, count: { type: 'string' }, 'limit-ms': { type: 'string' } } });
  const keys = await loadOrCreateClientKeys(values['keys-dir']!, undefined, LOAD_KEY_BITS);
  const o = { port: Number(values.port), password: BENCH_PASSWORD, keys, dir: values.dir!, prefix: 'storm' };
  const clients: ChatClient[] = [];
  process.stdout.write(`${JSON.stringify({ type: 'listening' })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== 'go') break;
    const t0 = performance.now();
    const settled = await Promise.allSettled(Array.from({ length: Number(values.count) }, (_, i) => loginClient(o, `storm${i}`, Number(values['limit-ms']))));
    const ms = performance.now() - t0;
    let failures = 0;
    for (const s of settled) if (s.status === 'fulfilled') clients.push(s.value.client); else failures++;
    process.stdout.write(`${JSON.stringify({ type: 'done', ms, failures, in: clients.length })}\n`);
  }
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
}

main().then(() => process.exit(0), (err: Error) => { process.stderr.write(`${err.stack ?? err.message}\n`); process.exit(1); });
