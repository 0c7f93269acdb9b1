import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constants, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { ProtocolError } from '../lib/errors.ts';
import { generateRsaKeyPair, type RsaKeyPair } from '../lib/keyfile.ts';
import { deriveSessionKeys, makeEphemeral } from '../lib/session/keys.ts';
import { PacketOpener, PacketSealer } from '../lib/session/protector.ts';
import { helloTranscript, signTranscript, verifyTranscript } from '../lib/session/transcript.ts';

const CONN = Buffer.from('00112233445566ff', 'hex');
let server: RsaKeyPair;
let other: RsaKeyPair;

test.before(async () => {
  // RSA-2048 keeps the suite fast; the code does not depend on the size (the server uses 3072).
  [server, other] = await Promise.all([generateRsaKeyPair(2048), generateRsaKeyPair(2048)]);
});

function assertBadField(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ProtocolError, what);
    assert.is((err as ProtocolError).code, 'bad_field', what);
    return;
  }
  assert.unreachable(`${what} was accepted`);
}

/** The handshake of both sides, as the endpoints run it. */
async function handshake() {
  const client = makeEphemeral();
  const eph = makeEphemeral();
  const serverTranscript = helloTranscript(CONN, client.publicRaw, eph.publicRaw, server.spki);
  const signature = await signTranscript(server.privateKey, serverTranscript);
  const serverKeys = deriveSessionKeys(eph.privateKey, client.publicRaw, serverTranscript);
  // The client rebuilds the transcript from what it sent and what SERVER_HELLO carried.
  const clientTranscript = helloTranscript(CONN, client.publicRaw, eph.publicRaw, server.spki);
  const verified = verifyTranscript(server.spki, clientTranscript, signature);
  const clientKeys = deriveSessionKeys(client.privateKey, eph.publicRaw, clientTranscript);
  return { client, eph, signature, transcript: clientTranscript, verified, clientKeys, serverKeys };
}

test('makes a fresh 32-byte X25519 public key each time', () => {
  const a = makeEphemeral();
  const b = makeEphemeral();
  assert.is(a.publicRaw.length, 32);
  assert.is(a.privateKey.asymmetricKeyType, 'x25519');
  assert.not.ok(a.publicRaw.equals(b.publicRaw));
});

test('client and server derive the same keys, and the two directions differ', async () => {
  const { clientKeys, serverKeys, verified } = await handshake();
  assert.ok(verified);
  assert.equal(clientKeys, serverKeys);
  const { clientToServer: c2s, serverToClient: s2c } = clientKeys;
  assert.is(c2s.key.length, 32);
  assert.is(c2s.iv.length, 12);
  assert.not.ok(c2s.key.equals(s2c.key));
  assert.not.ok(c2s.iv.equals(s2c.iv));
  assert.not.ok(c2s.key.subarray(0, 12).equals(c2s.iv), 'key and iv come from distinct labels');
});

test('a different transcript or a different peer gives different keys', () => {
  const a = makeEphemeral();
  const b = makeEphemeral();
  const c = makeEphemeral();
  const t1 = helloTranscript(CONN, a.publicRaw, b.publicRaw, server.spki);
  const t2 = helloTranscript(CONN, a.publicRaw, b.publicRaw, other.spki);
  const k1 = deriveSessionKeys(a.privateKey, b.publicRaw, t1);
  assert.not.equal(deriveSessionKeys(a.privateKey, b.publicRaw, t2), k1);
  assert.not.equal(deriveSessionKeys(a.privateKey, c.publicRaw, t1), k1);
});

test('refuses an all-zero, small-order or wrong-length peer key with ProtocolError bad_field', () => {
  const me = makeEphemeral();
  const t = Buffer.from('transcript');
  assertBadField(() => deriveSessionKeys(me.privateKey, Buffer.alloc(32), t), 'all-zero key');
  const one = Buffer.alloc(32);
  one[0] = 1;
  assertBadField(() => deriveSessionKeys(me.privateKey, one, t), 'point of order 4 (u = 1)');
  // A point of order 8 (from the libsodium blocklist).
  const order8 = Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex');
  assertBadField(() => deriveSessionKeys(me.privateKey, order8, t), 'point of order 8');
  assertBadField(() => deriveSessionKeys(me.privateKey, Buffer.alloc(31, 9), t), '31-byte key');
  assertBadField(() => deriveSessionKeys(me.privateKey, Buffer.alloc(0), t), 'empty key');
});

