// Tests of the login failure limiter and the flood-control token bucket (lib/rate-limit.ts), on a fake clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FLOOD_BURST, FLOOD_RATE_PER_S, LOGIN_FAILURE_WINDOW_MS, LOGIN_MAX_FAILURES } from '../lib/constants.ts';
import { FailureLimiter, TokenBucket } from '../lib/rate-limit.ts';

const T0 = 1_000_000;
const ADDR = '192.168.1.20:50123';

test('allows 5 wrong passwords, then blocks with a positive retryAfter', () => {
  const lim = new FailureLimiter();
  for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
    assert.is(lim.retryAfter(ADDR, T0 + i * 1000), 0, `attempt ${i + 1} allowed`);
    lim.fail(ADDR, T0 + i * 1000);
  }
  const wait = lim.retryAfter(ADDR, T0 + 5000);
  assert.ok(wait > 0, 'blocked after 5 failures');
  // Blocked until the first failure (T0) leaves the 60 s window.
  assert.is(wait, T0 + LOGIN_FAILURE_WINDOW_MS - (T0 + 5000));
});

test('allows the address again once the window has passed', () => {
  const lim = new FailureLimiter();
  for (let i = 0; i < LOGIN_MAX_FAILURES; i++) lim.fail(ADDR, T0);
  assert.is(lim.retryAfter(ADDR, T0 + LOGIN_FAILURE_WINDOW_MS - 1), 1);
  assert.is(lim.retryAfter(ADDR, T0 + LOGIN_FAILURE_WINDOW_MS), 0);
  // A fresh count: four more failures are allowed before the next block.
  for (let i = 0; i < LOGIN_MAX_FAILURES - 1; i++) lim.fail(ADDR, T0 + LOGIN_FAILURE_WINDOW_MS);
  assert.is(lim.retryAfter(ADDR, T0 + LOGIN_FAILURE_WINDOW_MS), 0);
  lim.fail(ADDR, T0 + LOGIN_FAILURE_WINDOW_MS);
  assert.ok(lim.retryAfter(ADDR, T0 + LOGIN_FAILURE_WINDOW_MS) > 0);
});

test('counts only failures inside the sliding window', () => {
  const lim = new FailureLimiter(3, 10_000);
  lim.fail(ADDR, T0);
  lim.fail(ADDR, T0 + 6000);
  lim.fail(ADDR, T0 + 12_000); // the first one has left the window: only two count
  assert.is(lim.retryAfter(ADDR, T0 + 12_000), 0);
  lim.fail(ADDR, T0 + 13_000);
  assert.is(lim.retryAfter(ADDR, T0 + 13_000), T0 + 6000 + 10_000 - (T0 + 13_000));
});

test('a right password clears the count', () => {
  const lim = new FailureLimiter();
  for (let i = 0; i < LOGIN_MAX_FAILURES - 1; i++) lim.fail(ADDR, T0);
  lim.succeed(ADDR);
  lim.fail(ADDR, T0);
  assert.is(lim.retryAfter(ADDR, T0), 0);
  assert.is(lim.size, 1);
});

test('keeps separate addresses independent', () => {
  const lim = new FailureLimiter();
  for (let i = 0; i < LOGIN_MAX_FAILURES; i++) lim.fail('10.0.0.1:1', T0);
  assert.ok(lim.retryAfter('10.0.0.1:1', T0) > 0);
  assert.is(lim.retryAfter('10.0.0.2:1', T0), 0);
  lim.fail('10.0.0.2:1', T0);
  assert.is(lim.retryAfter('10.0.0.2:1', T0), 0);
  lim.succeed('10.0.0.2:1');
  assert.ok(lim.retryAfter('10.0.0.1:1', T0) > 0, 'a success elsewhere does not unblock');
});

test('bounds memory: beyond maxKeys it forgets the addresses whose last failure is oldest', () => {
  const lim = new FailureLimiter(2, 60_000, 100);
  for (let i = 0; i < 2; i++) lim.fail('old', T0);
  for (let k = 0; k < 1000; k++) lim.fail(`10.0.${k >> 8}.${k & 255}:9`, T0 + 1 + k);
  assert.is(lim.size, 100);
  assert.is(lim.retryAfter('old', T0 + 2000), 0, 'the oldest key was forgotten');
  lim.fail('10.0.3.231:9', T0 + 2000); // key 999, still remembered
  assert.ok(lim.retryAfter('10.0.3.231:9', T0 + 2000) > 0);
});

test('bounds memory without forgetting an address that keeps failing', () => {
  const lim = new FailureLimiter(2, 60_000, 10);
  lim.fail('persistent', T0);
  for (let k = 0; k < 9; k++) lim.fail(`other-${k}`, T0 + 1 + k);
  lim.fail('persistent', T0 + 100); // now the most recent, so not the next to be forgotten
  lim.fail('newcomer', T0 + 101);
  assert.is(lim.size, 10);
  assert.ok(lim.retryAfter('persistent', T0 + 102) > 0, 'still blocked');
});

test('forgets an address once its failures have all left the window', () => {
  const lim = new FailureLimiter();
  lim.fail(ADDR, T0);
  assert.is(lim.size, 1);
  lim.retryAfter(ADDR, T0 + LOGIN_FAILURE_WINDOW_MS);
  assert.is(lim.size, 0);
});

test('bucket: a burst of 10 goes at once, then messages are spaced 200 ms apart at 5 per second', () => {
  const bucket = new TokenBucket(FLOOD_RATE_PER_S, FLOOD_BURST, T0);
  for (let i = 0; i < FLOOD_BURST; i++) assert.is(bucket.take(T0), 0, `message ${i + 1} of the burst`);
  // Queued at once: each waits 200 ms more than the one before.
  assert.equal([bucket.take(T0), bucket.take(T0), bucket.take(T0)], [200, 400, 600]);
});

test('bucket: a sender that waits as told is never delayed more than 200 ms', () => {
  const bucket = new TokenBucket(5, 10, T0);
  let now = T0;
  for (let i = 0; i < 10; i++) bucket.take(now);
  for (let i = 0; i < 20; i++) {
    const wait = bucket.take(now);
    assert.is(wait, 200, `message ${i + 11}`);
    now += wait;
  }
});

test('bucket: refills while idle, up to the burst and no more', () => {
  const bucket = new TokenBucket(5, 10, T0);
  for (let i = 0; i < 10; i++) bucket.take(T0);
  assert.is(bucket.take(T0 + 1000), 0, 'five tokens after a second');
  const later = T0 + 3_600_000;
  for (let i = 0; i < 10; i++) assert.is(bucket.take(later), 0);
  assert.is(bucket.take(later), 200, 'an hour idle still gives only a burst of 10');
});

test('bucket: with maxWaitMs, a refused message reserves nothing', () => {
  const bucket = new TokenBucket(5, 1, T0);
  assert.is(bucket.take(T0, 0), 0);
  assert.is(bucket.take(T0, 0), 200);
  assert.is(bucket.take(T0, 0), 200, 'the refusal did not push the next one back');
  assert.is(bucket.take(T0 + 200, 0), 0);
});

test('refuses nonsense limits with RangeError', () => {
  assert.throws(() => new TokenBucket(0, 10, T0), RangeError);
  assert.throws(() => new TokenBucket(5, 0, T0), RangeError);
  assert.throws(() => new FailureLimiter(0), RangeError);
  assert.throws(() => new FailureLimiter(5, 0), RangeError);
});

test.run();
