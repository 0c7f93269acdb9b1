import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtocolError } from '../lib/errors.ts';
import { bundleFingerprint, loadOrCreateClientKeys, parseBundle, type ClientKeys } from '../lib/e2e/keys.ts';

// RSA-2048 keeps the file fast; one test checks that the default is 3072.
const TEST_BITS = 2048;
let root = '';
let first: ClientKeys;
let generated = 0;

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'obrolan-e2e-keys-'));
  first = await loadOrCreateClientKeys(join(root, 'a'), () => generated++, TEST_BITS);
});

test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Base64 SPKI DER of a fresh public key of the given kind. */
function spki(kind: 'rsa' | 'ec' | 'ed25519', bits = 2048): string {
  const { publicKey } = kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: bits })
    : kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('ed25519');
  return publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

function refuses(input: unknown, what: string, pattern?: RegExp): void {
  try {
    parseBundle(input);
  } catch (err) {
    assert.instance(err, ProtocolError, what);
    assert.is((err as ProtocolError).code, 'bad_field', what);
    if (pattern) assert.match((err as Error).message, pattern, what);
    return;
  }
  assert.unreachable(`accepted ${what}`);
}

test('keys are made once, on first use, and reloaded with the same fingerprint', async () => {
  assert.is(generated, 1, 'onGenerate is called once for both key pairs');
  let again = 0;
  const reloaded = await loadOrCreateClientKeys(join(root, 'a'), () => again++, TEST_BITS);
  assert.is(again, 0, 'nothing generated on reload');
  assert.is(reloaded.fingerprint, first.fingerprint);
  assert.equal(reloaded.bundle, first.bundle);
  assert.match(first.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test('the encryption and signing keys are two different RSA keys of the asked size', () => {
  assert.is.not(first.bundle.enc, first.bundle.sig);
  assert.is(first.enc.publicKey.asymmetricKeyDetails?.modulusLength, TEST_BITS);
  assert.is(first.sig.publicKey.asymmetricKeyDetails?.modulusLength, TEST_BITS);
  const parsed = parseBundle(first.bundle);
  assert.is(parsed.fingerprint, first.fingerprint, 'others compute the same fingerprint from the bundle');
});

test('key files live in <dir>/keys with mode 0600', async () => {
  for (const name of ['client-enc.pem', 'client-sig.pem']) {
    const path = join(root, 'a', 'keys', name);
    assert.is((await stat(path)).mode & 0o777, 0o600, name);
    assert.match(await readFile(path, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  }
});

test('a key file readable by others is made private again on load', async () => {
  const path = join(root, 'a', 'keys', 'client-sig.pem');
  await chmod(path, 0o644);
  await loadOrCreateClientKeys(join(root, 'a'), undefined, TEST_BITS);
  assert.is((await stat(path)).mode & 0o777, 0o600);
});

test('two loads of one directory at once make one set of keys', async () => {
  let calls = 0;
  const dir = join(root, 'b');
  const [x, y] = await Promise.all([
    loadOrCreateClientKeys(dir, () => calls++, TEST_BITS),
    loadOrCreateClientKeys(dir, () => calls++, TEST_BITS),
  ]);
  assert.is(calls, 1);
  assert.is(x.fingerprint, y.fingerprint);
  assert.is((await loadOrCreateClientKeys(dir, undefined, TEST_BITS)).fingerprint, x.fingerprint);
});

test('a key file that is not a usable key is an error, not replaced', async () => {
  const dir = join(root, 'c');
  await loadOrCreateClientKeys(dir, undefined, TEST_BITS);
  const path = join(dir, 'keys', 'client-enc.pem');
  await writeFile(path, 'not a key', { mode: 0o600 });
  let threw = false;
  try {
    await loadOrCreateClientKeys(dir, undefined, TEST_BITS);
  } catch (err) {
    threw = true;
    assert.match((err as Error).message, /client-enc\.pem/);
  }
  assert.ok(threw);
  assert.is(await readFile(path, 'utf8'), 'not a key', 'the file is left for a person to look at');
});

test('keys are 3072-bit by default', async () => {
  const keys = await loadOrCreateClientKeys(join(root, 'd'));
  assert.is(keys.enc.publicKey.asymmetricKeyDetails?.modulusLength, 3072);
  assert.is(keys.sig.publicKey.asymmetricKeyDetails?.modulusLength, 3072);
});

test('the bundle fingerprint is stable and depends on both keys and their order', () => {
  const b = first.bundle;
  assert.is(bundleFingerprint({ ...b }), bundleFingerprint(JSON.parse(JSON.stringify(b))));
  assert.is(bundleFingerprint(b), first.fingerprint);
  assert.is.not(bundleFingerprint({ enc: b.sig, sig: b.enc }), first.fingerprint);
  const other = spki('rsa');
  assert.is.not(bundleFingerprint({ enc: b.enc, sig: other }), first.fingerprint);
  assert.is.not(bundleFingerprint({ enc: other, sig: b.sig }), first.fingerprint);
});

test('parseBundle refuses garbage with bad_field', () => {
  const b = first.bundle;
  refuses(null, 'null');
  refuses('x', 'a string');
  refuses([b.enc, b.sig], 'an array');
  refuses({ enc: b.enc }, 'a missing sig');
  refuses({ ...b, extra: 1 }, 'an extra field');
  refuses({ enc: 5, sig: b.sig }, 'a number');
  refuses({ enc: 'not base64!', sig: b.sig }, 'bad base64');
  refuses({ enc: ` ${b.enc.slice(1)}`, sig: b.sig }, 'whitespace');
  refuses({ enc: Buffer.from('hello world, not a key').toString('base64'), sig: b.sig }, 'bytes that are not a key', /SPKI/);
  refuses({ enc: 'A'.repeat(1_000_000), sig: b.sig }, 'a huge string');
  refuses({ enc: b.enc, sig: b.enc }, 'the same key twice', /same key/);
  refuses({ enc: spki('ec'), sig: b.sig }, 'an EC key', /RSA/);
  refuses({ enc: b.enc, sig: spki('ed25519') }, 'an Ed25519 key', /RSA/);
});

test('parseBundle refuses RSA keys smaller than 2048 bits or with a tiny exponent', () => {
  refuses({ enc: spki('rsa', 1024), sig: first.bundle.sig }, 'a 1024-bit enc key', /1024-bit/);
  refuses({ enc: first.bundle.enc, sig: spki('rsa', 2040) }, 'a 2040-bit sig key', /2040-bit/);
  const e3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey;
  refuses({ enc: e3.export({ type: 'spki', format: 'der' }).toString('base64'), sig: first.bundle.sig }, 'e = 3', /exponent/);
});

test.run();
