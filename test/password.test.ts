// Tests of the password verifier (lib/chat/password.ts). Most use a low scrypt cost (N = 2^10) for speed; one uses the real defaults.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { SCRYPT_N, SCRYPT_P, SCRYPT_R } from '../lib/constants.ts';
import { ProtocolError } from '../lib/errors.ts';
import {
  DERIVE_CACHE_MAX, PASSWORD_KEY_BYTES, checkPasswordKey, decodeParams, derivePasswordKey, encodeParams, makeVerifier,
  type PasswordParams,
} from '../lib/chat/password.ts';

const FAST: PasswordParams = { salt: Buffer.from('00112233445566778899aabbccddeeff', 'hex'), N: 2 ** 10, r: 1, p: 1 };
const verifierOf = (key: Buffer): Buffer => createHash('sha256').update(key).digest();

async function rejectsBadField(promise: Promise<unknown>, what: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, ProtocolError, what);
    assert.is((err as ProtocolError).code, 'bad_field', what);
    return;
  }
  assert.unreachable(`${what}: expected a bad_field rejection`);
}

test('with the real defaults, the key a client derives from the right password passes the server verifier', async () => {
  const { params, verifier } = await makeVerifier('rahasia kita');
  assert.equal({ N: params.N, r: params.r, p: params.p }, { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P });
  assert.is(params.salt.length, 16);
  assert.is(verifier.length, 32);
  const wire = JSON.parse(JSON.stringify(encodeParams(params))) as unknown; // as the client receives them
  const key = await derivePasswordKey('rahasia kita', decodeParams(wire));
  assert.is(key.length, PASSWORD_KEY_BYTES);
  assert.ok(checkPasswordKey(verifier, key));
  assert.not.ok(checkPasswordKey(verifier, await derivePasswordKey('rahasia kami', params)));
});

test('two verifiers of the same password get different salts', async () => {
  const [a, b] = await Promise.all([makeVerifier('same'), makeVerifier('same')]);
  assert.not.equal(a.params.salt, b.params.salt);
  assert.not.equal(a.verifier, b.verifier);
});

test('refuses wrong keys: another password, another salt, a flipped bit, wrong lengths', async () => {
  const key = await derivePasswordKey('benar', FAST);
  const verifier = verifierOf(key);
  assert.ok(checkPasswordKey(verifier, key));
  assert.not.ok(checkPasswordKey(verifier, await derivePasswordKey('salah', FAST)));
  assert.not.ok(checkPasswordKey(verifier, await derivePasswordKey('benar', { ...FAST, salt: Buffer.alloc(16, 7) })));
  assert.not.ok(checkPasswordKey(verifier, await derivePasswordKey('benar', { ...FAST, r: 2 })));
  const flipped = Buffer.from(key);
  flipped[31]! ^= 1;
  assert.not.ok(checkPasswordKey(verifier, flipped));
  for (const bad of [Buffer.alloc(0), key.subarray(0, 31), Buffer.concat([key, Buffer.alloc(1)])]) {
    assert.not.ok(checkPasswordKey(verifier, bad), `key of ${bad.length} bytes`);
  }
  assert.not.ok(checkPasswordKey(verifier.subarray(0, 16), key), 'a truncated verifier');
  assert.not.ok(checkPasswordKey(verifier, verifier), 'the verifier itself is not a key');
});

test('normalises the password with NFKC, so fullwidth "ｐａｓｓ" equals "pass"', async () => {
  // Server side typed in fullwidth, client in ASCII: no shared cache entry between these two paths.
  const { params, verifier } = await makeVerifier('ｐａｓｓ');
  assert.ok(checkPasswordKey(verifier, await derivePasswordKey('pass', params)));
  const key = await derivePasswordKey('pass', FAST);
  assert.equal(await derivePasswordKey('ｐａｓｓ', FAST), key);
  assert.equal(await derivePasswordKey('caf\u0065\u0301', FAST), await derivePasswordKey('caf\u00e9', FAST));
  assert.not.equal(await derivePasswordKey('Pass', FAST), key);
});

