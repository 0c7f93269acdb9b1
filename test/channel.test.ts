// The reliable channel over a simulated link (fake clock, seeded impairments) and by hand.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Channel, type GoneReason } from '../lib/channel/channel.ts';
import {
  ACK_DELAY_MS, FAST_RETRANSMIT_THRESHOLD, GIVE_UP_MS, IDLE_TIMEOUT_MS, KEEPALIVE_MS, MAX_MESSAGE_BYTES, MAX_PAYLOAD_BYTES,
  RECEIVE_WINDOW, RTO_INITIAL_MS, RTO_MAX_MS, SEND_BUFFER_MAX_BYTES,
} from '../lib/constants.ts';
import { ProtocolError } from '../lib/errors.ts';
import { decodeFrames, encodeFrames, type Frame } from '../lib/wire.ts';
import { Rng } from './support/rng.ts';
import { Sim, connectChannels, createLink, simPeer, type LinkOptions } from './support/sim.ts';

/** The simulator fires timers exactly; this only absorbs floating-point rounding, in ms. */
const TIMER_SLACK_MS = 1;

const LOSSY: LinkOptions = { loss: 0.2, duplicate: 0.1, reorder: 0.1, delayMs: 5, jitterMs: 5 };

/** Mostly small messages, some up to 64 KiB. */
function messageSize(rng: Rng): number {
  const p = rng.next();
  if (p < 0.8) return rng.range(1, 200);
  if (p < 0.97) return rng.range(200, 4000);
  return rng.range(4000, MAX_MESSAGE_BYTES);
}

/** Sends `count` messages each way at random times in the first `spreadMs`; returns what was sent. */
function exchange(seed: number, count: number, link: LinkOptions, spreadMs = 5000) {
  const sim = new Sim();
  const rng = new Rng(seed);
  const net = createLink(sim, rng.fork(), link);
  const { a, b } = connectChannels(sim, net);
  const pick = rng.fork();
  const sentByA: Buffer[] = [];
  const sentByB: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const at = pick.int(spreadMs);
    // The first two each way are the extremes, 1 byte and the 64 KiB limit; the rest are drawn.
    const sizeOf = (): number => (i === 0 ? 1 : i === 1 ? MAX_MESSAGE_BYTES : messageSize(pick));
    const fromA = pick.bytes(sizeOf());
    const fromB = pick.bytes(sizeOf());
    sim.at(at, () => { sentByA.push(fromA); a.send(fromA); });
    sim.at(at, () => { sentByB.push(fromB); b.send(fromB); });
  }
  const done = () => sentByA.length === count && b.messages.length === count && a.messages.length === count;
  return { sim, net, a, b, sentByA, sentByB, done };
}

function assertSame(received: Buffer[], sent: Buffer[], what: string): void {
  assert.is(received.length, sent.length, `${what}: count`);
  for (let i = 0; i < sent.length; i++) assert.ok(received[i]!.equals(sent[i]!), `${what}: message ${i} differs`);
}

/** A channel whose payloads are collected instead of sent. */
function bare(now = 0) {
  const out = { sent: [] as Buffer[], messages: [] as Buffer[], gone: [] as Array<[GoneReason, string]> };
  const channel = new Channel({
    now, send: (p) => out.sent.push(p), onMessage: (m) => out.messages.push(m),
    onGone: (r, d) => out.gone.push([r, d]),
  });
  return { channel, ...out };
}

const payload = (...frames: Frame[]): Buffer => encodeFrames(frames);
const data = (seq: number, text: string, first = true, last = true): Frame =>
  ({ type: 'data', seq, first, last, data: Buffer.from(text) });

test('delivers 1,000 messages each way (1 B to 64 KiB) exactly once, in order and intact through 20% loss, 10% duplication and reordering', () => {
  const run = exchange(1, 1000, LOSSY);
  assert.ok(run.sim.runUntil(run.done, 300_000), `not all delivered by ${run.sim.now} ms`);
  run.sim.run(run.sim.now + 5_000); // late duplicates must not be delivered again
  assertSame(run.b.messages, run.sentByA, 'a→b');
  assertSame(run.a.messages, run.sentByB, 'b→a');
  assert.ok(run.net.stats.lost > 1000 && run.net.stats.duplicated > 300, 'the link really was impaired');
  assert.ok(run.b.channel.stats().duplicates > 0, 'duplicates reached the receiver');
  assert.is(run.a.gone, null);
  assert.is(run.b.gone, null);
  assert.equal(run.a.errors.concat(run.b.errors), []);
  assert.ok(run.a.channel.idle && run.b.channel.idle);
  run.a.stop(); run.b.stop();
});

