import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRsaKeyPair, loadOrCreateKeyPair, type RsaKeyPair } from '../lib/keyfile.ts';
import { resetKeyFrom, resetToken } from '../lib/session/reset.ts';

const CONN_A = Buffer.from('0000000000000001', 'hex');
const CONN_B = Buffer.from('0000000000000002', 'hex');
let dir: string;
let server: RsaKeyPair;
let other: RsaKeyPair;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'obrolan-reset-'));
  // RSA-2048 keeps the suite fast; the code does not depend on the size.
  [server, other] = await Promise.all([loadOrCreateKeyPair(join(dir, 'server.pem'), 2048), generateRsaKeyPair(2048)]);
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the same server key and connection id give the same 16-byte token', () => {
  const token = resetToken(resetKeyFrom(server.privateKey), CONN_A);
  assert.is(token.length, 16);
  assert.equal(resetToken(resetKeyFrom(server.privateKey), CONN_A), token);
});

test('the token is the same after a restart that reloads the key file', async () => {
  const before = resetToken(resetKeyFrom(server.privateKey), CONN_A);
  const reloaded = await loadOrCreateKeyPair(join(dir, 'server.pem'), 2048);
  assert.is(reloaded.fingerprint, server.fingerprint, 'the key file was reused, not replaced');
  assert.equal(resetToken(resetKeyFrom(reloaded.privateKey), CONN_A), before);
});

test('tokens differ per connection id and per server key', () => {
  const key = resetKeyFrom(server.privateKey);
  assert.not.equal(resetToken(key, CONN_A), resetToken(key, CONN_B));
  assert.not.equal(resetToken(resetKeyFrom(other.privateKey), CONN_A), resetToken(key, CONN_A));
});

test('the reset key can only be made from the private key', () => {
  assert.throws(() => resetKeyFrom(server.publicKey), TypeError);
  assert.is(resetKeyFrom(server.privateKey).length, 32);
});

test('refuses a connection id of the wrong length', () => {
  const key = resetKeyFrom(server.privateKey);
  assert.throws(() => resetToken(key, Buffer.alloc(7)), RangeError);
  assert.throws(() => resetToken(key, Buffer.alloc(9)), RangeError);
});

test.run();
