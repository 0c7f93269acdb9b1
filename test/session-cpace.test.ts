// CPace primitives against the draft's own test vectors: draft-irtf-cfrg-cpace.md (repository
// cfrg/draft-irtf-cfrg-cpace, commit 00f4907b3f3e38d2602a38f7af53d762284bda10), appendix "Test vectors",
// "Test vector for CPace using group X25519 and hash SHA-512", and the string utility vectors.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  calculateGenerator, confirmTag, decodeUCoordinate, generatorString, intermediateKey, isIdentity, leb128,
  parsePrefixFree, prefixFreeCat, prependLen, sampleScalar, scalarFromBytes, scalarMultVfy,
} from '../lib/session/cpace.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const range = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i));

const V = {
  PRS: Buffer.from('Password'),
  CI: hex('0a41696e69746961746f720a42726573706f6e646572'),
  sid: hex('7e4b4791d6a8ef019b936c79fb7f2c57'),
  genStr: hex(`0843506163653235350850617373776f72646d000000000000000000
    00000000000000000000000000000000000000000000000000000000
    00000000000000000000000000000000000000000000000000000000
    00000000000000000000000000000000000000000000000000000000
    00000000000000000000000000000000160a41696e69746961746f72
    0a42726573706f6e646572107e4b4791d6a8ef019b936c79fb7f2c57`),
  genHash: hex('10047198e8c4cacf0ab8a6d0ac337b8ae497209d042f7f3a5094586394e821fc'),
  decoded: hex('10047198e8c4cacf0ab8a6d0ac337b8ae497209d042f7f3a5094586394e8217c'),
  g: hex('4e6098733061c0e8486611a904fe5edb049804d26130a44131a6229e55c5c321'),
  ya: scalarFromBytes(hex('45acf93116ae5d3dae995a7c627df2924321a8e857d9a200807131e38839b0c2')),
  Ya: hex('6f7fd31863b18b0cc9830fc842c60dea80120ccf2fd375498225e45a52065361'),
  MSGa: hex('206f7fd31863b18b0cc9830fc842c60dea80120ccf2fd375498225e45a5206536103414461'),
  yb: scalarFromBytes(hex('a145e914b347002d298ce2051394f0ed68cf3623dfe5db082c78ffa5a667acdc')),
  Yb: hex('e1b730a4956c0f853d96c5d125cebeeea46952c07c6f66da65bd9ffd2f71a462'),
  MSGb: hex('20e1b730a4956c0f853d96c5d125cebeeea46952c07c6f66da65bd9ffd2f71a46203414462'),
  K: hex('2a905bc5f0b93ee72ac4b6ea8723520941adfc892935bf6f86d9e199befa6024'),
  iskInput: hex(`0c43506163653235355f49534b107e4b4791d6a8ef019b936c79fb7f
    2c57202a905bc5f0b93ee72ac4b6ea8723520941adfc892935bf6f86
    d9e199befa6024206f7fd31863b18b0cc9830fc842c60dea80120ccf
    2fd375498225e45a520653610341446120e1b730a4956c0f853d96c5
    d125cebeeea46952c07c6f66da65bd9ffd2f71a46203414462`),
  ISK: hex(`99a9e0ff35acb94ad8af1cd6b32ac409dc7d00557ccd9a7d19d3b462
    9e5f1f084f9332096162438c7ecc78331b4eda17e1a229a47182eccc
    9ea58cd9cdcd8e9a`),
};

test('prepend_len matches the draft vectors, with LEB128 lengths', () => {
  assert.is(prependLen(Buffer.alloc(0)).toString('hex'), '00');
  assert.is(prependLen(Buffer.from('1234')).toString('hex'), '0431323334');
  assert.equal(prependLen(range(127)), Buffer.concat([hex('7f'), range(127)]));
  assert.equal(prependLen(range(128)), Buffer.concat([hex('8001'), range(128)]));
  assert.is(leb128(300).toString('hex'), 'ac02');
  assert.is(leb128(16384).toString('hex'), '808001');
});

test('prefix_free_cat matches the draft vector and parses back', () => {
  const cat = prefixFreeCat(Buffer.from('1234'), Buffer.from('5'), Buffer.alloc(0), Buffer.from('6789'));
  assert.is(cat.toString('hex'), '04313233340135000436373839');
  assert.equal(parsePrefixFree(cat, 4).map((b) => b.toString()), ['1234', '5', '', '6789']);
});

test('the draft examples of invalid length encodings are refused', () => {
  for (const bad of ['ffffff', 'ffff03', '00ffff03', '00ffffff']) {
    assert.throws(() => parsePrefixFree(hex(bad), 2), (e: Error & { code?: string }) => e.code === 'bad_field', bad);
  }
  assert.throws(() => parsePrefixFree(hex('0141'), 2), /bad length|past the end/, 'a missing field');
  assert.throws(() => parsePrefixFree(hex('014100ff'), 2), /after the last field/, 'trailing bytes');
});

