// A login storm in its own process (as if on other machines): COUNT ChatClients connect, authenticate
// and join 127.0.0.1:PORT at once. Run from the repo root:
//   node --import tsx test/support/login-storm.ts PORT COUNT DIR PASSWORD
// Prints one JSON line {type:'done', ok, failures, ms, slowestMs} when every login has settled, keeps the
// clients in the room until stdin ends, then closes them, prints {type:'closed'} and exits 0.
import { join } from 'node:path';
import { ChatClient } from '../../lib/chat/client.ts';
import { loadOrCreateClientKeys } from '../../lib/e2e/keys.ts';

/** Client key size for the storm, in bits: one shared key set keeps 100 clients cheap to start. */
const STORM_RSA_BITS = 2048;

async function main(): Promise<void> {
  const [portArg, countArg, dir, password] = process.argv.slice(2);
  const port = Number(portArg);
  const count = Number(countArg);
  if (!Number.isInteger(port) || !Number.isInteger(count) || !dir || password === undefined) {
    process.stderr.write('usage: login-storm.ts PORT COUNT DIR PASSWORD\n');
    process.exit(2);
  }
  const keys = await loadOrCreateClientKeys(join(dir, 'shared-keys'), undefined, STORM_RSA_BITS);
  // Each client has its own history dir: pinning and history files are not shared between processes' clients.
  const clients = Array.from({ length: count }, (_, i) => new ChatClient({ host: '127.0.0.1', port, historyDir: join(dir, `u${i}`), keys }));
  const started = Date.now();
  const took: number[] = [];
  const results = await Promise.allSettled(clients.map(async (c, i) => {
    await c.connect();
    await c.authenticate(password);
    await c.join(`tamu${i}`);
    took.push(Date.now() - started);
  }));
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [`tamu${i}: ${(r.reason as Error).message}`] : []));
  const line = { type: 'done', ok: count - failures.length, failures, ms: Date.now() - started, slowestMs: Math.max(0, ...took) };
  process.stdout.write(JSON.stringify(line) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    void Promise.all(clients.map((c) => c.close().catch(() => {}))).then(() => {
      process.stdout.write(JSON.stringify({ type: 'closed' }) + '\n');
      process.exit(0);
    });
  });
}

void main();