test('memoizes: equal inputs share one promise, different inputs do not', async () => {
  const salt = Buffer.alloc(16, 0x42);
  const a = derivePasswordKey('memo', { salt, N: 2 ** 10, r: 1, p: 1 });
  const b = derivePasswordKey('memo', { salt: Buffer.from(salt), N: 2 ** 10, r: 1, p: 1 });
  assert.ok(a === b, 'same promise for equal inputs');
  assert.ok(derivePasswordKey('memo', { salt, N: 2 ** 11, r: 1, p: 1 }) !== a, 'N differs');
  assert.ok(derivePasswordKey('memo2', { salt, N: 2 ** 10, r: 1, p: 1 }) !== a, 'password differs');
  await a;
});

test('remembers at most DERIVE_CACHE_MAX derivations, forgetting the oldest', async () => {
  const first = derivePasswordKey('bounded-0', FAST);
  const rest = Array.from({ length: DERIVE_CACHE_MAX }, (_, i) => derivePasswordKey(`bounded-${i + 1}`, FAST));
  await Promise.all([first, ...rest]);
  assert.ok(derivePasswordKey(`bounded-${DERIVE_CACHE_MAX}`, FAST) === rest.at(-1), 'a recent one is still cached');
  const again = derivePasswordKey('bounded-0', FAST);
  assert.ok(again !== first, 'the oldest was forgotten');
  assert.equal(await again, await first);
});

test('refuses parameters a malicious server could use to burn memory or CPU', async () => {
  const salt = FAST.salt;
  const bad: Array<[string, PasswordParams]> = [
    ['N not a power of two', { salt, N: 1000, r: 1, p: 1 }],
    ['N below 2^10', { salt, N: 2 ** 9, r: 1, p: 1 }],
    ['N above 2^20', { salt, N: 2 ** 21, r: 1, p: 1 }],
    ['N = 2^20 with r = 8 needs 1 GiB', { salt, N: 2 ** 20, r: 8, p: 1 }],
    ['N = 2^16 with r = 32 needs 256 MiB', { salt, N: 2 ** 16, r: 32, p: 1 }],
    ['too much work (N·r·p above 16× the default)', { salt, N: 2 ** 15, r: 9, p: 16 }],
    ['r = 0', { salt, N: 2 ** 10, r: 0, p: 1 }],
    ['r = 33', { salt, N: 2 ** 10, r: 33, p: 1 }],
    ['p = 0', { salt, N: 2 ** 10, r: 1, p: 0 }],
    ['p = 17', { salt, N: 2 ** 10, r: 1, p: 17 }],
    ['fractional r', { salt, N: 2 ** 10, r: 1.5, p: 1 }],
    ['NaN N', { salt, N: NaN, r: 1, p: 1 }],
    ['salt of 7 bytes', { salt: Buffer.alloc(7), N: 2 ** 10, r: 1, p: 1 }],
    ['salt of 65 bytes', { salt: Buffer.alloc(65), N: 2 ** 10, r: 1, p: 1 }],
  ];
  for (const [what, params] of bad) await rejectsBadField(derivePasswordKey('x', params), what);
  // The edges themselves are accepted.
  await derivePasswordKey('x', { salt: Buffer.alloc(8), N: 2 ** 10, r: 1, p: 1 });
  await derivePasswordKey('x', { salt: Buffer.alloc(64), N: 2 ** 10, r: 32, p: 16 });
});

test('decodes parameters from JSON and refuses a wrong shape with bad_field', () => {
  assert.equal(decodeParams(encodeParams(FAST)), FAST);
  const good = encodeParams(FAST);
  const bad: unknown[] = [
    null, 'params', 42, [], {},
    { ...good, salt: 7 }, { ...good, N: '1024' }, { ...good, r: null }, { salt: good.salt, N: 1024, r: 1 },
    { ...good, salt: 'not base64!!' }, { ...good, salt: good.salt + '\n' }, { ...good, salt: '' },
    { ...good, N: 2 ** 30 },
  ];
  for (const x of bad) {
    assert.throws(() => decodeParams(x), (e: unknown) => e instanceof ProtocolError && e.code === 'bad_field', JSON.stringify(x));
  }
});

test.run();