test('the transcript changes with every field and keeps field boundaries', () => {
  const c = Buffer.alloc(32, 1);
  const s = Buffer.alloc(32, 2);
  const base = helloTranscript(CONN, c, s, server.spki);
  assert.ok(base.includes(Buffer.from('obrolan/1 server hello')));
  const variants = [
    helloTranscript(Buffer.from('00112233445566fe', 'hex'), c, s, server.spki),
    helloTranscript(CONN, Buffer.alloc(32, 3), s, server.spki),
    helloTranscript(CONN, c, Buffer.alloc(32, 3), server.spki),
    helloTranscript(CONN, c, s, other.spki),
    // Same bytes in total, one moved from one field to the next.
    helloTranscript(CONN, c.subarray(0, 31), Buffer.concat([c.subarray(31), s]), server.spki),
  ];
  for (const v of variants) assert.not.ok(v.equals(base));
  assert.ok(helloTranscript(CONN, c, s, server.spki).equals(base), 'deterministic');
});

test('the transcript signature verifies with the server key, as RSA-PSS SHA-256 with a 32-byte salt', async () => {
  const { signature, transcript, verified } = await handshake();
  assert.ok(verified);
  assert.is(signature.length, 256);
  const pss = { key: server.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  assert.ok(verify('sha256', transcript, pss, signature), 'any PSS implementation with these parameters verifies it');
});

test('the signature fails with another key, a changed transcript or any flipped bit', async () => {
  const { signature, transcript } = await handshake();
  assert.not.ok(verifyTranscript(other.spki, transcript, signature));
  const changed = Buffer.from(transcript);
  changed[changed.length - 1] = changed[changed.length - 1]! ^ 1;
  assert.not.ok(verifyTranscript(server.spki, changed, signature));
  for (let bit = 0; bit < signature.length * 8; bit++) {
    const flipped = Buffer.from(signature);
    flipped[bit >> 3] = flipped[bit >> 3]! ^ (0x80 >> (bit & 7));
    assert.not.ok(verifyTranscript(server.spki, transcript, flipped), `bit ${bit}`);
  }
  assert.not.ok(verifyTranscript(server.spki, transcript, signature.subarray(0, 255)));
  assert.not.ok(verifyTranscript(server.spki, transcript, Buffer.alloc(0)));
});

test('garbage or unsuitable server keys give false, never an exception', async () => {
  const { signature, transcript } = await handshake();
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  const x25519 = makeEphemeral().privateKey;
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const weakSpki = weak.publicKey.export({ type: 'spki', format: 'der' });
  const weakSig = await signTranscript(weak.privateKey, transcript);
  const cases: Array<[string, Buffer, Buffer]> = [
    ['empty key', Buffer.alloc(0), signature],
    ['random bytes', Buffer.from('3082010a0282010100ff', 'hex'), signature],
    ['truncated key', server.spki.subarray(0, 100), signature],
    ['key with a byte changed', Buffer.concat([server.spki.subarray(0, 40), Buffer.from([server.spki[40]! ^ 0xff]), server.spki.subarray(41)]), signature],
    ['EC key', ec, signature],
    ['X25519 key', createPublicKey(x25519).export({ type: 'spki', format: 'der' }), signature],
    ['RSA-1024 key with its own valid signature', weakSpki, weakSig],
  ];
  for (const [what, spki, sig] of cases) {
    let result: boolean | undefined;
    try {
      result = verifyTranscript(spki, transcript, sig);
    } catch (err) {
      assert.unreachable(`${what} threw ${String(err)}`);
    }
    assert.is(result, false, what);
  }
});

test('after a full handshake a sealed datagram crosses each way', async () => {
  const { clientKeys, serverKeys } = await handshake();
  const toServer = new PacketSealer(clientKeys.clientToServer, CONN).seal(Buffer.from('hi server'));
  const toClient = new PacketSealer(serverKeys.serverToClient, CONN).seal(Buffer.from('hi client'));
  assert.equal(new PacketOpener(serverKeys.clientToServer, CONN).open(toServer), Buffer.from('hi server'));
  assert.equal(new PacketOpener(clientKeys.serverToClient, CONN).open(toClient), Buffer.from('hi client'));
  // A datagram reflected back to its sender does not open.
  assert.is(new PacketOpener(clientKeys.serverToClient, CONN).open(toServer), null);
});

test.run();
