import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COOKIE_SECRET_ROTATE_MS, COOKIE_SLOT_MS } from '../lib/constants.ts';
import { COOKIE_BYTES, CookieJar } from '../lib/session/cookie.ts';
import { decodePacket, encodePacket } from '../lib/wire.ts';

// A slot-aligned fake clock, in ms.
const T = 56_000_000 * COOKIE_SLOT_MS;
const ADDR = '192.168.1.20:51000';
const KEY = Buffer.alloc(32, 0x5a);
const ID = Buffer.alloc(8, 1);

test('verifies a cookie for the same address and client key, and it fits in HELLO', () => {
  const jar = new CookieJar(T);
  const cookie = jar.make(ADDR, KEY, ID, T + 10);
  assert.is(cookie.length, COOKIE_BYTES);
  assert.ok(cookie.length <= 64);
  assert.ok(jar.verify(cookie, ADDR, KEY, ID, T + 20));
  const hello = decodePacket(encodePacket({ type: 'hello', connId: Buffer.alloc(8, 1), pn: 0, clientPub: KEY, cookie }));
  assert.ok(hello.type === 'hello' && jar.verify(hello.cookie, ADDR, hello.clientPub, ID, T + 30));
});

test('refuses the cookie for another address, port or client key', () => {
  const jar = new CookieJar(T);
  const cookie = jar.make(ADDR, KEY, ID, T);
  assert.not.ok(jar.verify(cookie, '192.168.1.21:51000', KEY, ID, T));
  assert.not.ok(jar.verify(cookie, '192.168.1.20:51001', KEY, ID, T));
  assert.not.ok(jar.verify(cookie, '192.168.1.20:5100', KEY, ID, T));
  const otherKey = Buffer.from(KEY);
  otherKey[31] = otherKey[31]! ^ 1;
  assert.not.ok(jar.verify(cookie, ADDR, otherKey, ID, T));
});

test('refuses a cookie with any bit flipped, cut short or made longer', () => {
  const jar = new CookieJar(T);
  const cookie = jar.make(ADDR, KEY, ID, T);
  for (let bit = 0; bit < cookie.length * 8; bit++) {
    const flipped = Buffer.from(cookie);
    flipped[bit >> 3] = flipped[bit >> 3]! ^ (0x80 >> (bit & 7));
    assert.not.ok(jar.verify(flipped, ADDR, KEY, ID, T), `bit ${bit}`);
  }
  assert.not.ok(jar.verify(cookie.subarray(0, cookie.length - 1), ADDR, KEY, ID, T));
  assert.not.ok(jar.verify(Buffer.concat([cookie, Buffer.alloc(1)]), ADDR, KEY, ID, T));
  assert.not.ok(jar.verify(Buffer.alloc(0), ADDR, KEY, ID, T));
  assert.not.ok(jar.verify(Buffer.alloc(64, 0xff), ADDR, KEY, ID, T));
});

test('accepts a cookie from the previous slot and refuses one two slots old', () => {
  const jar = new CookieJar(T);
  const early = jar.make(ADDR, KEY, ID, T);
  const late = jar.make(ADDR, KEY, ID, T + COOKIE_SLOT_MS - 1);
  assert.ok(jar.verify(early, ADDR, KEY, ID, T + 2 * COOKIE_SLOT_MS - 1));
  assert.ok(jar.verify(late, ADDR, KEY, ID, T + 2 * COOKIE_SLOT_MS - 1));
  assert.not.ok(jar.verify(early, ADDR, KEY, ID, T + 2 * COOKIE_SLOT_MS));
  assert.not.ok(jar.verify(late, ADDR, KEY, ID, T + 2 * COOKIE_SLOT_MS));
  // Slot numbers wrap in the cookie's one byte; a cookie 256 slots old must not look current.
  assert.not.ok(jar.verify(early, ADDR, KEY, ID, T + 256 * COOKIE_SLOT_MS));
});

test('still verifies a cookie made just before the secret rotation', () => {
  const jar = new CookieJar(T);
  const made = T + COOKIE_SECRET_ROTATE_MS - 1;
  const cookie = jar.make(ADDR, KEY, ID, made);
  assert.ok(jar.verify(cookie, ADDR, KEY, ID, T + COOKIE_SECRET_ROTATE_MS + 1));
  assert.ok(jar.verify(cookie, ADDR, KEY, ID, made + COOKIE_SLOT_MS));
});

test('every cookie verifies 25 s later across ten minutes of rotations', () => {
  const jar = new CookieJar(T + 7_000);
  for (let now = T; now < T + 10 * 60_000; now += 5_000) {
    const cookie = jar.make(ADDR, KEY, ID, now);
    assert.ok(jar.verify(cookie, ADDR, KEY, ID, now + 25_000), `made at +${now - T} ms`);
  }
});

test('refuses a cookie made by another jar (another server, or this one before a restart)', () => {
  const cookie = new CookieJar(T).make(ADDR, KEY, ID, T);
  assert.not.ok(new CookieJar(T).verify(cookie, ADDR, KEY, ID, T));
});

test('refuses the cookie for another connection id', () => {
  const jar = new CookieJar(T);
  const cookie = jar.make(ADDR, KEY, ID, T);
  assert.ok(jar.verify(cookie, ADDR, KEY, ID, T));
  assert.not.ok(jar.verify(cookie, ADDR, KEY, Buffer.alloc(8, 2), T), 'one cookie, one connection id');
});

test('a cookie is redeemed once; it is forgotten after it expired', () => {
  const jar = new CookieJar(T);
  const cookie = jar.make(ADDR, KEY, ID, T);
  assert.ok(jar.redeem(cookie, T + 1));
  assert.not.ok(jar.redeem(cookie, T + 2), 'the second time it is refused');
  assert.not.ok(jar.redeem(cookie, T + 2 * COOKIE_SLOT_MS - 1), 'and for as long as it verifies');
  assert.is(jar.spentCount, 1);
  const other = jar.make(ADDR, KEY, Buffer.alloc(8, 3), T + 2 * COOKIE_SLOT_MS);
  assert.ok(jar.redeem(other, T + 2 * COOKIE_SLOT_MS));
  assert.is(jar.spentCount, 1, 'the expired one was dropped');
});

test.run();
