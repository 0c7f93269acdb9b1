// Files (issue 19): one file through the server (its own process) between two headless ChatClients in this
// process, on loopback. Rows:
//   copy        a plain file copy of the same bytes (fs.copyFile), MB/s: the denominator
//   udp_blast   the same bytes as 1200-byte datagrams between two bare sockets (no session, no acks), MB/s
//               received (what arrives of a blast: loopback drops what the receiver cannot take)
//   transfer    /send → /accept → saved and hash-checked; MB/s from accept to file_done, the ratio to copy
//               and to the blast, and the server's RSS growth (sampled every 100 ms) over the transfer
//   chat        p50/p99 latency of chat messages (20/s, from a third member to the recipient) without a
//               transfer and while one runs (a second transfer of the same file; its MB/s beside the chat)
//   transfer_lossy, chat50   in bench/files-load.ts (a transfer in another process: 2 % loss; 50 members chatting)
// 200 MiB (--quick: 32 MiB).
import { copyFile, open, rm } from 'node:fs/promises';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { ChatClient } from '../lib/chat/client.ts';
import { BENCH_PASSWORD, freshDir, round2, serverStats, startBenchServer, type BenchContext, type Row } from './context.ts';
import { loginClient } from './fleet.ts';
import { cpuMsOf } from './procs.ts';
import { chat50Rows, lossyRow } from './files-load.ts';

const MIB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN; };

async function writeRandom(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  for (let at = 0; at < bytes; at += MIB) await fh.write(randomBytes(Math.min(MIB, bytes - at)));
  await fh.close();
}

/** Bytes per second of a bare UDP blast of `bytes` on loopback (what the receiver got / time). */
async function udpBlast(bytes: number): Promise<number> {
  const rx = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * MIB });
  const tx = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 * MIB });
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
  let got = 0;
  let last = 0;
  rx.on('message', (m) => { got += m.length; last = performance.now(); });
  const payload = randomBytes(1200);
  const port = rx.address().port;
  const t0 = performance.now();
  for (let sent = 0; sent < bytes;) {
    for (let i = 0; i < 64 && sent < bytes; i++, sent += 1200) tx.send(payload, port, '127.0.0.1');
    await new Promise((r) => setImmediate(r));
  }
  await sleep(300);
  tx.close(); rx.close();
  return got / (((last || performance.now()) - t0) / 1000);
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error(`files bench: timed out waiting for ${what}`); await sleep(10); }
}

/** Chat latency from `from` to `to` at 20 msgs/s for `ms`, in ms (sender's clock = receiver's: one process). */
async function chatLatency(from: ChatClient, to: ChatClient, ms: number): Promise<number[]> {
  const lat: number[] = [];
  const onMsg = (m: { text: string }): void => { const t = /^lat (\d+(?:\.\d+)?)$/.exec(m.text); if (t) lat.push(performance.now() - Number(t[1])); };
  to.on('message', onMsg);
  const end = Date.now() + ms;
  while (Date.now() < end) { from.send(`lat ${performance.now()}`); await sleep(50); }
  await sleep(500);
  to.off('message', onMsg);
  return lat;
}

