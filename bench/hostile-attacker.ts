// The attackers of the hostile scenario, in their own process: from 127.0.0.2–127.0.0.9, forced handshakes
// (each closed at once, to free its place) and connections that never log in and hold back fragment 0;
// from a logged-in user (127.0.0.1, it knows the password), a flood of `keys` requests.
// Prints {"type":"ready"} once running, then every second {"type":"attack", handshakes, refused, holding,
// keys_sent}: totals since the start (handshakes = SERVER_HELLOs received, i.e. signatures forced).
// Usage: node --import tsx bench/hostile-attacker.ts PORT PASSWORD DIR MEMBER_PREFIX MEMBERS
import { join } from 'node:path';
import { ChatClient } from '../lib/chat/client.ts';
import { loadOrCreateClientKeys } from '../lib/e2e/keys.ts';
import type { ClientMessage } from '../lib/chat/messages.ts';
import { makeEphemeral } from '../lib/session/keys.ts';
import { RawPeer, type Outcome } from '../test/support/raw-peer.ts';

/** Source addresses of the attackers. */
const ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
/** Handshake loops per address, each as fast as the answers come. */
const FORCERS_PER_ADDRESS = 4;
/** Connections that never log in, in all (spread over the addresses). */
const HOLDERS = 200;
/** Each held connection re-sends fragments 1..HELD_FRAGMENTS (never 0) this often, in ms: 15 × 1,000 bytes
 * stays just inside the server's budget before login (16 fragments, 16 KiB), the most it can make it hold. */
const HOLD_RESEND_MS = 1_000;
const HELD_FRAGMENTS = 15;
const FRAGMENT_BYTES = 1_000;
/** …and is given up (then made again) after this long, in ms: the server's login deadline is 10 s. */
const HOLD_MS = 10_500;
/** `keys` requests sent per second by the logged-in flooder, and names in each (the server's cap). */
const KEYS_PER_S = 1_000;
const KEYS_NAMES = 32;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const totals = { handshakes: 0, refused: 0, holding: 0, keys_sent: 0 };
let running = true;

async function forcer(peer: RawPeer): Promise<void> {
  // One X25519 key for all of this loop's handshakes: the attacker saves its own CPU, the server cannot tell.
  const eph = makeEphemeral();
  while (running) {
    const o = await peer.handshake({ ms: 1_000, eph });
    if (!o.ok) { totals.refused++; continue; }
    totals.handshakes++;
    peer.sendFrames(o, [{ type: 'close', code: 0, reason: '' }]);
  }
}

async function hold(peer: RawPeer, s: Extract<Outcome, { ok: true }>): Promise<void> {
  const until = Date.now() + HOLD_MS;
  const data = Buffer.alloc(FRAGMENT_BYTES, 0x61);
  while (running && Date.now() < until) {
    for (let seq = 1; seq <= HELD_FRAGMENTS; seq++) peer.sendFrames(s, [{ type: 'data', seq, first: false, last: false, data }]);
    await sleep(HOLD_RESEND_MS);
  }
}

async function holder(peer: RawPeer): Promise<void> {
  while (running) {
    const o = await peer.handshake({ ms: 1_000 });
    if (!o.ok) { totals.refused++; await sleep(100); continue; }
    totals.handshakes++;
    totals.holding++;
    await hold(peer, o);
    totals.holding--;
  }
}

async function keysFlood(port: number, password: string, dir: string, names: string[]): Promise<ChatClient> {
  const keys = await loadOrCreateClientKeys(join(dir, 'keys'), undefined, 2048);
  const client = new ChatClient({ host: '127.0.0.1', port, historyDir: dir, keys, reconnect: false, persist: false });
  await client.connect();
  await client.authenticate(password);
  await client.join('mallory');
  const send = (client as unknown as { sendRaw(m: ClientMessage): void }).sendRaw.bind(client);
  // Case variants of real names: each would have returned the full bundle before the fix.
  const users = Array.from({ length: KEYS_NAMES }, (_, i) => { const n = names[i % names.length]!; return i % 2 ? n.toUpperCase() : n; });
  const perTick = KEYS_PER_S / 100;
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) { send({ t: 'keys', users }); totals.keys_sent++; }
  }, 10);
  client.once('state', () => clearInterval(timer));
  return client;
}

async function main(): Promise<void> {
  const [portArg, password, dir, prefix, membersArg] = process.argv.slice(2);
  const port = Number(portArg);
  if (!port || password === undefined || !dir || !prefix || !membersArg) throw new Error('usage: hostile-attacker.ts PORT PASSWORD DIR MEMBER_PREFIX MEMBERS');
  const names = Array.from({ length: Number(membersArg) }, (_, i) => `${prefix}${i}`);
  const flooder = await keysFlood(port, password, dir, names);
  const peers = await Promise.all(ADDRESSES.map((a) => RawPeer.open(port, '127.0.0.1', a)));
  const loops: Array<Promise<void>> = [];
  peers.forEach((p, i) => {
    for (let k = 0; k < FORCERS_PER_ADDRESS; k++) loops.push(forcer(p));
    for (let k = i; k < HOLDERS; k += peers.length) loops.push(holder(p));
  });
  process.stdout.write(JSON.stringify({ type: 'ready' }) + '\n');
  const report = setInterval(() => process.stdout.write(JSON.stringify({ type: 'attack', ...totals }) + '\n'), 1_000);
  const stop = (): void => {
    running = false;
    clearInterval(report);
    process.stdout.write(JSON.stringify({ type: 'attack', ...totals }) + '\n');
    void flooder.close().finally(() => { for (const p of peers) p.close(); process.exit(0); });
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await Promise.all(loops);
}

main().catch((err: Error) => {
  process.stderr.write(`hostile-attacker: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
