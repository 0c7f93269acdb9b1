// Larger datagrams (docs/PROTOCOL.md "Larger datagrams"): a channel probes a larger payload and uses it only
// once the peer answered a probe of exactly that size; on a path that cannot carry it nothing changes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Channel } from '../lib/channel/channel.ts';
import { Pacer } from '../lib/channel/pacer.ts';
import { LARGE_PAYLOAD_MAX_BYTES, MAX_PAYLOAD_BYTES, PROBE_RETRY_MS, PROBE_TRIES } from '../lib/constants.ts';
import { decodeFrames, encodeFrames, type Frame } from '../lib/wire.ts';
import { Rng } from './support/rng.ts';
import { Sim, connectChannels, createLink, type LinkOptions } from './support/sim.ts';

/** Sends `count` seeded messages (up to 64 KiB) a→b over a link after a probes LARGE_PAYLOAD_MAX_BYTES. */
function probedRun(seed: number, link: LinkOptions, count = 300) {
  const sim = new Sim();
  const rng = new Rng(seed);
  const net = createLink(sim, rng.fork(), link);
  const sizes: number[] = [];
  const inner = net.a.send.bind(net.a);
  net.a.send = (bytes) => { sizes.push(bytes.length); inner(bytes); };
  const { a, b } = connectChannels(sim, net);
  a.channel.probePayload(LARGE_PAYLOAD_MAX_BYTES, sim.now);
  const pick = rng.fork();
  const sent: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const m = pick.bytes(pick.chance(0.3) ? pick.range(4_000, 64 * 1024) : pick.range(1, 300));
    sim.at(pick.int(5_000), () => { sent.push(m); a.send(m); });
  }
  const done = (): boolean => sent.length === count && b.messages.length === count;
  return { sim, net, a, b, sent, sizes, done };
}

function assertDelivered(got: Buffer[], sent: Buffer[]): void {
  assert.is(got.length, sent.length, 'count');
  for (let i = 0; i < sent.length; i++) assert.ok(got[i]!.equals(sent[i]!), `message ${i} differs`);
}

test('a path that carries 60 KiB: after the answered probe the channel sends payloads of up to 60 KiB, and every message arrives once, in order, through loss, duplication and reordering', () => {
  const run = probedRun(7, { loss: 0.05, duplicate: 0.05, reorder: 0.1, delayMs: 5, jitterMs: 5 });
  assert.ok(run.sim.runUntil(run.done, 300_000), `not all delivered by ${run.sim.now} ms`);
  assertDelivered(run.b.messages, run.sent);
  assert.is(run.a.channel.payloadLimit, LARGE_PAYLOAD_MAX_BYTES, 'the probed size is in use');
  const big = run.sizes.filter((n) => n > MAX_PAYLOAD_BYTES && n !== LARGE_PAYLOAD_MAX_BYTES).length;
  assert.ok(big > 50, `data went in large payloads (${big} of ${run.sizes.length})`);
  assert.ok(run.sizes.every((n) => n <= LARGE_PAYLOAD_MAX_BYTES), 'none beyond the limit');
  assert.is(run.b.channel.payloadLimit, MAX_PAYLOAD_BYTES, 'the other direction did not probe, so it stays at the base size');
});

test('a path that drops anything above the base size: the probe goes unanswered, is tried 3 times, and the channel stays at 1,168 bytes losing nothing', () => {
  const run = probedRun(8, { mtu: MAX_PAYLOAD_BYTES, loss: 0.02, delayMs: 3 });
  assert.ok(run.sim.runUntil(run.done, 300_000), `not all delivered by ${run.sim.now} ms`);
  run.sim.run(run.sim.now + PROBE_TRIES * PROBE_RETRY_MS);
  assertDelivered(run.b.messages, run.sent);
  assert.is(run.a.channel.payloadLimit, MAX_PAYLOAD_BYTES);
  assert.is(run.sizes.filter((n) => n > MAX_PAYLOAD_BYTES).length, PROBE_TRIES, 'only the probes were large');
  assert.is(run.a.channel.stats().retransmits < run.sent.length, true, 'no storm of resends');
});