test('a receiver that stalls for 2 s (its datagrams queue, none lost) costs one resend per timeout, not the window each time', () => {
  const sim = new Sim();
  const link = createLink(sim, new Rng(11), { delayMs: 2 }); // no jitter: a socket buffer keeps order
  const { a, b } = connectChannels(sim, link);
  // b's "socket buffer": while b is stalled (a busy process), datagrams wait, then come in order.
  let stalled = false;
  const queued: Buffer[] = [];
  link.b.onReceive((bytes) => { if (stalled) queued.push(bytes); else b.deliver(bytes); });
  const rng = new Rng(12);
  const sent: Buffer[] = [];
  const send = (): void => { const m = rng.bytes(300); sent.push(m); a.send(m); };
  for (let i = 0; i < 20; i++) sim.at(i * 5, send); // RTT samples first: the timeout settles at its floor
  sim.at(200, () => { stalled = true; });
  for (let i = 0; i < 50; i++) sim.at(210, send);
  sim.at(2_200, () => { stalled = false; for (const d of queued.splice(0)) b.deliver(d); });
  sim.run(1_000);
  const during = a.channel.stats().retransmits;
  assert.ok(sim.runUntil(() => b.messages.length === sent.length, 30_000), 'everything arrives after the stall');
  sim.run(sim.now + 2_000);
  assertSame(b.messages, sent, 'a→b');
  // Timeouts during the stall come at 100, 200, 400… ms: resending the whole window each time would be
  // 50 fragments per timeout; one per timeout is a handful.
  const total = a.channel.stats().retransmits;
  console.log(`  resent ${during} fragments in the first 800 ms of the stall, ${total} in all, for 50 in flight`);
  assert.ok(during <= 5, `${during} resends in the first 800 ms of the stall`);
  assert.ok(total <= 12, `${total} resends in all`);
  assert.is(a.gone, null);
  a.stop(); b.stop();
});

test('resumes delivery with nothing lost after the link goes dark for 5 s', () => {
  const run = exchange(2, 300, { loss: 0.05, delayMs: 5, jitterMs: 3 }, 10_000);
  run.sim.at(3_000, () => run.net.setDown(true));
  run.sim.at(8_000, () => run.net.setDown(false));
  run.sim.run(3_050);
  const beforeDark = run.b.messages.length;
  run.sim.run(8_000);
  assert.is(run.b.messages.length, beforeDark, 'nothing crosses a dark link');
  run.sim.run(8_000 + RTO_MAX_MS + 100);
  assert.ok(run.b.messages.length > beforeDark, 'delivery resumes within one capped RTO');
  // Then the window opens again as in slow start: 1, 2, 4, 8… fragments per round trip.
  run.sim.run(8_000 + RTO_MAX_MS + 600);
  assert.ok(run.b.messages.length > beforeDark + 50, `and is back at speed half a second later (${run.b.messages.length - beforeDark} more)`);
  assert.ok(run.sim.runUntil(run.done, 60_000), 'everything arrives in the end');
  assertSame(run.b.messages, run.sentByA, 'a→b');
  assertSame(run.a.messages, run.sentByB, 'b→a');
  assert.is(run.a.gone, null);
  assert.is(run.b.gone, null);
  run.a.stop(); run.b.stop();
});

test('reports a peer that never answers as gone (timeout) GIVE_UP_MS after the first unacked send', () => {
  const sim = new Sim();
  const net = createLink(sim, new Rng(3));
  net.setDown(true);
  const a = simPeer(sim, net.a);
  sim.at(1_000, () => a.send(Buffer.from('anyone there?')));
  sim.runUntil(() => a.gone !== null, 60_000);
  assert.is(a.gone?.reason, 'timeout');
  assert.ok(a.gone!.at >= 1_000 + GIVE_UP_MS && a.gone!.at <= 1_000 + GIVE_UP_MS + TIMER_SLACK_MS, `gone at ${a.gone!.at}`);
  assert.ok(a.channel.stats().retransmits >= 5, 'it kept retransmitting until then');
  assert.throws(() => a.send(Buffer.from('x')), (e: unknown) => e instanceof ProtocolError && e.code === 'not_open');
  a.stop();
});

