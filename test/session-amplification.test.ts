import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AMPLIFICATION_FACTOR } from '../lib/constants.ts';
import { AmplificationGuard } from '../lib/session/amplification.ts';
import { Rng } from './support/rng.ts';

test('lets an unvalidated address receive three times what it sent and not one byte more', () => {
  const guard = new AmplificationGuard();
  assert.is(guard.factor, AMPLIFICATION_FACTOR);
  guard.received('10.0.0.1:4000', 1200);
  assert.ok(guard.trySend('10.0.0.1:4000', 1200));
  assert.ok(guard.trySend('10.0.0.1:4000', 1200));
  assert.ok(guard.trySend('10.0.0.1:4000', 1199));
  assert.not.ok(guard.trySend('10.0.0.1:4000', 2));
  assert.ok(guard.trySend('10.0.0.1:4000', 1));
  assert.not.ok(guard.trySend('10.0.0.1:4000', 1));
  guard.received('10.0.0.1:4000', 10);
  assert.ok(guard.trySend('10.0.0.1:4000', 30));
  assert.not.ok(guard.trySend('10.0.0.1:4000', 1));
});

test('an address never heard from gets nothing', () => {
  const guard = new AmplificationGuard();
  guard.received('10.0.0.1:4000', 1200);
  assert.not.ok(guard.trySend('10.0.0.1:4001', 1));
  assert.not.ok(guard.trySend('10.0.0.2:4000', 1));
});

test('never lets bytes sent exceed 3 × bytes received over 20,000 seeded operations', () => {
  const rng = new Rng(2024); // seeded (test/support/rng.ts): a failing sequence reproduces
  const guard = new AmplificationGuard();
  const addresses = ['a:1', 'b:1', 'c:1', 'd:1', 'e:1'];
  const received = new Map<string, number>();
  const sent = new Map<string, number>();
  for (let step = 0; step < 20_000; step++) {
    const address = addresses[rng.int(addresses.length)]!;
    const bytes = rng.int(1300);
    if (rng.chance(0.3)) {
      guard.received(address, bytes);
      received.set(address, (received.get(address) ?? 0) + bytes);
      continue;
    }
    const before = sent.get(address) ?? 0;
    const within = before + bytes <= 3 * (received.get(address) ?? 0);
    const allowed = guard.trySend(address, bytes);
    assert.is(allowed, within, `step ${step}: ${address} ${bytes} bytes`);
    if (allowed) sent.set(address, before + bytes);
    assert.ok((sent.get(address) ?? 0) <= 3 * (received.get(address) ?? 0));
  }
  assert.ok([...sent.values()].some((n) => n > 0), 'the guard let some bytes through');
});

test('after validate() the address is unlimited, other addresses are not', () => {
  const guard = new AmplificationGuard();
  guard.received('10.0.0.1:4000', 1200);
  guard.received('10.0.0.2:4000', 1200);
  assert.not.ok(guard.isValidated('10.0.0.1:4000'));
  guard.validate('10.0.0.1:4000');
  assert.ok(guard.isValidated('10.0.0.1:4000'));
  for (let i = 0; i < 1000; i++) assert.ok(guard.trySend('10.0.0.1:4000', 1200));
  assert.not.ok(guard.trySend('10.0.0.2:4000', 3601));
});

test('remembers at most maxAddresses, forgetting the one heard from longest ago', () => {
  const guard = new AmplificationGuard(3, 3);
  guard.received('a:1', 100);
  guard.received('b:1', 100);
  guard.received('c:1', 100);
  guard.received('a:1', 100);
  guard.received('d:1', 100);
  assert.is(guard.size, 3);
  assert.not.ok(guard.trySend('b:1', 1), 'b was the oldest and is forgotten: no budget');
  assert.ok(guard.trySend('a:1', 600));
  assert.ok(guard.trySend('c:1', 300));
  assert.ok(guard.trySend('d:1', 300));
  for (let i = 0; i < 10_000; i++) guard.received(`10.1.${i >> 8}.${i & 0xff}:9`, 1200);
  assert.is(guard.size, 3);
});

test('refuses negative or fractional byte counts', () => {
  const guard = new AmplificationGuard();
  assert.throws(() => guard.received('a:1', -1), RangeError);
  assert.throws(() => guard.received('a:1', 1.5), RangeError);
  assert.throws(() => guard.trySend('a:1', NaN), RangeError);
});

test.run();
