// Send Encrypted in a big room (issue 15): MEMBERS headless ChatClients in this process, the server as its
// own process. Measures, with sender keys:
//   all_read          every member but the sender reads every encrypted message (text compared)
//   send_ms_p50       sendEncrypted() on the sender: seal (HKDF, AES-GCM) and one RSA-PSS signature by the
//                     epoch's RSA-2048 signing key (made in the background when the epoch started), in ms
//   seal_ms_p50       the sealing alone (E2EClient.sealRoom), in ms
//   stored_ms_p50     from the call to the server's `delivered` (stored), in ms
//   envelope_bytes    the encoded `enc` message of a TEXT_BYTES text (the same whatever the room size)
//   first_send_ms     the first message of an epoch: the key given to every member first (and, the first
//                     epoch of a process, its signing key made)
//   join_keys_ms_p95  a newcomer holds the current key of every active sender, from its `ready`, in ms
// Senders use RSA-3072 keys (a real client's); the other members share one RSA-2048 identity (bench/context.ts).
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChatClient } from '../lib/chat/client.ts';
import { encodeMessage, type ClientMessage } from '../lib/chat/messages.ts';
import { CLIENT_RSA_BITS } from '../lib/constants.ts';
import { loadOrCreateClientKeys } from '../lib/e2e/keys.ts';
import { BENCH_PASSWORD, freshDir, round2, startBenchServer, type BenchContext, type Row } from './context.ts';
import { loginClient } from './fleet.ts';

/** Members of the room (--quick: fewer). */
const MEMBERS = 500;
const QUICK_MEMBERS = 100;
/** Members that send: each holds a current sender key that newcomers must get. */
const SENDERS = 5;
/** Timed messages from the first sender. */
const MESSAGES = 20;
/** Newcomers timed one after another. */
const NEWCOMERS = 20;
/** A typical chat line, in bytes. */
const TEXT_BYTES = 100;
/** Longest wait for a delivery or a key, in ms. */
const WAIT_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN; };

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`e2e bench: timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Counts, per message id, the members (other than senders) that read it with its exact text. */
function readCounter(clients: ChatClient[], texts: Map<string, string>): Map<string, number> {
  const read = new Map<string, number>();
  for (const c of clients) c.on('message', (m) => { if (m.encrypted && texts.get(m.id) === m.text) read.set(m.id, (read.get(m.id) ?? 0) + 1); });
  return read;
}

/** Sends MESSAGES from `sender`, one at a time, each after the previous is read by all `readers`; returns timings. */
async function timedSends(sender: ChatClient, readers: number, texts: Map<string, string>, read: Map<string, number>): Promise<{ send: number[]; stored: number[]; seal: number[]; bytes: number }> {
  const sent: ClientMessage[] = [];
  const raw = sender as unknown as { sendRaw(m: ClientMessage): void };
  const original = raw.sendRaw.bind(sender);
  raw.sendRaw = (m) => { sent.push(m); original(m); };
  const send: number[] = [];
  const stored: number[] = [];
  const seal: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const s0 = performance.now();
    await sender.e2e.sealRoom(`probe${i}`, 'x'.repeat(TEXT_BYTES)); // the crypto alone, never sent
    seal.push(performance.now() - s0);
    const text = `m${i} `.padEnd(TEXT_BYTES, 'x');
    const t0 = performance.now();
    let delivered = 0;
    const onDelivered = (): void => { delivered ||= performance.now(); };
    sender.once('delivered', onDelivered);
    const id = await sender.sendEncrypted(text);
    send.push(performance.now() - t0);
    texts.set(id, text);
    await until(() => (read.get(id) ?? 0) >= readers && delivered > 0, `message ${i} read by ${readers}`);
    stored.push(delivered - t0);
  }
  raw.sendRaw = original;
  const env = sent.find((m) => m.t === 'enc');
  return { send, stored, seal, bytes: env ? encodeMessage(env).length : NaN };
}

/** From each newcomer's ready until it holds the current key of every sender, in ms. */
// Newcomers stay until the end: a leave makes every sender start a new key before its next message (and
// give it to everyone then), so a newcomer after a leave waits for that message, which is not what is timed.
async function joinTimes(ctx: BenchContext, port: number, senders: ChatClient[], all: ChatClient[]): Promise<number[]> {
  const out: number[] = [];
  const epochOf = (c: ChatClient): number => (c.e2e as unknown as { own: { epoch: number } }).own.epoch;
  for (let i = 0; i < NEWCOMERS; i++) {
    const { client } = await loginClient({ port, password: BENCH_PASSWORD, keys: ctx.keys, dir: ctx.clientRoot, prefix: 'n' }, `late${i}`);
    const t0 = performance.now();
    await until(() => senders.every((s) => client.e2e.ring.get(s.name!, epochOf(s))), `newcomer ${i} to hold every sender's key`);
    out.push(performance.now() - t0);
    all.push(client);
  }
  return out;
}

