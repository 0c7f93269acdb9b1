// A child process of the hostile bench: the honest newcomers. Each is another person's machine on the LAN,
// so their logins (handshake, PAKE, join, the history they receive) must not run in the process that
// measures the 50 members' chat latency. On a line "go TAG" on stdin: COUNT logins one after the other
// (names TAG0, TAG1, …), each closed at once, GAP_MS apart; then one line {"type":"done","ms":[…],"failed":N}.
//   --port P --dir D --keys-dir K --count N --gap-ms MS --timeout-ms MS
// Prints {"type":"listening"} when ready.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { loadOrCreateClientKeys } from '../lib/e2e/keys.ts';
import { BENCH_PASSWORD, LOAD_KEY_BITS } from './context.ts';
import { loginClient } from './fleet.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, dir: { type: 'string' }, 'keys-dir': { type: 'string' }, count: { type: 'string' }, 'gap-ms': { type: 'string' }, 'timeout-ms': { type: 'string' } } });
  const keys = await loadOrCreateClientKeys(values['keys-dir']!, undefined, LOAD_KEY_BITS);
  const o = { port: Number(values.port), password: BENCH_PASSWORD, keys, dir: values.dir!, prefix: 'h' };
  const count = Number(values.count);
  const gapMs = Number(values['gap-ms']);
  const timeoutMs = Number(values['timeout-ms']);
  process.stdout.write(`${JSON.stringify({ type: 'listening' })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, tag] = line.split(' ');
    if (cmd !== 'go' || !tag) break;
    const ms: number[] = [];
    let failed = 0;
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      try {
        const { client, ms: took } = await loginClient(o, `${tag}${i}`, timeoutMs);
        ms.push(took);
        await client.close();
      } catch {
        failed++;
        ms.push(Math.max(timeoutMs, performance.now() - t0));
      }
      await new Promise((r) => setTimeout(r, gapMs));
    }
    process.stdout.write(`${JSON.stringify({ type: 'done', ms, failed })}\n`);
  }
}

main().then(() => process.exit(0), (err: Error) => { process.stderr.write(`${err.stack ?? err.message}\n`); process.exit(1); });
