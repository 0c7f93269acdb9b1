import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constants, createDecipheriv, createHash, generateKeyPairSync, hkdfSync, publicEncrypt, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { generateRsaKeyPair, type RsaKeyPair } from '../lib/keyfile.ts';
import { bundleFingerprint, ownUserKeys, type ClientKeys } from '../lib/e2e/keys.ts';
import {
  describeOpenFailure, newEpochSigner, newSenderKey, openMessage, openSenderKey, sealDirect, sealRoom, wrapSenderKey, type Delivery, type MessageEnvelope, type SenderKey,
} from '../lib/e2e/sender-key.ts';
import { encodeParts, keyCommitment, messageKeyInfo, messageSignedBytes, parseKeyEnvelope, senderKeySignedBytes } from '../lib/e2e/sk-envelope.ts';
import { safetyNumber } from '../lib/e2e/safety-number.ts';

const ROOM = 'SHA256:' + 'A'.repeat(43);
const OTHER_ROOM = 'SHA256:' + 'B'.repeat(43);
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;
const people: Record<string, ClientKeys> = {};
/** Epoch signing keys: ani's for two epochs, and budi's. */
const signers: Record<string, RsaKeyPair> = {};

async function makeClient(): Promise<ClientKeys> {
  const [enc, sig] = await Promise.all([generateRsaKeyPair(2048), generateRsaKeyPair(2048)]);
  const bundle = { enc: enc.spki.toString('base64'), sig: sig.spki.toString('base64') };
  return { enc, sig, bundle, fingerprint: bundleFingerprint(bundle) };
}

test.before(async () => {
  for (const n of ['ani', 'budi', 'citra']) people[n] = await makeClient();
  for (const n of ['ani', 'ani2', 'budi']) signers[n] = await newEpochSigner();
});

const pub = (n: string) => ownUserKeys(people[n]!);
const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x));
let ids = 0;

function aniKey(epoch = 7, signer = signers.ani!): SenderKey { return newSenderKey({ from: 'ani', room: ROOM, epoch, sender: people.ani!, signer }); }
function roomMsg(sk: SenderKey, text = 'halo semua', now = 1_000_000): MessageEnvelope {
  return sealRoom(sk, { id: `m${++ids}`, from: 'ani', room: ROOM, text, now });
}
const asRoom = (me: string, over: Partial<Delivery> = {}): Delivery => ({ me, room: ROOM, ctx: 'room', from: 'ani', stamp: 1_000_000, ...over });
/** What a receiver holds of an epoch: the key and the signing key that came with it. */
interface Held { epoch: number; key: Buffer; spk: KeyObject }
const held = (sk: SenderKey): Held => ({ epoch: sk.epoch, key: sk.key, spk: sk.signer.publicKey });
function openAs(env: unknown, me: string, sk: SenderKey | Held | undefined, over: Partial<Delivery> = {}) {
  const h = sk && 'signer' in sk ? held(sk) : sk;
  return openMessage(copy(env), asRoom(me, over), { mine: people[me]!, senderKeys: pub('ani'), roomKey: (e) => (h && e === h.epoch ? h : undefined) });
}
function resign(e: MessageEnvelope, key: KeyObject): MessageEnvelope {
  const { sig: _s, ...rest } = e;
  return { ...e, sig: sign('sha256', messageSignedBytes(rest), { key, ...PSS }).toString('base64') };
}
const budiOpens = (env: unknown) => openSenderKey(copy(env), { me: 'budi', room: ROOM, mine: people.budi!, senderKeys: pub('ani') });
function refused(r: { ok: boolean; reason?: string }, reason: string): void {
  assert.is(r.ok, false, `expected ${reason}`);
  assert.is(r.reason, reason);
}

test('a sender key given to budi opens there and lets budi read every message of that epoch', () => {
  const sk = aniKey();
  const k = openSenderKey(copy(wrapSenderKey(sk, { from: 'ani', to: 'budi', room: ROOM, recipient: pub('budi') })), { me: 'budi', room: ROOM, mine: people.budi!, senderKeys: pub('ani') });
  assert.ok(k.ok);
  if (!k.ok) return;
  assert.ok(k.key.equals(sk.key));
  assert.ok(k.spk.export({ type: 'spki', format: 'der' }).equals(sk.signer.spki));
  const got = [roomMsg(sk, 'satu'), roomMsg(sk, 'dua')].map((e) => openAs(e, 'budi', { epoch: k.epoch, key: k.key, spk: k.spk }));
  assert.equal(got.map((r) => (r.ok ? r.text : r.reason)), ['satu', 'dua']);
});

