// The reliable channel over real UDP on 127.0.0.1, real clock and real timers, through a
// relay socket that drops, duplicates and reorders datagrams (seeded decisions). Payloads
// travel raw (no session, no encryption).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Channel, type GoneReason } from '../lib/channel/channel.ts';
import { ProtocolError } from '../lib/errors.ts';
import { Rng } from './support/rng.ts';

const HOST = '127.0.0.1';
const MESSAGES = 1000;
/** Longest the exchange may take before the test gives up, in ms. */
const EXCHANGE_LIMIT_MS = 40_000;
const RELAY = { loss: 0.1, duplicate: 0.03, reorder: 0.05, reorderMaxMs: 5 };

async function bind(): Promise<Socket> {
  const sock = createSocket('udp4');
  sock.bind(0, HOST);
  await once(sock, 'listening');
  return sock;
}

/** A channel on a UDP socket, driven by real timers at its nextDeadline(). */
class Endpoint {
  readonly messages: Buffer[] = [];
  readonly errors: unknown[] = [];
  gone: GoneReason | null = null;
  readonly channel: Channel;
  private timer: NodeJS.Timeout | null = null;
  private waiter: (() => void) | null = null;

  constructor(readonly sock: Socket, relayPort: number, private readonly expect: number) {
    this.channel = new Channel({
      now: performance.now(),
      send: (p) => sock.send(p, relayPort, HOST),
      onMessage: (m) => { this.messages.push(m); if (this.messages.length >= this.expect) this.waiter?.(); },
      onGone: (reason) => { this.gone = reason; this.waiter?.(); },
    });
    sock.on('message', (msg) => {
      try { this.channel.receive(msg, performance.now()); } catch (err) {
        this.errors.push(err);
        if (!(err instanceof ProtocolError)) throw err;
      }
      this.pump();
    });
  }

  send(message: Buffer): void {
    this.channel.sendMessage(message, performance.now());
  }

  /** Flushes and re-arms the one timer at nextDeadline(). */
  pump(): void {
    this.channel.flush(performance.now());
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const deadline = this.channel.nextDeadline();
    if (!Number.isFinite(deadline)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.channel.onTimeout(performance.now());
      this.pump();
    }, Math.max(0, deadline - performance.now()));
  }

  /** Resolves when `expect` messages arrived or the channel is gone. */
  done(): Promise<void> {
    if (this.messages.length >= this.expect || this.gone) return Promise.resolve();
    return new Promise((resolve) => { this.waiter = resolve; });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Forwards datagrams between two ports, losing, duplicating and delaying some. */
function relay(sock: Socket, portA: number, portB: number, rng: Rng) {
  const timers = new Set<NodeJS.Timeout>();
  const stats = { forwarded: 0, lost: 0, duplicated: 0, delayed: 0 };
  const forward = (msg: Buffer, port: number) => { stats.forwarded++; sock.send(msg, port, HOST); };
  sock.on('message', (msg, from) => {
    const to = from.port === portA ? portB : portA;
    if (rng.chance(RELAY.loss)) { stats.lost++; return; }
    const copies = rng.chance(RELAY.duplicate) ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      if (!rng.chance(RELAY.reorder)) { forward(msg, to); continue; }
      stats.delayed++;
      const t = setTimeout(() => { timers.delete(t); forward(msg, to); }, 1 + rng.int(RELAY.reorderMaxMs));
      timers.add(t);
    }
  });
  return { stats, stop: () => { for (const t of timers) clearTimeout(t); timers.clear(); } };
}

function messageSize(rng: Rng): number {
  const p = rng.next();
  if (p < 0.8) return rng.range(1, 200);
  if (p < 0.98) return rng.range(200, 3000);
  return rng.range(3000, 30_000);
}

test('exchanges 1,000 messages each way over UDP through a lossy relay, exactly once and in order', async () => {
  const socks = await Promise.all([bind(), bind(), bind()]);
  const [sa, sb, sr] = socks;
  const port = (s: Socket) => s.address().port;
  const rng = new Rng(2024);
  const r = relay(sr, port(sa), port(sb), rng.fork());
  const a = new Endpoint(sa, port(sr), MESSAGES);
  const b = new Endpoint(sb, port(sr), MESSAGES);
  let limit: NodeJS.Timeout | undefined;
  try {
    const pick = rng.fork();
    const fromA = Array.from({ length: MESSAGES }, () => pick.bytes(messageSize(pick)));
    const fromB = Array.from({ length: MESSAGES }, () => pick.bytes(messageSize(pick)));
    for (const m of fromA) a.send(m);
    for (const m of fromB) b.send(m);
    a.pump();
    b.pump();
    const timeout = new Promise<void>((resolve) => { limit = setTimeout(resolve, EXCHANGE_LIMIT_MS); });
    await Promise.race([Promise.all([a.done(), b.done()]), timeout]);
    // A little longer, so late duplicates would show up as extra deliveries.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.is(a.gone, null);
    assert.is(b.gone, null);
    assert.is(b.messages.length, MESSAGES, 'a→b count');
    assert.is(a.messages.length, MESSAGES, 'b→a count');
    for (let i = 0; i < MESSAGES; i++) {
      assert.ok(b.messages[i]!.equals(fromA[i]!), `a→b message ${i}`);
      assert.ok(a.messages[i]!.equals(fromB[i]!), `b→a message ${i}`);
    }
    assert.ok(r.stats.lost > 0 && r.stats.duplicated > 0 && r.stats.delayed > 0, 'the relay really impaired');
    assert.equal([...a.errors, ...b.errors], []);
  } finally {
    clearTimeout(limit);
    a.stop();
    b.stop();
    r.stop();
    for (const s of socks) s.close();
  }
});

test.run();