/** The e2e_room row (see the top of this file). */
export async function e2eRoomScenario(ctx: BenchContext): Promise<Row[]> {
  const members = ctx.quick ? QUICK_MEMBERS : MEMBERS;
  const server = await startBenchServer(ctx);
  const senderKeys = await loadOrCreateClientKeys(await freshDir(ctx.root, 'sender-keys'), undefined, CLIENT_RSA_BITS);
  const senders: ChatClient[] = [];
  const all: ChatClient[] = [];
  try {
    ctx.log(`e2e: ${SENDERS} senders (RSA-${CLIENT_RSA_BITS}) and ${members - SENDERS} members log in…`);
    for (let i = 0; i < SENDERS; i++) senders.push((await loginClient({ port: server.port, password: BENCH_PASSWORD, keys: senderKeys, dir: join(ctx.clientRoot, 's'), prefix: 's' }, `sender${i}`)).client);
    all.push(...senders);
    for (let i = 0; i < members - SENDERS; i += 25) {
      const names = Array.from({ length: Math.min(25, members - SENDERS - i) }, (_, k) => `m${i + k}`);
      const logged = await Promise.all(names.map((n) => loginClient({ port: server.port, password: BENCH_PASSWORD, keys: ctx.keys, dir: ctx.clientRoot, prefix: 'm' }, n)));
      all.push(...logged.map((l) => l.client));
    }
    await until(() => senders[0]!.users().length >= members, 'the first sender to see everyone');
    const texts = new Map<string, string>();
    // Our own messages are not 'message' events, so every message counts members − 1 readers.
    const read = readCounter(all, texts);
    ctx.log('e2e: every sender gives its key to the room…');
    const firstSend: number[] = [];
    for (const s of senders) {
      const t0 = performance.now();
      const text = `first from ${s.name}`;
      const id = await s.sendEncrypted(text);
      texts.set(id, text);
      await until(() => (read.get(id) ?? 0) >= members - 1, `the first message of ${s.name}`);
      firstSend.push(performance.now() - t0);
    }
    ctx.log('e2e: timed messages…');
    const t = await timedSends(senders[0]!, members - 1, texts, read);
    const allRead = [...texts.keys()].every((id) => (read.get(id) ?? 0) >= members - 1);
    ctx.log('e2e: newcomers…');
    const joins = await joinTimes(ctx, server.port, senders, all);
    return [{
      scenario: 'e2e_room', members, all_read: allRead, send_ms_p50: round2(pct(t.send, 0.5)), seal_ms_p50: round2(pct(t.seal, 0.5)), stored_ms_p50: round2(pct(t.stored, 0.5)),
      envelope_bytes: t.bytes, text_bytes: TEXT_BYTES, first_send_ms: round2(pct(firstSend, 0.5)), join_keys_ms_p95: round2(pct(joins, 0.95)),
      senders: SENDERS, messages: MESSAGES, newcomers: NEWCOMERS,
    }];
  } finally {
    for (let i = 0; i < all.length; i += 100) await Promise.all(all.slice(i, i + 100).map((c) => c.close().catch(() => {})));
    await server.stop();
  }
}