test('each message of an epoch has its own index, hence its own key and nonce', () => {
  const sk = aniKey();
  const a = roomMsg(sk, 'same');
  const b = roomMsg(sk, 'same');
  assert.is(a.idx + 1, b.idx);
  assert.is.not(a.ct, b.ct);
  assert.not.equal(messageKeyInfo(a.epoch, a.idx), messageKeyInfo(b.epoch, b.idx));
});

test('the envelope size does not depend on the room: one ciphertext, one signature, no per-member field', () => {
  const e = roomMsg(aniKey(), 'x'.repeat(200));
  assert.ok(JSON.stringify(e).length < 200 + 1024, `${JSON.stringify(e).length} bytes`);
  assert.equal(Object.keys(e).sort(), ['ct', 'ctx', 'epoch', 'from', 'id', 'idx', 'key', 'room', 'sig', 'to', 'ts', 'v']);
});

test('a member without the epoch key cannot read (no_key), as a leaver after rotation', () => {
  const old = aniKey(7);
  const next = aniKey(8);
  refused(openAs(roomMsg(next), 'citra', old), 'no_key');
});

test('every changed field of a room envelope is refused before decryption', () => {
  const sk = aniKey();
  const e = roomMsg(sk);
  const flipped = Buffer.from(e.ct, 'base64');
  flipped[0]! ^= 1;
  // Another epoch: its key (and so its signing key) is not held, refused before anything is verified.
  refused(openAs({ ...e, epoch: e.epoch + 1 }, 'budi', sk), 'no_key');
  for (const [field, value] of [['ct', flipped.toString('base64')], ['idx', e.idx + 1], ['ts', e.ts + 1], ['id', 'other'], ['sig', e.sig.replace(/^./, e.sig[0] === 'A' ? 'B' : 'A')]] as const) {
    refused(openAs({ ...e, [field]: value }, 'budi', sk), 'bad_signature');
  }
});

test('a ciphertext altered and re-signed by its sender is caught by AES-GCM', () => {
  const sk = aniKey();
  const e = roomMsg(sk);
  const ct = Buffer.from(e.ct, 'base64');
  ct[ct.length - 1]! ^= 1;
  refused(openAs(resign({ ...e, ct: ct.toString('base64') }, sk.signer.privateKey), 'budi', sk), 'decrypt_failed');
});

test('an envelope delivered in another context is refused: other room, other sender, a direct message as a room message', () => {
  const sk = aniKey();
  refused(openAs(roomMsg(sk), 'budi', sk, { room: OTHER_ROOM }), 'wrong_context');
  refused(openAs(roomMsg(sk), 'budi', sk, { from: 'citra' }), 'wrong_context');
  const dm = sealDirect({ id: 'd1', from: 'ani', to: 'budi', room: ROOM, text: 'rahasia', sender: people.ani!, recipient: pub('budi'), now: 1_000_000 });
  refused(openAs(dm, 'budi', sk), 'wrong_context');
  refused(openAs(dm, 'citra', sk, { ctx: 'dm' }), 'wrong_context');
  const ok = openAs(dm, 'budi', sk, { ctx: 'dm' });
  assert.ok(ok.ok && ok.text === 'rahasia');
  refused(openAs(roomMsg(sk), 'budi', sk, { ctx: 'dm' }), 'wrong_context');
});

test('a time more than 10 minutes from the server stamp is refused', () => {
  const sk = aniKey();
  refused(openAs(roomMsg(sk, 'lama', 1_000_000 - 10 * 60_000 - 1), 'budi', sk), 'clock');
  assert.ok(openAs(roomMsg(sk, 'baru', 1_000_000 - 10 * 60_000), 'budi', sk).ok);
});

