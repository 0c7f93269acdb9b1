import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constants, createHash, privateDecrypt, publicEncrypt, sign, verify } from 'node:crypto';
import { MAX_MESSAGE_BYTES, MAX_TEXT_BYTES } from '../lib/constants.ts';
import { ChatError } from '../lib/errors.ts';
import { generateRsaKeyPair } from '../lib/keyfile.ts';
import { bundleFingerprint, ownUserKeys, type ClientKeys, type UserKeys } from '../lib/e2e/keys.ts';
import { E2E_MAX_ENVELOPE_BYTES, signedBytes } from '../lib/e2e/envelope.ts';
import {
  describeFailure, forRecipient, MAX_RECIPIENTS, openEnvelope, ReplayGuard, sealEnvelope, type Envelope, type OpenResult,
} from '../lib/e2e/seal.ts';

// A small pool of RSA-2048 identities, reused across many names to keep the file fast;
// the code accepts any size from 2048 to 4096 bits.
const POOL_SIZE = 6;
const pool: ClientKeys[] = [];

async function makeClient(bits: number): Promise<ClientKeys> {
  const [enc, sig] = await Promise.all([generateRsaKeyPair(bits), generateRsaKeyPair(bits)]);
  const bundle = { enc: enc.spki.toString('base64'), sig: sig.spki.toString('base64') };
  return { enc, sig, bundle, fingerprint: bundleFingerprint(bundle) };
}

test.before(async () => {
  pool.push(...(await Promise.all(Array.from({ length: POOL_SIZE }, () => makeClient(2048)))));
});

// Each name gets a fixed identity from the pool: ani 0, budi 1, citra 2, dewi 3, eko 4, mallory 5.
const BASE = ['ani', 'budi', 'citra', 'dewi', 'eko', 'mallory'];
const who = (name: string): ClientKeys => {
  const i = BASE.indexOf(name);
  return pool[i >= 0 ? i : Number(/\d+/.exec(name)?.[0] ?? 0) % POOL_SIZE]!;
};
const pub = (name: string): UserKeys => ownUserKeys(who(name));

let nextId = 0;
function seal(from: string, to: string[], text = 'halo semua', id = `m${++nextId}`): Envelope {
  return sealEnvelope({ id, from, text, recipients: new Map(to.map((n) => [n, pub(n)])), sender: who(from) });
}

/** Opens as `me`, over a JSON round trip (as from the wire), with the keys of the claimed sender. */
function open(env: unknown, me: string, opts: { sender?: string | null; seen?: ReplayGuard } = {}): OpenResult {
  const claimed = (env as { from?: unknown } | null)?.from;
  const sender = opts.sender === null ? undefined : pub(opts.sender ?? (typeof claimed === 'string' ? claimed : 'ani'));
  const wire = env === undefined ? undefined : JSON.parse(JSON.stringify(env));
  return openEnvelope(wire, { me, mine: who(me), senderKeys: sender, seen: opts.seen ?? new ReplayGuard() });
}

