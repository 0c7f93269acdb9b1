// A child process of the files bench: two members, ani and budi, who move one file through the server while
// the bench process measures something else (chat latency of 50 other members), so the transfer's CPU is
// not the measuring process's. With --loss F it reaches the server through a relay that drops each datagram
// with probability F, seeded (test/support/udp-proxy.ts): the "2 % loss" row.
//   --port P --dir D --keys-dir K --size-mb N [--loss F] [--seed S] [--prefix NAME]
// Prints {"type":"listening"} once both are in the room; then on a "go" line on stdin sends the file and
// prints {"type":"done","mb_s":…,"seconds":…} or {"type":"failed","reason":…}.
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { ChatClient } from '../lib/chat/client.ts';
import { loadOrCreateClientKeys } from '../lib/e2e/keys.ts';
import { UdpProxy } from '../test/support/udp-proxy.ts';
import { Rng } from '../test/support/rng.ts';
import { BENCH_PASSWORD, LOAD_KEY_BITS } from './context.ts';

const MIB = 1024 * 1024;
const line = (o: Record<string, unknown>): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, dir: { type: 'string' }, 'keys-dir': { type: 'string' }, 'size-mb': { type: 'string' }, loss: { type: 'string' }, seed: { type: 'string' }, prefix: { type: 'string' } } });
  const prefix = values.prefix ?? 'peer';
  const dir = values.dir!;
  const size = Number(values['size-mb']) * MIB;
  const loss = Number(values.loss ?? 0);
  const src = join(dir, 'peer-file.bin');
  const fh = await open(src, 'w');
  for (let at = 0; at < size; at += MIB) await fh.write(randomBytes(Math.min(MIB, size - at)));
  await fh.close();
  let port = Number(values.port);
  let proxy: UdpProxy | undefined;
  if (loss > 0) {
    proxy = await UdpProxy.start(port);
    proxy.capturing = false;
    const rng = new Rng(Number(values.seed ?? 19));
    proxy.hook = () => (rng.next() < loss ? null : undefined);
    port = proxy.port;
  }
  const keys = await loadOrCreateClientKeys(values['keys-dir']!, undefined, LOAD_KEY_BITS);
  const join1 = async (name: string): Promise<ChatClient> => {
    const c = new ChatClient({ host: '127.0.0.1', port, historyDir: join(dir, name), keys, reconnect: false, persist: false, downloads: join(dir, `${name}-got`) });
    await c.connect(); await c.authenticate(BENCH_PASSWORD); await c.join(name);
    return c;
  };
  const ani = await join1(`${prefix}-ani`);
  const budi = await join1(`${prefix}-budi`);
  while (ani.users().length < 2) await new Promise((r) => setTimeout(r, 20));
  // Stopped with SIGTERM (the bench's Child.stop): leave the room cleanly, so the server does not keep two
  // dead sessions (and a window of unacknowledged chunks to resend) through the next measurement.
  process.once('SIGTERM', () => { void Promise.all([ani.close(), budi.close()]).finally(() => { proxy?.close(); process.exit(0); }); });
  line({ type: 'listening' });
  const input = createInterface({ input: process.stdin });
  for await (const cmd of input) {
    if (cmd !== 'go') break;
    const t0 = { offer: '', done: false, failed: '' };
    budi.once('file_offer', (e: { id: string }) => { t0.offer = e.id; });
    budi.once('file_done', () => { t0.done = true; });
    budi.once('file_failed', (e: { reason: string }) => { t0.failed = e.reason; });
    await ani.files.send(`${prefix}-budi`, src);
    while (!t0.offer) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    await budi.files.accept(t0.offer);
    while (!t0.done && !t0.failed) await new Promise((r) => setTimeout(r, 10));
    const seconds = (performance.now() - started) / 1000;
    if (t0.failed) line({ type: 'failed', reason: t0.failed });
    else line({ type: 'done', mb_s: Math.round((size / 1e6 / seconds) * 100) / 100, seconds: Math.round(seconds * 100) / 100 });
  }
  await ani.close(); await budi.close();
  proxy?.close();
}

main().then(() => process.exit(0), (err: Error) => { process.stderr.write(`${err.stack ?? err.message}\n`); process.exit(1); });