test('a sender key made by the server (right shape, wrong key) is refused by the epoch signature', () => {
  const sk = aniKey();
  const real = wrapSenderKey(sk, { from: 'ani', to: 'budi', room: ROOM, recipient: pub('budi') });
  const fake = { ...real, wrap: publicEncrypt({ key: pub('budi').enc, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, randomBytes(32)).toString('base64') };
  refused(openSenderKey(copy(fake), { me: 'budi', room: ROOM, mine: people.budi!, senderKeys: pub('ani') }), 'bad_signature');
  refused(openSenderKey(copy({ ...real, epoch: real.epoch + 1 }), { me: 'budi', room: ROOM, mine: people.budi!, senderKeys: pub('ani') }), 'bad_signature');
  refused(openSenderKey(copy(real), { me: 'citra', room: ROOM, mine: people.citra!, senderKeys: pub('ani') }), 'wrong_context');
  refused(openSenderKey(copy({ ...real, to: 'citra' }), { me: 'citra', room: ROOM, mine: people.citra!, senderKeys: pub('ani') }), 'bad_key');
  refused(openSenderKey(copy(real), { me: 'budi', room: OTHER_ROOM, mine: people.budi!, senderKeys: pub('ani') }), 'wrong_context');
});

test('malformed envelopes and key messages are refused as malformed and never throw', () => {
  for (const x of [null, 1, 'x', [], {}, { ...roomMsg(aniKey()), extra: 1 }, { ...roomMsg(aniKey()), v: 1 }, { ...roomMsg(aniKey()), key: 'AAAA' }, { ...roomMsg(aniKey()), epoch: -1 }]) {
    refused(openAs(x, 'budi', undefined), 'malformed');
    refused(openSenderKey(x, { me: 'budi', room: ROOM, mine: people.budi!, senderKeys: pub('ani') }), 'malformed');
  }
  assert.throws(() => parseKeyEnvelope({}));
});

test('the signed bytes are length-prefixed labels and fields, as docs/PROTOCOL.md says', () => {
  assert.is(encodeParts('ab', ['c', Buffer.from([1, 2])]).toString('hex'), '0000000261620000000163000000020102');
  const key = Buffer.alloc(32, 7);
  const expect = createHash('sha256').update(Buffer.concat([Buffer.from('00000019', 'hex'), Buffer.from('obrolan e2e v2 commitment'), Buffer.from('00000020', 'hex'), key])).digest();
  assert.ok(keyCommitment(key).equals(expect));
  const spk = Buffer.alloc(294, 9);
  const signed = senderKeySignedBytes({ from: 'ani', room: ROOM, epoch: 5, key, spk });
  assert.ok(signed.includes(expect));
  assert.ok(signed.subarray(signed.length - 298).equals(Buffer.concat([Buffer.from('00000126', 'hex'), spk])));
});

test('a failure reads as a sentence without terminal escapes', () => {
  assert.is(describeOpenFailure('ev\u001bil', 'clock'), 'refused an encrypted message from ev?il (its time is more than 10 minutes from the server\'s)');
});

test('the safety number is the same from both sides, 12 groups of 5 digits, and changes with either key', () => {
  const a = people.ani!.fingerprint;
  const b = people.budi!.fingerprint;
  assert.is(safetyNumber(a, b), safetyNumber(b, a));
  assert.match(safetyNumber(a, b), /^(\d{5} ){11}\d{5}$/);
  assert.is.not(safetyNumber(a, b), safetyNumber(a, people.citra!.fingerprint));
});

/** parts(label, x…) written out from docs/PROTOCOL.md, independently of lib/e2e/sk-envelope.ts. */
function docParts(...xs: Array<string | Buffer>): Buffer {
  return Buffer.concat(xs.flatMap((x) => {
    const b = typeof x === 'string' ? Buffer.from(x, 'utf8') : x;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return [len, b];
  }));
}

test('a room message opens by the formulas of docs/PROTOCOL.md alone (HKDF, AAD, signature)', () => {
  const sk = aniKey(41);
  const e = roomMsg(sk, 'rumus');
  const head = ['2', e.id, e.from, e.ctx, e.to, e.room, String(e.ts), String(e.epoch), String(e.idx), Buffer.alloc(0)];
  const okm = Buffer.from(hkdfSync('sha256', sk.key, Buffer.alloc(0), docParts('obrolan e2e v2 message key', String(e.epoch), String(e.idx)), 44));
  const ct = Buffer.from(e.ct, 'base64');
  const d = createDecipheriv('aes-256-gcm', okm.subarray(0, 32), okm.subarray(32), { authTagLength: 16 });
  d.setAAD(docParts('obrolan e2e v2 aad', ...head));
  d.setAuthTag(ct.subarray(ct.length - 16));
  assert.is(Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]).toString('utf8'), 'rumus');
  // Room messages: signed by the epoch's RSA-2048 key (whose SPKI DER travels as `spk`), not the long-term key.
  const k = wrapSenderKey(sk, { from: 'ani', to: 'budi', room: ROOM, recipient: pub('budi') });
  const spk = Buffer.from(k.spk, 'base64');
  assert.is(sk.signer.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.ok(verify('sha256', docParts('obrolan e2e v2 message', ...head, ct), { key: spk, format: 'der', type: 'spki', ...PSS }, Buffer.from(e.sig, 'base64')));
  assert.not.ok(verify('sha256', docParts('obrolan e2e v2 message', ...head, ct), { key: pub('ani').sig, ...PSS }, Buffer.from(e.sig, 'base64')));
  const commitment = createHash('sha256').update(docParts('obrolan e2e v2 commitment', sk.key)).digest();
  assert.ok(verify('sha256', docParts('obrolan e2e v2 sender key', '2', 'ani', ROOM, '41', commitment, spk), { key: pub('ani').sig, ...PSS }, Buffer.from(k.sig, 'base64')));
  assert.equal(Object.keys(k), ['v', 'from', 'to', 'room', 'epoch', 'wrap', 'spk', 'sig']);
});