test('reports a silent peer as gone (idle) at IDLE_TIMEOUT_MS, after sending keepalives', () => {
  const sim = new Sim();
  const net = createLink(sim, new Rng(4));
  net.setDown(true);
  const a = simPeer(sim, net.a);
  sim.runUntil(() => a.gone !== null, 60_000);
  assert.is(a.gone?.reason, 'idle');
  assert.ok(Math.abs(a.gone!.at - IDLE_TIMEOUT_MS) <= TIMER_SLACK_MS, `gone at ${a.gone!.at}`);
  assert.is(net.stats.sent, Math.floor((IDLE_TIMEOUT_MS - 1) / KEEPALIVE_MS), 'one PING per KEEPALIVE_MS');
  a.stop();
});

test('keeps an idle but alive pair up with keepalives for an hour, and notices when it goes dark', () => {
  const sim = new Sim();
  const net = createLink(sim, new Rng(5), { delayMs: 2, jitterMs: 2 });
  const { a, b } = connectChannels(sim, net);
  sim.run(3_600_000);
  assert.is(a.gone, null);
  assert.is(b.gone, null);
  assert.ok(net.stats.delivered >= 3_600_000 / KEEPALIVE_MS, 'keepalive traffic flowed');
  net.setDown(true);
  sim.runUntil(() => a.gone !== null && b.gone !== null, sim.now + IDLE_TIMEOUT_MS + 1_000);
  assert.is(a.gone?.reason, 'idle');
  assert.is(b.gone?.reason, 'idle');
  a.stop(); b.stop();
});

test('gives the same run for the same seed, and a different run for another seed', () => {
  const summary = (seed: number) => {
    const run = exchange(seed, 200, LOSSY);
    assert.ok(run.sim.runUntil(run.done, 300_000));
    run.a.stop(); run.b.stop();
    return { at: run.sim.now, link: run.net.stats, a: run.a.channel.stats(), b: run.b.channel.stats() };
  };
  const first = summary(6);
  assert.equal(summary(6), first);
  assert.not.equal(summary(7), first);
});

test('refuses a message above MAX_MESSAGE_BYTES before anything is queued or sent', () => {
  const c = bare();
  assert.throws(() => c.channel.sendMessage(Buffer.alloc(MAX_MESSAGE_BYTES + 1), 0),
    (e: unknown) => e instanceof ProtocolError && e.code === 'too_large');
  c.channel.flush(0);
  assert.is(c.sent.length, 0);
  assert.is(c.channel.stats().queuedBytes, 0);
  assert.ok(c.channel.idle);
  c.channel.sendMessage(Buffer.alloc(MAX_MESSAGE_BYTES), 0); // exactly the limit is fine
});

test('refuses with window_full once SEND_BUFFER_MAX_BYTES are queued or unacked, until the peer acks', () => {
  const c = bare();
  const big = Buffer.alloc(MAX_MESSAGE_BYTES);
  let accepted = 0;
  let now = 0;
  try {
    for (;;) { c.channel.sendMessage(big, now); c.channel.flush(now); accepted++; now += 10; }
  } catch (err) {
    assert.instance(err, ProtocolError);
    assert.is((err as ProtocolError).code, 'window_full');
  }
  assert.is(accepted, SEND_BUFFER_MAX_BYTES / MAX_MESSAGE_BYTES);
  const sentSeqs = c.sent.flatMap((p) => decodeFrames(p)).filter((f) => f.type === 'data').map((f) => (f as { seq: number }).seq);
  const queued = c.channel.stats().queuedBytes;
  assert.ok(queued + 1000 > SEND_BUFFER_MAX_BYTES);
  assert.throws(() => c.channel.sendMessage(Buffer.alloc(1000), now));
  c.channel.receive(payload({ type: 'ack', cumulative: Math.max(...sentSeqs) + 1, delayMs: 0, ranges: [] }), now);
  assert.ok(c.channel.stats().queuedBytes < queued - 1000, 'acked bytes leave the buffer');
  c.channel.sendMessage(Buffer.alloc(1000), now);
});

test('throws ProtocolError on a garbage frame and leaves the channel state unchanged', () => {
  const c = bare();
  const good = payload(data(0, 'hello'));
  const before = { stats: c.channel.stats(), deadline: c.channel.nextDeadline(), wants: c.channel.wantsFlush };
  const bad = Buffer.concat([good, Buffer.from([0xee])]);
  assert.throws(() => c.channel.receive(bad, 5), (e: unknown) => e instanceof ProtocolError && e.code === 'bad_frame');
  assert.equal({ stats: c.channel.stats(), deadline: c.channel.nextDeadline(), wants: c.channel.wantsFlush }, before);
  assert.is(c.messages.length, 0);
  c.channel.receive(good, 6);
  assert.equal(c.messages.map(String), ['hello']);
  assert.is(c.channel.stats().duplicates, 0, 'the garbage payload left no trace');
});