/** A channel whose payloads are collected instead of sent. */
function bare(): { channel: Channel; sent: Buffer[] } {
  const sent: Buffer[] = [];
  const channel = new Channel({ now: 0, send: (p) => sent.push(p), onMessage: () => {}, onGone: () => {} });
  return { channel, sent };
}

const framesOf = (sent: Buffer[]): Frame[] => sent.flatMap((p) => decodeFrames(p));

test('a PROBE is answered with PROBE_ACK naming the size of the payload that carried it', () => {
  const { channel, sent } = bare();
  const probe = encodeFrames([{ type: 'probe', padding: 4_000 }]);
  channel.receive(probe, 1);
  assert.ok(channel.wantsFlush, 'the answer is due at once');
  channel.flush(1);
  assert.equal(framesOf(sent).filter((f) => f.type === 'probe_ack'), [{ type: 'probe_ack', size: probe.length }]);
});

test('a PROBE_ACK of another size, or with no probe sent, changes nothing; the right one raises the limit', () => {
  const { channel, sent } = bare();
  channel.receive(encodeFrames([{ type: 'probe_ack', size: 9_000 }]), 1);
  assert.is(channel.payloadLimit, MAX_PAYLOAD_BYTES, 'no probe was sent');
  channel.probePayload(9_000, 2);
  channel.flush(2);
  const probes = framesOf(sent).filter((f) => f.type === 'probe');
  assert.is(probes.length, 1);
  assert.is(sent.at(-1)!.length, 9_000, 'the probe payload is exactly the probed size');
  channel.receive(encodeFrames([{ type: 'probe_ack', size: 8_999 }]), 3);
  assert.is(channel.payloadLimit, MAX_PAYLOAD_BYTES, 'another size');
  channel.receive(encodeFrames([{ type: 'probe_ack', size: 9_000 }]), 4);
  assert.is(channel.payloadLimit, 9_000);
  assert.throws(() => channel.probePayload(LARGE_PAYLOAD_MAX_BYTES + 1, 5), RangeError);
});

test('channels that reuse their payload buffer share one, so 1,000 idle members do not each hold 60 KiB', () => {
  const seen: ArrayBufferLike[] = [];
  const make = (): Channel => new Channel({ now: 0, send: (p) => seen.push(p.buffer), onMessage: () => {}, onGone: () => {}, reusePayload: true });
  const chans = [make(), make(), make()];
  for (const c of chans) {
    c.probePayload(LARGE_PAYLOAD_MAX_BYTES, 0);
    c.flush(0);
    c.receive(encodeFrames([{ type: 'probe_ack', size: LARGE_PAYLOAD_MAX_BYTES }]), 1);
    c.sendMessage(Buffer.alloc(20_000, 1), 1);
    c.flush(1);
  }
  assert.ok(seen.length >= 6);
  assert.is(new Set(seen).size, 1, 'every payload was built in the same buffer');
});

test('with 60 KiB payloads a burst holds at most 256 KiB (a default receive buffer takes it); with 1,168-byte ones still 16', () => {
  const burstOf = (payload: number): number => {
    const p = new Pacer(0, () => 1e-9); // refills nothing: only the burst goes
    p.setPayloadSize(payload);
    let n = 0;
    while (p.ready(0)) { p.spend(); n++; }
    return n;
  };
  assert.is(burstOf(MAX_PAYLOAD_BYTES), 16);
  assert.is(burstOf(LARGE_PAYLOAD_MAX_BYTES), 4);
  assert.ok(burstOf(LARGE_PAYLOAD_MAX_BYTES) * LARGE_PAYLOAD_MAX_BYTES <= 256 * 1024);
  assert.is(burstOf(200_000), 2, 'never fewer than 2');
});

test.run();