test('a member holding the sender key cannot forge another member\'s message: a signature by a key not in the sender\'s key message is refused', () => {
  const sk = aniKey();
  const k = budiOpens(wrapSenderKey(sk, { from: 'ani', to: 'budi', room: ROOM, recipient: pub('budi') }));
  assert.ok(k.ok);
  if (!k.ok) return;
  // budi holds ani's key K and the epoch's public signing key; it seals "as ani" with K and signs with what it has.
  const forged = sealRoom({ ...sk, key: k.key, next: 5, signer: signers.budi! }, { id: 'forged', from: 'ani', room: ROOM, text: 'kirim uangnya', now: 1_000_000 });
  refused(openAs(forged, 'citra', sk), 'bad_signature');
  refused(openAs(resign(forged, people.budi!.sig.privateKey), 'citra', sk), 'bad_signature');
  // Nor does ani's long-term key sign room messages: only the epoch key named in the key message does.
  refused(openAs(resign(forged, people.ani!.sig.privateKey), 'citra', sk), 'bad_signature');
  assert.ok(openAs(resign(forged, sk.signer.privateKey), 'citra', sk).ok, 'the same bytes signed by the epoch key open');
});

test('a key message whose epoch signing key was swapped is refused, and an spk that is not an RSA key is malformed', () => {
  const sk = aniKey();
  const real = wrapSenderKey(sk, { from: 'ani', to: 'budi', room: ROOM, recipient: pub('budi') });
  assert.ok(budiOpens(real).ok);
  refused(budiOpens({ ...real, spk: signers.budi!.spki.toString('base64') }), 'bad_signature');
  refused(budiOpens({ ...real, spk: people.ani!.bundle.sig }), 'bad_signature');
  // A key the server made, with its own signing key, signed by nobody ani knows.
  const mallory = newSenderKey({ from: 'ani', room: ROOM, epoch: sk.epoch, sender: people.budi!, signer: signers.budi! });
  refused(budiOpens(wrapSenderKey(mallory, { from: 'ani', to: 'budi', room: ROOM, recipient: pub('budi') })), 'bad_signature');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  refused(budiOpens({ ...real, spk: ec }), 'malformed');
  const { spk: _spk, ...noSpk } = real;
  refused(budiOpens(noSpk), 'malformed');
});

test('a message of a new epoch signed with the previous epoch\'s key is refused', () => {
  const old = aniKey(7, signers.ani!);
  const next = aniKey(8, signers.ani2!);
  const e = roomMsg({ ...next, signer: old.signer });
  refused(openAs(e, 'budi', next), 'bad_signature');
  assert.ok(openAs(roomMsg(next), 'budi', next).ok);
  refused(openAs(roomMsg(next), 'budi', { ...held(next), spk: old.signer.publicKey }), 'bad_signature');
});

test.run();