test('throws bad_ack on an ack of data never sent, without applying the rest of the payload', () => {
  const c = bare();
  const p = payload(data(0, 'hi'), { type: 'ack', cumulative: 5, delayMs: 0, ranges: [] });
  assert.throws(() => c.channel.receive(p, 1), (e: unknown) => e instanceof ProtocolError && e.code === 'bad_ack');
  assert.is(c.messages.length, 0);
  assert.is(c.channel.stats().received, 0);
});

test('resends a backed-off fragment as soon as the silent peer is heard again, not at its doubled timeout', () => {
  /** Drives the channel's own timers up to `until`, returning the times it sent DATA. */
  const drive = (c: ReturnType<typeof bare>, from: number, until: number): number[] => {
    const sentAt: number[] = [];
    for (let t = c.channel.nextDeadline(); t <= until; t = c.channel.nextDeadline()) {
      const before = c.sent.length;
      c.channel.onTimeout(Math.max(t, from));
      c.channel.flush(Math.max(t, from));
      for (const p of c.sent.slice(before)) if (decodeFrames(p).some((f) => f.type === 'data')) sentAt.push(Math.max(t, from));
    }
    return sentAt;
  };
  const quiet = bare();
  quiet.channel.sendMessage(Buffer.from('hello?'), 0);
  quiet.channel.flush(0);
  const resends = drive(quiet, 0, 5_000);
  assert.ok(resends.length >= 3, `it backs off: resends at ${resends.join(', ')}`);
  const gap = resends[2]! - resends[1]!;
  assert.ok(gap > 2 * (resends[1]! - resends[0]!) - 1, 'each wait doubles');

  // Same start; the peer's PING arrives between the second and third resend.
  const c = bare();
  c.channel.sendMessage(Buffer.from('hello?'), 0);
  c.channel.flush(0);
  drive(c, 0, resends[1]!);
  const heardAt = resends[1]! + 10;
  const sentBefore = c.sent.length;
  c.channel.receive(payload({ type: 'ping' }), heardAt);
  c.channel.flush(heardAt);
  const data = c.sent.slice(sentBefore).map(decodeFrames).flat().filter((f) => f.type === 'data');
  assert.equal(data.map((f) => (f.type === 'data' ? f.seq : -1)), [0], 'the fragment goes again at once');
  assert.ok(heardAt < resends[2]!, 'sooner than its backed-off timeout');
});

test('counts duplicates, never delivers them twice, and acks a duplicate at once', () => {
  const c = bare();
  const p = payload(data(0, 'once'));
  c.channel.receive(p, 0);
  assert.not.ok(c.channel.wantsFlush, 'a lone in-order frame is acked after a delay');
  assert.is(c.channel.nextDeadline(), ACK_DELAY_MS);
  c.channel.flush(0);
  assert.is(c.sent.length, 0);
  c.channel.onTimeout(ACK_DELAY_MS);
  c.channel.flush(ACK_DELAY_MS);
  assert.equal(decodeFrames(c.sent[0]!), [{ type: 'ack', cumulative: 1, delayMs: ACK_DELAY_MS, ranges: [] }]);
  c.channel.receive(p, 30);
  c.channel.receive(p, 31);
  assert.equal(c.messages.map(String), ['once']);
  assert.is(c.channel.stats().duplicates, 2);
  assert.ok(c.channel.wantsFlush, 'a duplicate means our ack was lost: ack now');
});

test('buffers out-of-order fragments, acks the gap at once with ranges, and delivers in order', () => {
  const c = bare();
  c.channel.receive(payload(data(1, 'b'), data(3, 'd')), 0);
  assert.is(c.messages.length, 0);
  c.channel.flush(0);
  assert.equal(decodeFrames(c.sent[0]!), [{ type: 'ack', cumulative: 0, delayMs: 0, ranges: [[1, 2], [3, 4]] }]);
  c.channel.receive(payload(data(2, 'c'), data(0, 'a')), 1);
  assert.equal(c.messages.map(String), ['a', 'b', 'c', 'd']);
});

test('resends a fragment at once when FAST_RETRANSMIT_THRESHOLD later ones are acked', () => {
  const c = bare();
  for (let i = 0; i < 5; i++) c.channel.sendMessage(Buffer.from(`m${i}`), 0);
  c.channel.flush(0);
  const later: [number, number] = [1, 1 + FAST_RETRANSMIT_THRESHOLD];
  c.channel.receive(payload({ type: 'ack', cumulative: 0, delayMs: 0, ranges: [later] }), 10);
  assert.ok(c.channel.wantsFlush, 'no need to wait for the timeout');
  c.channel.flush(10);
  const resent = decodeFrames(c.sent[1]!).filter((f) => f.type === 'data');
  assert.equal(resent.map((f) => (f as { seq: number }).seq), [0]);
  assert.is(c.channel.stats().retransmits, 1);
});