export async function filesScenario(ctx: BenchContext): Promise<Row[]> {
  const size = (ctx.quick ? 32 : 200) * MIB;
  const dir = await freshDir(ctx.root, 'files');
  const src = join(dir, 'big.bin');
  await writeRandom(src, size);
  const rows: Row[] = [];
  let t = performance.now();
  await copyFile(src, join(dir, 'copy.bin'));
  const copyMbS = size / 1e6 / ((performance.now() - t) / 1000);
  await rm(join(dir, 'copy.bin'));
  rows.push({ scenario: 'files', what: 'copy', size_mb: size / MIB, mb_s: round2(copyMbS) });
  const blastMbS = (await udpBlast(size)) / 1e6;
  rows.push({ scenario: 'files', what: 'udp_blast', size_mb: size / MIB, mb_s: round2(blastMbS) });

  const server = await startBenchServer(ctx);
  try {
    const o = { port: server.port, dir: await freshDir(ctx.clientRoot, 'files-clients'), keys: ctx.keys, password: BENCH_PASSWORD, prefix: 'f' };
    const ani = (await loginClient(o, 'ani')).client;
    const budi = new (ani.constructor as typeof ChatClient)({ host: '127.0.0.1', port: server.port, historyDir: join(dir, 'budi'), keys: ctx.keys, reconnect: false, downloads: join(dir, 'got') });
    await budi.connect(); await budi.authenticate(BENCH_PASSWORD); await budi.join('budi');
    const citra = (await loginClient(o, 'citra')).client;
    await waitFor(() => ani.users().length === 3 && budi.users().length === 3, 10_000, 'three in the room');
    const quiet = await chatLatency(citra, budi, 3_000);
    rows.push({ scenario: 'files', what: 'chat', transfer: false, p50_ms: round2(pct(quiet, 0.5)), p99_ms: round2(pct(quiet, 0.99)), n: quiet.length });

    let offerId = '';
    let done = false;
    budi.on('file_offer', (e: { id: string }) => { offerId = e.id; });
    budi.on('file_done', () => { done = true; });
    budi.on('file_failed', (e: { reason: string }) => ctx.log(`files bench: failed (${e.reason})`));
    // ani offers `path` to budi; resolves once budi accepted (the transfer runs on); `finished` once saved.
    const start = async (path: string): Promise<{ finished: Promise<void> }> => {
      offerId = ''; done = false;
      await ani.files.send('budi', path);
      await waitFor(() => offerId !== '', 10_000, 'the offer');
      await budi.files.accept(offerId);
      return { finished: waitFor(() => done, 600_000, 'the transfer') };
    };

    // The transfer alone: nothing else in the room meanwhile (chat makes relayed files yield, lib/chat/bulk-pacer.ts).
    const before = await serverStats(server);
    const rss0 = before.rss_mb!;
    let rssMax = rss0;
    let atMax: Record<string, number> = {};
    const sampler = setInterval(() => void serverStats(server).then((s) => { if (s.rss_mb! > rssMax) { rssMax = s.rss_mb!; atMax = s; } }).catch(() => {}), 100);
    try {
      t = performance.now();
      const cpu0 = { server: cpuMsOf(server.proc.pid!), here: process.cpuUsage() };
      await (await start(src)).finished;
      const secs = (performance.now() - t) / 1000;
      const serverCpuMs = cpuMsOf(server.proc.pid!) - cpu0.server;
      const here = process.cpuUsage(cpu0.here);
      const after = await serverStats(server);
      const mbS = size / 1e6 / secs;
      rows.push({ scenario: 'files', what: 'transfer', size_mb: size / MIB, mb_s: round2(mbS), of_copy: round2(mbS / copyMbS), of_blast: round2(mbS / blastMbS),
        server_rss_growth_mb: round2(rssMax - rss0), seconds: round2(secs), at_max_rss: { heap_used_mb: atMax.heap_used_mb, external_mb: atMax.external_mb, new_space_mb: atMax.new_space_mb, before_external_mb: before.external_mb, before_heap_used_mb: before.heap_used_mb },
        // Work per MiB moved, so a busy host's slower run still shows whether the path got cheaper.
        server_cpu_ms_per_mib: round2(serverCpuMs / (size / MIB)), clients_cpu_ms_per_mib: round2((here.user + here.system) / 1000 / (size / MIB)),
        server_datagrams_in: after.datagramsIn! - before.datagramsIn!, server_datagrams_out: after.datagramsOut! - before.datagramsOut!,
        server_retransmits: after.retransmits! - before.retransmits! });
    } finally {
      clearInterval(sampler);
    }
    // Chat beside a transfer: the same file again, with citra chatting to budi from the accept on.
    t = performance.now();
    const second = await start(src);
    const busy = await chatLatency(citra, budi, 2_000);
    await second.finished;
    rows.push({ scenario: 'files', what: 'chat', transfer: true, p50_ms: round2(pct(busy, 0.5)), p99_ms: round2(pct(busy, 0.99)), n: busy.length,
      transfer_mb_s: round2(size / 1e6 / ((performance.now() - t) / 1000)) });
    for (const c of [ani, budi, citra]) await c.close();
    rows.push(await lossyRow(ctx, server.port, ctx.quick ? 16 : 64));
    rows.push(...await chat50Rows(ctx, server, size / MIB));
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