const copy = (e: Envelope): Envelope => JSON.parse(JSON.stringify(e));
function flip(b64: string, index = 0): string {
  const b = Buffer.from(b64, 'base64');
  b[index] ^= 0x01;
  return b.toString('base64');
}
function resign(e: Envelope, as: string): Envelope {
  return { ...e, sig: sign('sha256', signedBytes(e), { key: who(as).sig.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64') };
}
const digest = (b64: string): string => createHash('sha256').update(Buffer.from(b64, 'base64')).digest('base64');

function assertRefused(r: OpenResult, reason: string): void {
  assert.is(r.ok, false, `expected refusal (${reason}), got ${JSON.stringify(r)}`);
  if (!r.ok) assert.is(r.reason, reason);
  assert.not.ok('text' in r, 'a refusal carries no text');
}

test('a message sealed for one recipient opens for that recipient', () => {
  const env = seal('budi', ['ani'], 'selamat pagi ☀️');
  assert.equal(open(env, 'ani'), { ok: true, text: 'selamat pagi ☀️' });
});

test('a message sealed for two recipients opens for each of them', () => {
  const env = seal('ani', ['citra', 'budi'], 'rapat jam 3');
  assert.equal(env.to, ['budi', 'citra']);
  assert.equal(open(env, 'budi'), { ok: true, text: 'rapat jam 3' });
  assert.equal(open(env, 'citra'), { ok: true, text: 'rapat jam 3' });
});

test('a message sealed for 50 recipients opens for every one, stripped or whole', () => {
  const names = Array.from({ length: 50 }, (_, i) => `user${String(i).padStart(2, '0')}`);
  const env = seal('ani', names, 'untuk semua');
  assert.is(Object.keys(env.keys).length, 50);
  for (const name of names) {
    assert.equal(open(env, name), { ok: true, text: 'untuk semua' }, name);
    assert.equal(open(forRecipient(env, name), name), { ok: true, text: 'untuk semua' }, `${name} stripped`);
  }
});

test('an envelope stripped by forRecipient keeps only that recipient key and still opens', () => {
  const env = seal('budi', ['ani', 'citra', 'dewi']);
  const forAni = forRecipient(env, 'ani');
  assert.equal(Object.keys(forAni.keys), ['ani']);
  assert.equal(forAni.kd, env.kd, 'digests stay for everyone so the signature still verifies');
  assert.ok(open(forAni, 'ani').ok);
  // The copy meant for ani is of no use to citra.
  assertRefused(open(forAni, 'citra'), 'bad_key');
  assert.equal(forRecipient(env, 'mallory').keys, {});
});

test('a non-recipient cannot open the message', () => {
  const env = seal('budi', ['ani', 'citra']);
  assertRefused(open(env, 'mallory'), 'not_recipient');
  // Same keys as a recipient, other name: still not addressed to them.
  assertRefused(open(env, 'user00'), 'not_recipient');
});

test('the envelope carries no plaintext', () => {
  const text = 'kata sandi wifi: rahasia-sekali-123';
  const json = JSON.stringify(seal('budi', ['ani', 'budi'], text));
  for (const needle of [text, 'rahasia', Buffer.from(text).toString('base64'), Buffer.from(text).toString('hex')]) {
    assert.not.ok(json.includes(needle), `found ${needle}`);
  }
});

test('each message gets a fresh key and nonce', () => {
  const a = seal('budi', ['ani'], 'sama', 'x1');
  const b = seal('budi', ['ani'], 'sama', 'x2');
  assert.is.not(a.nonce, b.nonce);
  assert.is.not(a.ct, b.ct);
  assert.is.not(a.keys.ani, b.keys.ani);
});

test('wraps keys with RSA-OAEP-SHA256 and signs with RSA-PSS (SHA-256, salt 32)', () => {
  const env = seal('budi', ['ani']);
  const wrapped = Buffer.from(env.keys.ani!, 'base64');
  const key = privateDecrypt({ key: who('ani').enc.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped);
  assert.is(key.length, 32);
  // Node's default OAEP hash is SHA-1: the key must not open that way.
  assert.throws(() => privateDecrypt({ key: who('ani').enc.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, wrapped));
  const sig = Buffer.from(env.sig, 'base64');
  const pss = { key: who('budi').sig.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  assert.ok(verify('sha256', signedBytes(env), pss, sig));
  assert.not.ok(verify('sha256', signedBytes(env), who('budi').sig.publicKey, sig), 'not PKCS#1 v1.5');
});

test('a changed ciphertext is refused before decryption (bad_signature)', () => {
  const env = copy(seal('budi', ['ani']));
  env.ct = flip(env.ct, 3);
  assertRefused(open(env, 'ani'), 'bad_signature');
});

test('a changed GCM tag is refused (bad_signature)', () => {
  const env = copy(seal('budi', ['ani']));
  env.ct = flip(env.ct, Buffer.from(env.ct, 'base64').length - 1);
  assertRefused(open(env, 'ani'), 'bad_signature');
});

test('a changed nonce is refused (bad_signature)', () => {
  const env = copy(seal('budi', ['ani']));
  env.nonce = flip(env.nonce, 11);
  assertRefused(open(env, 'ani'), 'bad_signature');
});

test('a changed wrapped key is refused (bad_key)', () => {
  const env = copy(seal('budi', ['ani', 'citra']));
  env.keys.ani = flip(env.keys.ani!, 100);
  assertRefused(open(env, 'ani'), 'bad_key');
  // Swapping in another recipient's wrapped key does not match the digest either.
  const swapped = copy(seal('budi', ['ani', 'citra']));
  swapped.keys.ani = swapped.keys.citra!;
  assertRefused(open(swapped, 'ani'), 'bad_key');
});

test('a wrapped key replaced by one the server made itself is refused before unwrapping (bad_key)', () => {
  // Wrapped correctly to ani's key, so only the signed digest shows it is not the sender's.
  const env = copy(seal('budi', ['ani']));
  const oaep = { key: who('ani').enc.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
  env.keys.ani = publicEncrypt(oaep, Buffer.alloc(32, 7)).toString('base64');
  assertRefused(open(env, 'ani'), 'bad_key');
});

test('a changed key digest is refused (bad_signature)', () => {
  const env = copy(seal('budi', ['ani', 'citra']));
  env.kd.citra = flip(env.kd.citra!);
  assertRefused(open(env, 'ani'), 'bad_signature');
  // Replacing both the wrapped key and its digest also breaks the signature.
  const both = copy(seal('budi', ['ani']));
  both.keys.ani = copy(seal('budi', ['ani'])).keys.ani!;
  both.kd.ani = digest(both.keys.ani);
  assertRefused(open(both, 'ani'), 'bad_signature');
});

test('a changed signature is refused (bad_signature)', () => {
  const env = copy(seal('budi', ['ani']));
  env.sig = flip(env.sig, 200);
  assertRefused(open(env, 'ani'), 'bad_signature');
  // Another user's valid signature over the same bytes is not budi's.
  assertRefused(open(resign(copy(seal('budi', ['ani'])), 'citra'), 'ani'), 'bad_signature');
});

test('a changed claimed sender is refused (bad_signature)', () => {
  const env = copy(seal('budi', ['ani']));
  env.from = 'citra';
  assertRefused(open(env, 'ani'), 'bad_signature'); // checked with citra's keys
  assertRefused(open(env, 'ani', { sender: 'budi' }), 'bad_signature'); // and with budi's
});

test('a sender who re-signs someone else\'s envelope as their own cannot make it open', () => {
  // mallory takes budi's envelope, claims it and signs it: the AAD still says budi.
  const env = copy(seal('budi', ['ani', 'mallory']));
  env.from = 'mallory';
  assertRefused(open(resign(env, 'mallory'), 'ani'), 'decrypt_failed');
});

test('a sender whose wrapped key does not unwrap is refused (bad_key)', () => {
  // A signed envelope whose key for ani was wrapped to citra's key (a broken or malicious sender).
  const env = copy(seal('budi', ['ani', 'citra']));
  env.keys.ani = env.keys.citra!;
  env.kd.ani = env.kd.citra!;
  assertRefused(open(resign(env, 'budi'), 'ani'), 'bad_key');
});

test('an added, removed or reordered recipient is refused', () => {
  const added = copy(seal('budi', ['ani', 'citra']));
  added.to = ['ani', 'citra', 'mallory'];
  added.keys.mallory = copy(seal('budi', ['mallory'])).keys.mallory!;
  added.kd.mallory = digest(added.keys.mallory);
  assertRefused(open(added, 'ani'), 'bad_signature');
  const removed = copy(seal('budi', ['ani', 'citra']));
  removed.to = ['ani'];
  delete removed.keys.citra;
  delete removed.kd.citra;
  assertRefused(open(removed, 'ani'), 'bad_signature');
  const reordered = copy(seal('budi', ['ani', 'citra']));
  reordered.to = ['citra', 'ani'];
  assertRefused(open(reordered, 'ani'), 'malformed'); // `to` must be sorted: one list, one encoding
});

test('a changed id is refused (bad_signature)', () => {
  const env = copy(seal('budi', ['ani'], 'x', 'id-1'));
  env.id = 'id-2';
  assertRefused(open(env, 'ani'), 'bad_signature');
});

test('an unknown sender cannot be verified, so nothing is shown', () => {
  assertRefused(open(seal('budi', ['ani']), 'ani', { sender: null }), 'bad_signature');
});

test('a replayed envelope is refused, stripped or not', () => {
  const seen = new ReplayGuard();
  const env = seal('budi', ['ani']);
  assert.ok(open(env, 'ani', { seen }).ok);
  assertRefused(open(env, 'ani', { seen }), 'replay');
  assertRefused(open(forRecipient(env, 'ani'), 'ani', { seen }), 'replay');
  // The same id from another sender is another message.
  assert.ok(open(seal('citra', ['ani'], 'x', env.id), 'ani', { seen }).ok);
});

test('a forgery does not use up the id of the real message', () => {
  const seen = new ReplayGuard();
  const real = seal('budi', ['ani'], 'asli', 'same-id');
  const forged = copy(real);
  forged.ct = flip(forged.ct);
  assertRefused(open(forged, 'ani', { seen }), 'bad_signature');
  assert.equal(open(real, 'ani', { seen }), { ok: true, text: 'asli' });
});

test('the replay guard forgets the oldest ids beyond its bound', () => {
  const seen = new ReplayGuard(3);
  for (const id of ['a', 'b', 'c', 'd']) assert.is(seen.seen('budi', id), false);
  assert.is(seen.size, 3);
  assert.is(seen.seen('budi', 'd'), true);
  assert.is(seen.seen('budi', 'a'), false, 'the oldest was forgotten');
  const g = new ReplayGuard();
  g.seen('ab', 'c');
  assert.is(g.seen('a', 'bc'), false, '(from, id) pairs do not run together');
  assert.throws(() => new ReplayGuard(0), RangeError);
});

test('user names that are also object properties work as recipients', () => {
  const env = seal('budi', ['__proto__', 'constructor', 'toString']);
  assert.equal(Object.keys(env.keys).sort(), ['__proto__', 'constructor', 'toString']);
  for (const name of env.to) {
    assert.equal(open(env, name), { ok: true, text: 'halo semua' }, name);
    assert.equal(open(forRecipient(env, name), name), { ok: true, text: 'halo semua' }, `${name} stripped`);
  }
});

/** Same bytes, but with the unused low bits of the last base64 digit set: decoders accept it, we must not. */
function nonCanonical(b64: string): string {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const at = b64.indexOf('=') - 1;
  const changed = b64.slice(0, at) + ALPHABET[ALPHABET.indexOf(b64[at]!) + 1] + b64.slice(at + 1);
  assert.equal(Buffer.from(changed, 'base64'), Buffer.from(b64, 'base64'));
  return changed;
}

function malformedCases(): Array<[string, unknown]> {
  const good = copy(seal('budi', ['ani', 'citra']));
  const cases: Array<[string, unknown]> = [
    ['null', null], ['a number', 42], ['a string', JSON.stringify(good)], ['an array', [good]], ['undefined', undefined],
    ['an empty object', {}], ['an extra field', { ...good, extra: 1 }], ['version 2', { ...good, v: 2 }],
    ['version "1"', { ...good, v: '1' }], ['a numeric id', { ...good, id: 5 }], ['an empty id', { ...good, id: '' }],
    ['a huge id', { ...good, id: 'x'.repeat(100_000) }], ['a sender with an escape', { ...good, from: 'budi\x1b[2J' }],
    ['a sender of 33 characters', { ...good, from: 'b'.repeat(33) }], ['a lone surrogate in to', { ...good, to: ['ani', 'citr\ud800'] }],
    ['to as a string', { ...good, to: 'ani' }], ['an empty to', { ...good, to: [] }],
    ['a huge to', { ...good, to: Array.from({ length: 1_000_000 }, (_, i) => `u${i}`) }],
    ['a sparse to claiming 2^32-1 entries', { ...good, to: new Array(2 ** 32 - 1) }],
    ['to with a number', { ...good, to: ['ani', 7] }], ['to with duplicates', { ...good, to: ['ani', 'ani'] }],
    ['a nonce that is not base64', { ...good, nonce: '!!!!!!!!!!!!!!!!' }], ['a short nonce', { ...good, nonce: 'AAAAAAAAAAA=' }],
    ['a nonce with whitespace', { ...good, nonce: ` ${good.nonce.slice(1)}` }],
    ['non-canonical base64 (padding bits set)', { ...good, kd: { ...good.kd, ani: nonCanonical(good.kd.ani!) } }],
    ['a ciphertext shorter than its tag', { ...good, ct: 'AAAA' }],
    ['a ciphertext over the text limit', { ...good, ct: Buffer.alloc(MAX_TEXT_BYTES + 17).toString('base64') }],
    ['keys as an array', { ...good, keys: [good.keys.ani] }], ['a key that is a number', { ...good, keys: { ani: 1 } }],
    ['a key for a non-recipient', { ...good, keys: { ...good.keys, mallory: good.keys.ani } }],
    ['a short wrapped key', { ...good, keys: { ani: 'AAAA' } }],
    ['a missing digest', { ...good, kd: { ani: good.kd.ani } }], ['kd as null', { ...good, kd: null }],
    ['a short digest', { ...good, kd: { ...good.kd, ani: 'AAAA' } }], ['a short signature', { ...good, sig: 'AAAA' }],
    ['a signature that is not a string', { ...good, sig: [good.sig] }],
  ];
  for (const field of ['v', 'id', 'from', 'to', 'nonce', 'ct', 'keys', 'kd', 'sig']) {
    const missing: Record<string, unknown> = { ...good };
    delete missing[field];
    cases.push([`a missing ${field}`, missing]);
  }
  const tricky = { ...good };
  Object.defineProperty(tricky, 'ct', { enumerable: true, get() { throw new Error('boom'); } });
  cases.push(['a getter that throws', tricky]);
  return cases;
}

test('malformed envelopes are refused as malformed and never throw', () => {
  for (const [name, input] of malformedCases()) {
    let r: OpenResult | undefined;
    // No JSON round trip here: the raw values (sparse arrays, getters, undefined) are the point.
    try {
      r = openEnvelope(input, { me: 'ani', mine: who('ani'), senderKeys: pub('budi'), seen: new ReplayGuard() });
    } catch (err) {
      assert.unreachable(`${name}: threw ${(err as Error).message}`);
    }
    assert.equal(r, { ok: false, reason: 'malformed' }, name);
  }
});

test(`${MAX_RECIPIENTS} recipients with RSA-3072 keys and the longest text fit in one 64 KiB message`, async () => {
  assert.ok(MAX_RECIPIENTS >= 50, 'about 50 recipients must fit');
  const big = await makeClient(3072);
  const keys = ownUserKeys(big);
  const names = Array.from({ length: MAX_RECIPIENTS }, (_, i) => `u${i}`.padEnd(32, 'x'));
  const env = sealEnvelope({
    id: 'i'.repeat(128), from: 'f'.repeat(32), text: 'a'.repeat(MAX_TEXT_BYTES), recipients: new Map(names.map((n) => [n, keys])), sender: big,
  });
  const bytes = Buffer.byteLength(JSON.stringify(env));
  assert.ok(bytes <= E2E_MAX_ENVELOPE_BYTES && E2E_MAX_ENVELOPE_BYTES < MAX_MESSAGE_BYTES, `${bytes} bytes`);
  // One more recipient (same sizes) would not fit: MAX_RECIPIENTS is the largest that does.
  const extra = 'z'.repeat(32);
  const more = { ...env, to: [...env.to, extra], keys: { ...env.keys, [extra]: env.keys[names[0]!] }, kd: { ...env.kd, [extra]: env.kd[names[0]!] } };
  assert.ok(Buffer.byteLength(JSON.stringify(more)) > E2E_MAX_ENVELOPE_BYTES);
  assert.equal(openEnvelope(env, { me: names[7]!, mine: big, senderKeys: keys, seen: new ReplayGuard() }), { ok: true, text: 'a'.repeat(MAX_TEXT_BYTES) });
});

function assertTooLarge(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ChatError, what);
    assert.is((err as ChatError).code, 'too_large', what);
    return;
  }
  assert.unreachable(`sealed ${what}`);
}

test('sealing refuses too many recipients or a text over the limit with a too_large error', () => {
  assertTooLarge(() => seal('budi', Array.from({ length: MAX_RECIPIENTS + 1 }, (_, i) => `user${i}`)), 'too many recipients');
  assertTooLarge(() => seal('budi', ['ani'], 'a'.repeat(MAX_TEXT_BYTES + 1)), 'an oversized text');
});

test('sealing refuses no recipients and names or ids recipients would refuse', () => {
  assert.throws(() => seal('budi', []), RangeError);
  assert.throws(() => seal('budi', ['ani\n']), RangeError);
  assert.throws(() => seal('budi\x1b', ['ani']), RangeError);
  assert.throws(() => seal('budi', ['ani'], 'x', ''), RangeError);
});

test('forRecipient never throws, even on an envelope nobody validated', () => {
  for (const junk of [null, 42, 'x', [], {}, { keys: null }, { keys: 'x' }, { keys: [] }]) {
    assert.equal(forRecipient(junk as never, 'ani').keys, {}, JSON.stringify(junk));
  }
});

test('a failure reads as a sentence and cannot smuggle terminal escapes', () => {
  assert.is(describeFailure('budi', { ok: false, reason: 'bad_signature' }), 'could not verify a message from budi (bad signature)');
  const line = describeFailure('evil\x1b[2J\nname'.padEnd(80, 'x'), { ok: false, reason: 'malformed' });
  assert.not.ok(/[\x00-\x1f]/.test(line), line);
  assert.ok(line.length < 100, line);
  for (const reason of ['malformed', 'not_recipient', 'bad_signature', 'bad_key', 'decrypt_failed', 'replay'] as const) {
    assert.ok(describeFailure('budi', { ok: false, reason }).includes('budi'), reason);
  }
});

test.run();