test('drops and counts fragments beyond RECEIVE_WINDOW and messages with broken fragment flags', () => {
  const c = bare();
  c.channel.receive(payload(data(RECEIVE_WINDOW, 'too far')), 0);
  c.channel.receive(payload(data(0, 'orphan', false, true), data(1, 'ok')), 1);
  assert.equal(c.messages.map(String), ['ok']);
  assert.is(c.channel.stats().dropped, 1);
  assert.is(c.channel.stats().malformed, 1);
});

test('packs several small messages into one payload', () => {
  const c = bare();
  for (let i = 0; i < 10; i++) c.channel.sendMessage(Buffer.from(`message ${i}`), 0);
  c.channel.flush(0);
  assert.is(c.sent.length, 1);
  const frames = decodeFrames(c.sent[0]!);
  assert.is(frames.length, 10);
  assert.ok(frames.every((f) => f.type === 'data' && f.first && f.last));
});

test('fragments a 64 KiB message into full payloads within maxPayload and reassembles it', () => {
  const sim = new Sim();
  const net = createLink(sim, new Rng(8), { delayMs: 1 });
  const { a, b } = connectChannels(sim, net);
  const message = new Rng(9).bytes(MAX_MESSAGE_BYTES);
  const sizes: number[] = [];
  const send = net.a.send;
  net.a.send = (bytes) => { sizes.push(bytes.length); send(bytes); };
  a.send(message);
  sim.runUntil(() => b.messages.length === 1, 10_000);
  assert.ok(b.messages[0]!.equals(message));
  assert.ok(sizes.every((n) => n <= MAX_PAYLOAD_BYTES));
  assert.ok(sizes.length <= Math.ceil(MAX_MESSAGE_BYTES / (MAX_PAYLOAD_BYTES - 32)), `${sizes.length} payloads`);
  a.stop(); b.stop();
});

test('delivers an empty message', () => {
  const sim = new Sim();
  const { a, b } = connectChannels(sim, createLink(sim, new Rng(10)));
  a.send(new Uint8Array(0));
  a.send(Buffer.from('after'));
  sim.runUntil(() => b.messages.length === 2, 1_000);
  assert.equal(b.messages.map(String), ['', 'after']);
  a.stop(); b.stop();
});

test('retransmits after RTO_INITIAL_MS, doubling each time up to RTO_MAX_MS', () => {
  const c = bare();
  c.channel.sendMessage(Buffer.from('x'), 0);
  c.channel.flush(0);
  const times = [0];
  for (let i = 0; i < 6; i++) {
    const t = c.channel.nextDeadline();
    c.channel.onTimeout(t);
    c.channel.flush(t);
    times.push(t);
  }
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  const expected = [1, 2, 4, 8, 16, 32].map((k) => Math.min(RTO_MAX_MS, RTO_INITIAL_MS * k));
  assert.equal(gaps, expected);
  assert.is(c.channel.stats().retransmits, 6);
});

test('measures the round trip without the peer ack delay', () => {
  const sim = new Sim();
  const { a, b } = connectChannels(sim, createLink(sim, new Rng(11), { delayMs: 10 }));
  for (let i = 0; i < 20; i++) sim.at(i * 100, () => a.send(Buffer.from('ping')));
  sim.runUntil(() => b.messages.length === 20 && a.channel.idle, 10_000);
  const { srttMs } = a.channel.stats();
  assert.ok(Math.abs(srttMs - 20) < 1, `srtt ${srttMs}`);
  a.stop(); b.stop();
});

test('sends CLOSE on a local close without calling onGone, and the peer reports gone (closed)', () => {
  const sim = new Sim();
  const { a, b } = connectChannels(sim, createLink(sim, new Rng(12)));
  a.close(1, 'bye for now');
  assert.throws(() => a.channel.sendMessage(Buffer.from('x'), sim.now), (e: unknown) => e instanceof ProtocolError && e.code === 'not_open');
  sim.run(100);
  assert.is(a.gone, null);
  assert.equal(b.gone && [b.gone.reason, b.gone.detail], ['closed', 'bye for now']);
  assert.is(a.channel.nextDeadline(), Infinity);
  a.stop(); b.stop();
});

test.run();
