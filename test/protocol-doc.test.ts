// docs/PROTOCOL.md's worked examples, recomputed from the code: a HELLO, the key schedule and one sealed
// datagram, and a CPace login. Every hex value the code computes must appear in the document (whitespace
// ignored, so long values may wrap), so the document and the code cannot drift apart.
// `PRINT_EXAMPLES=1 node --import tsx test/protocol-doc.test.ts` prints the values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { channelIdentifier, passwordBytes, answerLogin, ServerLogin, type LoginBinding } from '../lib/chat/pake.ts';
import { encodeMessage } from '../lib/chat/messages.ts';
import { fingerprintOf } from '../lib/keyfile.ts';
import { calculateGenerator, generatorString, intermediateKey, parsePrefixFree, scalarFromBytes, scalarMultVfy } from '../lib/session/cpace.ts';
import { deriveSessionKeys, helloTranscript, transcriptHash } from '../lib/session/keys.ts';
import { PacketSealer } from '../lib/session/protector.ts';
import { encodeFrames, encodePacket } from '../lib/wire.ts';
import { MAX_DATAGRAM_BYTES } from '../lib/constants.ts';
import { resetToken } from '../lib/session/reset.ts';

const DOC = readFileSync(join(import.meta.dirname, '..', 'docs', 'PROTOCOL.md'), 'utf8');
const FLAT = DOC.replace(/\s+/g, '');

/** 32 bytes start, start+1, … (mod 256). */
const counting = (start: number, n = 32): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (start + i) & 0xff));
const BASEPOINT = Buffer.concat([Buffer.from([9]), Buffer.alloc(31)]);

const connId = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');
const clientPriv = scalarFromBytes(counting(0x01));
const serverPriv = scalarFromBytes(counting(0x21));
const clientPub = scalarMultVfy(clientPriv, BASEPOINT);
const serverPub = scalarMultVfy(serverPriv, BASEPOINT);
const cookie = Buffer.concat([Buffer.from([0x2a]), counting(0xc0, 16)]);
const serverSpki = Buffer.from('example server key (SPKI DER)');

const hello = encodePacket({ type: 'hello', connId, pn: 0, clientPub, cookie });
const transcript = helloTranscript(connId, clientPub, serverPub, serverSpki);
const keys = deriveSessionKeys(clientPriv, serverPub, transcript);
const users = Buffer.from('{"t":"users"}');
const frames = encodeFrames([{ type: 'data', seq: 0, first: true, last: true, data: users }]);
const sealed = new PacketSealer(keys.clientToServer, connId).seal(frames);

const password = 'correct horse';
const binding: LoginBinding = { sid: transcriptHash(transcript), fingerprint: fingerprintOf(serverSpki), connId };
const serverScalar = counting(0x41);
const clientScalar = counting(0x61);
const server = new ServerLogin(password, binding, () => scalarFromBytes(serverScalar));
const msgA = server.message;
const answer = answerLogin(password, binding, msgA, scalarFromBytes(clientScalar))!;
const serverTag = server.check(answer.message, answer.tag)!;
const g = calculateGenerator(passwordBytes(password), channelIdentifier(binding), binding.sid);
const K = scalarMultVfy(scalarFromBytes(clientScalar), parsePrefixFree(msgA, 2)[0]!);
const token = resetToken(Buffer.alloc(32, 0x77), connId);

const VALUES: Record<string, Buffer> = {
  'HELLO, first 66 bytes': hello.subarray(0, 66),
  'client X25519 public key': clientPub,
  'server X25519 public key': serverPub,
  'transcript': transcript,
  'shared secret': scalarMultVfy(clientPriv, serverPub),
  'salt = SHA-256(transcript) = sid': binding.sid,
  'client->server key': keys.clientToServer.key,
  'client->server iv': keys.clientToServer.iv,
  'server->client key': keys.serverToClient.key,
  'server->client iv': keys.serverToClient.iv,
  'frames (plaintext)': frames,
  'SEALED datagram': sealed,
  'fingerprint (UTF-8)': Buffer.from(binding.fingerprint),
  'PRS': passwordBytes(password),
  'CI': channelIdentifier(binding),
  'generator string': generatorString(passwordBytes(password), channelIdentifier(binding), binding.sid),
  'g': g,
  'server scalar ya': serverScalar,
  'MSGa': msgA,
  'client scalar yb': clientScalar,
  'MSGb': answer.message,
  'K': K,
  'ISK': intermediateKey(binding.sid, K, msgA, answer.message),
  'client tag Tb': answer.tag,
  'server tag Ta': serverTag,
};
const JSONS: Record<string, Buffer> = {
  hello: encodeMessage({ t: 'hello', pake: msgA.toString('base64'), reset: token.toString('base64') }),
  auth: encodeMessage({ t: 'auth', pake: answer.message.toString('base64'), mac: answer.tag.toString('base64') }),
  auth_ok: encodeMessage({ t: 'auth_ok', mac: serverTag.toString('base64') }),
};

if (process.env.PRINT_EXAMPLES) {
  for (const [name, v] of Object.entries(VALUES)) {
    process.stdout.write(`${name} (${v.length} bytes):\n${(v.toString('hex').match(/.{1,64}/g) ?? ['']).map((l) => `  ${l}`).join('\n')}\n`);
  }
  for (const [name, v] of Object.entries(JSONS)) process.stdout.write(`${name}: ${v.toString()}\n`);
}

test('the HELLO example is 1,200 bytes: the bytes shown, then zeros', () => {
  assert.is(hello.length, MAX_DATAGRAM_BYTES);
  assert.ok(hello.subarray(66).every((b) => b === 0));
  assert.match(DOC, '1,134 zero bytes');
});

test('the login example is a successful login', () => {
  assert.ok(serverTag, 'the server accepted the client');
});

for (const [name, v] of Object.entries(VALUES)) {
  test(`the document shows ${name} as the code computes it`, () => {
    assert.ok(FLAT.includes(v.toString('hex')), `${name} = ${v.toString('hex')} is not in docs/PROTOCOL.md`);
  });
}

for (const [name, v] of Object.entries(JSONS)) {
  test(`the document shows the ${name} message as the code encodes it`, () => {
    assert.ok(DOC.includes(v.toString()), `${v.toString()} is not in docs/PROTOCOL.md`);
  });
}

test.run();