test('generator string, its hash, the decoded field element and the generator g match the draft', () => {
  const s = generatorString(V.PRS, V.CI, V.sid);
  assert.is(s.length, 168);
  assert.equal(s, V.genStr);
  // ZPAD length 109, as the draft says.
  assert.is(s.subarray(18, 18 + 1 + 109).toString('hex'), '6d' + '00'.repeat(109));
  const h = createHash('sha512').update(s).digest().subarray(0, 32);
  assert.equal(h, V.genHash);
  const decoded = decodeUCoordinate(h);
  assert.is(decoded.toString(16).padStart(64, '0'), Buffer.from(V.decoded).reverse().toString('hex'));
  assert.equal(calculateGenerator(V.PRS, V.CI, V.sid), V.g);
});

test('Ya, Yb, MSGa and MSGb match the draft', () => {
  const Ya = scalarMultVfy(V.ya, V.g);
  const Yb = scalarMultVfy(V.yb, V.g);
  assert.equal(Ya, V.Ya);
  assert.equal(Yb, V.Yb);
  assert.equal(prefixFreeCat(Ya, Buffer.from('ADa')), V.MSGa);
  assert.equal(prefixFreeCat(Yb, Buffer.from('ADb')), V.MSGb);
});

test('K is the same on both sides and matches the draft, and so is the ISK', () => {
  const Ka = scalarMultVfy(V.ya, V.Yb);
  const Kb = scalarMultVfy(V.yb, V.Ya);
  assert.equal(Ka, V.K);
  assert.equal(Kb, V.K);
  const dsiIsk = Buffer.from('CPace255_ISK');
  assert.equal(Buffer.concat([prefixFreeCat(dsiIsk, V.sid, V.K), V.MSGa, V.MSGb]), V.iskInput);
  assert.equal(intermediateKey(V.sid, Ka, V.MSGa, V.MSGb), V.ISK);
});

test('the confirmation tags differ per sender and depend on the ISK', () => {
  const ta = confirmTag(V.ISK, V.MSGa);
  const tb = confirmTag(V.ISK, V.MSGb);
  assert.is(ta.length, 64);
  assert.not.equal(ta, tb);
  const other = Buffer.from(V.ISK);
  other[0] = other[0]! ^ 1;
  assert.not.equal(confirmTag(other, V.MSGa), ta);
});

const LOW_ORDER = {
  s: hex('af46e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449aff'),
  u: [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'daffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'dbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'd9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'cdeb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880',
    '4c9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7',
  ],
  q: [
    '0'.repeat(64), '0'.repeat(64), '0'.repeat(64), '0'.repeat(64), '0'.repeat(64), '0'.repeat(64),
    'd8e2c776bbacd510d09fd9278b7edcd25fc5ae9adfba3b6e040e8d3b71b21806',
    '0'.repeat(64),
    'c85c655ebe8be44ba9c0ffde69f2fe10194458d137f09bbff725ce58803cdb38',
    'db64dafa9b8fdd136914e61461935fe92aa372cb056314e1231bc4ec12417456',
    'e062dcd5376d58297be2618c7498f55baa07d7e03184e8aada20bca28888bf7a',
    '993c6ad11c4c29da9a56f7691fd0ff8d732e49de6250b6c2e80003ff4629a175',
  ],
};

test('scalar_mult_vfy gives the draft results for the low-order and non-canonical points u0 … ub', () => {
  LOW_ORDER.u.forEach((u, i) => {
    assert.is(scalarMultVfy(scalarFromBytes(LOW_ORDER.s), hex(u)).toString('hex'), LOW_ORDER.q[i], `u${i.toString(16)}`);
  });
});

test('u0, u1, u2, u3, u4, u5 and u7 give the neutral element, the abort case', () => {
  for (const i of [0, 1, 2, 3, 4, 5, 7]) assert.ok(isIdentity(scalarMultVfy(scalarFromBytes(LOW_ORDER.s), hex(LOW_ORDER.u[i]!))), `u${i}`);
  for (const i of [6, 8, 9, 10, 11]) assert.not.ok(isIdentity(scalarMultVfy(scalarFromBytes(LOW_ORDER.s), hex(LOW_ORDER.u[i]!))), `u${i}`);
});

test('fresh scalars on both sides agree on K, and a generator for another password gives another one', () => {
  const g = calculateGenerator(Buffer.from('secret'), V.CI, V.sid);
  const [a, b] = [sampleScalar(), sampleScalar()];
  const [Ya, Yb] = [scalarMultVfy(a, g), scalarMultVfy(b, g)];
  assert.not.equal(Ya, Yb);
  assert.equal(scalarMultVfy(a, Yb), scalarMultVfy(b, Ya));
  assert.not.equal(calculateGenerator(Buffer.from('secreT'), V.CI, V.sid), g);
  assert.not.equal(calculateGenerator(Buffer.from('secret'), V.CI, Buffer.alloc(16)), g);
});

test.run();
