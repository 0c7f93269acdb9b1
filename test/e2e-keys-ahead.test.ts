// Keys made ahead (lib/e2e/keys-ahead.ts): the pairs made in memory before the name is known are the ones
// saved under that name and used; keys already on disk for the name win and are never replaced.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { loadOrCreateClientKeys, loadOrCreateUserKeys, userHasKeys, userKeysDir } from '../lib/e2e/keys.ts';
import { KeysAhead, keysAheadFor } from '../lib/e2e/keys-ahead.ts';
import { fingerprintOf, generateRsaKeyPair, keyPairFrom, type RsaKeyPair } from '../lib/keyfile.ts';
import { removeDir, tempDir } from './support/chat-harness.ts';

const TEST_BITS = 2048;
const dirs: string[] = [];
test.after(async () => {
  for (const d of dirs) await removeDir(d);
});

async function dir(): Promise<string> {
  const d = await tempDir('obrolan-keys-ahead-');
  dirs.push(d);
  return d;
}

/** The fingerprint of the private key saved in a PEM file. */
async function savedFingerprint(path: string): Promise<string> {
  return keyPairFrom(createPrivateKey(await readFile(path, 'utf8'))).fingerprint;
}

test('the pairs made ahead are the ones saved under the name and used; no progress line for them', async () => {
  const d = await dir();
  const made: Promise<RsaKeyPair>[] = [];
  const given = new KeysAhead(TEST_BITS, (bits) => { const p = generateRsaKeyPair(bits); made.push(p); return p; });
  const [enc, sig] = await Promise.all(made); // made in the constructor: enc, then sig
  let told = 0;
  const keys = await loadOrCreateUserKeys(d, 'alice', () => told++, TEST_BITS, given);
  assert.is(keys.enc.fingerprint, enc!.fingerprint);
  assert.is(keys.sig.fingerprint, sig!.fingerprint);
  assert.is(told, 0, 'nothing to wait for: no "making your keys" line');
  const saved = join(userKeysDir(d, 'alice'), 'keys');
  assert.is(await savedFingerprint(join(saved, 'client-enc.pem')), enc!.fingerprint);
  assert.is(await savedFingerprint(join(saved, 'client-sig.pem')), sig!.fingerprint);
  assert.not.ok(given.has('enc') || given.has('sig'), 'taken once');
  assert.ok(userHasKeys(d, 'ALICE'));
  // The next start finds them on disk.
  assert.is((await loadOrCreateUserKeys(d, 'alice', undefined, TEST_BITS)).fingerprint, keys.fingerprint);
});

test('a name whose keys exist uses those: the keys on disk are never replaced, the pairs made ahead stay unused', async () => {
  const d = await dir();
  const before = await loadOrCreateUserKeys(d, 'budi', undefined, TEST_BITS);
  const encPath = join(userKeysDir(d, 'budi'), 'keys', 'client-enc.pem');
  const pem = await readFile(encPath, 'utf8');
  const ahead = new KeysAhead(TEST_BITS);
  const again = await loadOrCreateUserKeys(d, 'Budi', undefined, TEST_BITS, ahead);
  assert.is(again.fingerprint, before.fingerprint);
  assert.is(await readFile(encPath, 'utf8'), pem, 'the file is untouched');
  assert.ok(ahead.has('enc') && ahead.has('sig'), 'not used for a name that had keys');
  // They go to the next name without keys, and only to one.
  const citra = await loadOrCreateUserKeys(d, 'citra', undefined, TEST_BITS, ahead);
  const dewi = await loadOrCreateUserKeys(d, 'dewi', undefined, TEST_BITS, ahead);
  assert.is.not(citra.fingerprint, dewi.fingerprint, 'one pair never serves two names');
  assert.is.not(citra.fingerprint, before.fingerprint);
});

test('the folder keys of an earlier version still move to the first user rather than the pairs made ahead', async () => {
  const d = await dir();
  const old = await loadOrCreateClientKeys(d, undefined, TEST_BITS);
  assert.ok(userHasKeys(d, 'eko'), 'the folder keys count as the name\'s keys');
  const ahead = new KeysAhead(TEST_BITS);
  const first = await loadOrCreateUserKeys(d, 'eko', undefined, TEST_BITS, ahead);
  assert.is(first.fingerprint, old.fingerprint);
  assert.ok(ahead.has('enc') && ahead.has('sig'));
  await Promise.all([ahead.take('enc', TEST_BITS), ahead.take('sig', TEST_BITS)]); // let the threads finish before the test ends
});

test('keysAheadFor makes nothing for a name given beforehand that has keys; a size that differs is not taken', async () => {
  const d = await dir();
  await loadOrCreateUserKeys(d, 'fajar', undefined, TEST_BITS);
  assert.is(keysAheadFor(d, 'FAJAR', TEST_BITS), undefined);
  const ahead = keysAheadFor(d, 'gita', TEST_BITS)!;
  assert.ok(ahead instanceof KeysAhead);
  assert.is(ahead.take('enc', 3072), undefined);
  const pair = await ahead.take('enc', TEST_BITS)!;
  assert.is(pair.fingerprint, fingerprintOf(pair.spki));
  await ahead.take('sig', TEST_BITS);
});

test('made on first need: nothing is made until the first take', async () => {
  let calls = 0;
  const ahead = new KeysAhead(TEST_BITS, (bits) => { calls++; return generateRsaKeyPair(bits); }, false);
  assert.is(calls, 0);
  assert.not.ok(ahead.ready);
  const d = await dir();
  const keys = await loadOrCreateUserKeys(d, 'hana', undefined, TEST_BITS, ahead);
  assert.is(calls, 2);
  assert.ok(ahead.ready);
  assert.is((await loadOrCreateUserKeys(d, 'hana', undefined, TEST_BITS)).fingerprint, keys.fingerprint, 'saved');
});

test.run();
