// Forged and tampered end-to-end envelopes over the real stack (real ChatServer, real ChatClients, UDP on
// 127.0.0.1). Sessions are sealed, so nobody on the wire can alter an envelope: the forger here is a
// logged-in but malicious client (ani) that hands the server envelopes it built itself, through the
// client's own private sendRaw (a cast, test only), and — where the honest server would refuse — a
// server whose checks are switched off for one step, standing for a compromised server. The recipients
// must warn, never show the text, and the room must keep working afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { constants, randomBytes, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { ChatClient } from '../lib/chat/client.ts';
import type { Inbox } from '../lib/chat/inbox.ts';
import { messageSignedBytes } from '../lib/e2e/sk-envelope.ts';
import type { ClientKeys } from '../lib/e2e/keys.ts';
import { describeOpenFailure, type MessageEnvelope as Envelope, type OpenFailure } from '../lib/e2e/sender-key.ts';
import type { ClientMessage } from '../lib/chat/messages.ts';
import type { ChatServer } from '../lib/chat/server.ts';
import { joinClient, type Recorder, removeDir, startServer, tempDir, testKeys, waitFor } from './support/chat-harness.ts';

let dir = '';
let server: ChatServer;
let port = 0;
let ani: Recorder;
let budi: Recorder;
let citra: Recorder;
let aniKeys: ClientKeys;
let budiKeys: ClientKeys;

/** What the tests reach inside a ChatClient: its raw send and its inbox (both private). */
interface ClientInternals { sendRaw(m: ClientMessage): void; inbox: Inbox }
const internals = (r: Recorder): ClientInternals => r.client as unknown as ClientInternals;

/** What the tests reach inside the ChatServer (private): its envelope check, its room's dedup map, its sessions. */
interface ServerInternals {
  envelopeOk(s: unknown, id: string, env: unknown): boolean;
  room: { dedup: Map<string, number> };
  sessions: Set<{ conn: { close(code: number, reason: string): void }; member?: { name: string } }>;
}
const serverInternals = (): ServerInternals => server as unknown as ServerInternals;

test.before(async () => {
  dir = await tempDir('obrolan-e2e-forged-');
  const serverDir = join(dir, 'server');
  ({ server, port } = await startServer(serverDir));
  aniKeys = await testKeys(join(dir, 'ani'));
  ani = await joinClient(port, join(dir, 'ani'), 'ani', { keys: aniKeys });
  budiKeys = await testKeys(join(dir, 'budi'));
  budi = await joinClient(port, join(dir, 'budi'), 'budi', { keys: budiKeys });
  citra = await joinClient(port, join(dir, 'citra'), 'citra');
  const everyone = ['ani', 'budi', 'citra'];
  await waitFor(() => [ani, budi, citra].every((r) => everyone.every((u) => r.client.users().includes(u))), 10_000, 'everyone sees everyone');
});

test.after(async () => {
  for (const r of [ani, budi, citra]) await r?.client.close().catch(() => {});
  await server?.stop().catch(() => {});
  await removeDir(dir);
});

let n = 0;
/** A unique text nobody else sends, so its absence can be checked. */
const secret = (label: string): string => `secret ${label} ${++n} ${randomBytes(6).toString('hex')}`;

/** A genuine envelope sealed by `r` (its real keys and sender key) for the room, or directly for `to`. */
function seal(r: Recorder, text: string, to?: [string]): Promise<Envelope> {
  const id = `f${++n}-${randomBytes(6).toString('base64url')}`;
  return to ? r.client.e2e.sealDirect(id, to[0], text) : r.client.e2e.sealRoom(id, text);
}

/** The warning a recipient shows for a refused envelope from ani. */
const refusedLine = (reason: OpenFailure): string => describeOpenFailure('ani', reason);

/** The same base64 field with one bit of its byte at `index(len)` flipped (still canonical base64). */
function flipped(b64: string, index: (len: number) => number): string {
  const b = Buffer.from(b64, 'base64');
  b[index(b.length)]! ^= 0x01;
  return b.toString('base64');
}

/** The private key that signs `r`'s room messages in its current epoch (its own, made for that epoch). */
const epochSigner = (r: Recorder): KeyObject => (r.client.e2e as unknown as { own: { signer: { privateKey: KeyObject } } }).own.signer.privateKey;

/** Signs `env` with `key`, as whoever holds it may do after altering it. */
function resigned(env: Envelope, key: KeyObject): Envelope {
  const sig = sign('sha256', messageSignedBytes(env), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return { ...env, sig: sig.toString('base64') };
}

/** Re-signs `env` with ani's real signing key (room: its epoch key; direct: its long-term key), as a malicious sender may do. */
function resignedByAni(env: Envelope): Envelope {
  return resigned(env, env.ctx === 'room' ? epochSigner(ani) : aniKeys.sig.privateKey);
}

/** Marks where each recorder's lists are now, to look only at what comes after. */
function mark(): Map<Recorder, { w: number; m: number; e: number }> {
  return new Map([ani, budi, citra].map((r) => [r, { w: r.warnings.length, m: r.messages.length, e: r.errors.length }]));
}
const warningsSince = (r: Recorder, at: ReturnType<typeof mark>): string[] => r.warnings.slice(at.get(r)!.w);
const errorsSince = (r: Recorder, at: ReturnType<typeof mark>): Array<{ code: string; message: string }> => r.errors.slice(at.get(r)!.e);

/**
 * Ani sends a genuine encrypted room message; resolves once budi and citra both show it. Messages reach a
 * client in order over one reliable channel and its inbox handles them one at a time, so everything sent
 * before this one has been handled (warned about or shown) by then.
 */
async function genuineAfter(label: string): Promise<void> {
  const text = `genuine after ${label} ${randomBytes(4).toString('hex')}`;
  const id = await ani.client.sendEncrypted(text);
  await waitFor(() => [budi, citra].every((r) => r.messages.some((m) => m.id === id)), 10_000, `the genuine message after ${label}`);
  for (const r of [budi, citra]) {
    const m = r.messages.find((x) => x.id === id)!;
    assert.is(m.text, text, `${r.client.name} reads the genuine message after ${label}`);
    assert.ok(m.encrypted && !m.notice, 'shown as an encrypted message');
  }
}

/** Nobody was shown `text` or any message with `id` (not even as a notice). */
function assertNotShown(id: string, text: string): void {
  for (const r of [ani, budi, citra]) {
    assert.ok(r.messages.every((m) => m.id !== id), `${r.client.name} shows no message with the forged id`);
    assert.ok(r.messages.every((m) => !m.text.includes(text)), `${r.client.name} never shows the forged text`);
  }
}

/** Waits until `r` has a warning equal to `line` since `at`. */
async function warned(r: Recorder, at: ReturnType<typeof mark>, line: string): Promise<void> {
  await waitFor(() => warningsSince(r, at).includes(line), 10_000, `${r.client.name} warns "${line}"`);
}

const sendEnc = (env: Envelope, id = env.id): void => internals(ani).sendRaw({ t: 'enc', id, env });
const sendDm = (to: string, env: Envelope, id = env.id): void => internals(ani).sendRaw({ t: 'dm', id, to, env });

// ── tampered room messages: the honest server cannot tell (it holds no key), stores and forwards them ──

const TAMPERED: Array<{ what: string; tamper: (e: Envelope) => Envelope; budi: string; citra: string }> = [
  { what: 'a flipped ciphertext byte', tamper: (e) => ({ ...e, ct: flipped(e.ct, () => 0) }), budi: refusedLine('bad_signature'), citra: refusedLine('bad_signature') },
  { what: 'a flipped GCM tag byte', tamper: (e) => ({ ...e, ct: flipped(e.ct, (len) => len - 1) }), budi: refusedLine('bad_signature'), citra: refusedLine('bad_signature') },
  { what: 'a flipped signature byte', tamper: (e) => ({ ...e, sig: flipped(e.sig, (len) => len >> 1) }), budi: refusedLine('bad_signature'), citra: refusedLine('bad_signature') },
  { what: 'a changed message index', tamper: (e) => ({ ...e, idx: e.idx + 1 }), budi: refusedLine('bad_signature'), citra: refusedLine('bad_signature') },
  { what: 'a time 11 minutes old', tamper: (e) => resignedByAni({ ...e, ts: e.ts - 11 * 60_000 }), budi: refusedLine('clock'), citra: refusedLine('clock') },
];

for (const c of TAMPERED) {
  test(`a room message with ${c.what} is stored by the server but only warned about by every recipient`, async () => {
    const text = secret(c.what);
    const env = c.tamper(await seal(ani, text));
    const at = mark();
    const stored = server.stats().messages;
    sendEnc(env);
    await warned(budi, at, c.budi);
    await warned(citra, at, c.citra);
    await genuineAfter(c.what);
    assertNotShown(env.id, text);
    assert.is(server.stats().messages, stored + 2, 'the server stored the forgery (it cannot check it) and the genuine one');
    assert.equal(errorsSince(ani, at), [], 'the server did not refuse it');
    assert.is(warningsSince(budi, at).filter((w) => w.includes('from ani')).length, 1, 'budi warned exactly once');
  });
}

test('a direct message whose wrapped seed was altered is refused by budi (bad signature: the signature covers it)', async () => {
  const text = secret('wrapped key');
  const genuine = await seal(ani, text, ['budi']);
  const at = mark();
  sendDm('budi', { ...genuine, key: flipped(genuine.key, (len) => len >> 1) });
  await warned(budi, at, refusedLine('bad_signature'));
  await genuineAfter('wrapped key');
  assert.ok(budi.messages.every((m) => m.id !== genuine.id && m.text !== text), 'budi shows nothing of it');
});

test('a ciphertext altered and then re-signed by its sender is caught by AES-GCM (decrypt failed)', async () => {
  const text = secret('resigned ciphertext');
  const genuine = await seal(ani, text);
  const env = resignedByAni({ ...genuine, ct: flipped(genuine.ct, () => 0) });
  const at = mark();
  sendEnc(env);
  for (const r of [budi, citra]) await warned(r, at, refusedLine('decrypt_failed'));
  await genuineAfter('resigned ciphertext');
  assertNotShown(env.id, text);
});

test('a member holding ani\'s sender key cannot sign as ani: its own epoch key or long-term key is refused (bad signature)', async () => {
  await seal(budi, secret('budi starts an epoch')); // budi now has an epoch signing key of its own
  // ani's long-term key first: it signed room messages before epoch keys, and must no longer be accepted for them.
  const keys: Array<[string, () => KeyObject]> = [['ani\'s long-term key', () => aniKeys.sig.privateKey], ['budi\'s long-term key', () => budiKeys.sig.privateKey], ['budi\'s epoch key', () => epochSigner(budi)]];
  for (const [what, key] of keys) {
    const text = secret(`forged with ${what}`);
    // Sealed with ani's key K, which budi holds as every member does; only the signature differs.
    const env = resigned(await seal(ani, text), key());
    const at = mark();
    sendEnc(env);
    for (const r of [budi, citra]) await warned(r, at, refusedLine('bad_signature'));
    await genuineAfter(`forged with ${what}`);
    assertNotShown(env.id, text);
  }
});

// ── a claimed sender other than the real one ──

test('an envelope claiming to be from budi is refused by the server before fan-out', async () => {
  // lib/chat/server.ts envelopeOk: the server checks env.from === the sender's name (and env.id === id),
  // so the honest server never stores or forwards it; the forger gets bad_message.
  const text = secret('claimed budi');
  const env: Envelope = { ...await seal(ani, text), from: 'budi' };
  const at = mark();
  const stored = server.stats().messages;
  sendEnc(env);
  await waitFor(() => errorsSince(ani, at).some((e) => e.code === 'bad_message'), 10_000, 'the server refuses it');
  assert.equal(errorsSince(ani, at), [{ code: 'bad_message', message: 'encrypted message with another sender or id than its own' }]);
  await genuineAfter('claimed budi');
  assert.is(server.stats().messages, stored + 1, 'only the genuine message was stored');
  assertNotShown(env.id, text);
  for (const r of [budi, citra]) assert.equal(warningsSince(r, at), [], `${r.client.name} never received it`);
  // The same as a direct message to citra.
  const dm: Envelope = { ...await seal(ani, text, ['citra']), from: 'budi' };
  sendDm('citra', dm);
  await waitFor(() => errorsSince(ani, at).length === 2, 10_000, 'the server refuses the direct message too');
  assert.is(errorsSince(ani, at)[1]!.code, 'bad_message');
  await genuineAfter('claimed budi (dm)');
  assertNotShown(dm.id, text);
});

test('an envelope id other than the message id is refused by the server', async () => {
  const text = secret('other id');
  const env = await seal(ani, text);
  const at = mark();
  sendEnc(env, `${env.id}x`);
  await waitFor(() => errorsSince(ani, at).some((e) => e.code === 'bad_message'), 10_000, 'the server refuses it');
  await genuineAfter('other id');
  assertNotShown(env.id, text);
  assertNotShown(`${env.id}x`, text);
});

test('if the server forwarded it anyway (compromised server), recipients refuse a claimed sender that is not the real one', async () => {
  // Stand-in for a compromised server: its envelope check is switched off for this one message.
  const text = secret('mismatch');
  const env: Envelope = { ...await seal(ani, text), from: 'budi' };
  const at = mark();
  const srv = serverInternals();
  srv.envelopeOk = () => true;
  try {
    sendEnc(env);
    await warned(budi, at, describeOpenFailure('ani', 'wrong_context'));
    await warned(citra, at, describeOpenFailure('ani', 'wrong_context'));
  } finally {
    delete (srv as Partial<ServerInternals>).envelopeOk; // back to the prototype's real check
  }
  await genuineAfter('mismatch');
  assertNotShown(env.id, text);
  assert.ok(errorsSince(ani, at).length === 0);
});

// ── replays ──

test('the same room envelope sent twice is stored and shown once (the server answers the resend from its dedup)', async () => {
  const text = secret('room replay');
  const env = await seal(ani, text);
  const at = mark();
  const stored = server.stats().messages;
  sendEnc(env);
  await waitFor(() => budi.messages.some((m) => m.id === env.id), 10_000, 'the first copy');
  sendEnc(env);
  await genuineAfter('room replay');
  assert.is(server.stats().messages, stored + 2, 'stored once, plus the genuine message after');
  for (const r of [budi, citra]) {
    assert.equal(r.messages.filter((m) => m.id === env.id).map((m) => m.text), [text], `${r.client.name} shows it once`);
    assert.ok(warningsSince(r, at).every((w) => !w.includes('from ani')), `${r.client.name}: nothing reached it to warn about`);
  }
});

test('a room envelope the server sends again under a new seq (compromised server) is ignored as a replay', async () => {
  const text = secret('room replay new seq');
  const env = await seal(ani, text);
  const at = mark();
  sendEnc(env);
  await waitFor(() => [budi, citra].every((r) => r.messages.some((m) => m.id === env.id)), 10_000, 'the first copy');
  // Stand-in for a compromised server: it forgets that it has this message and stores it again.
  serverInternals().room.dedup.clear();
  sendEnc(env);
  for (const r of [budi, citra]) await warned(r, at, 'ignored a repeated message from ani (replay)');
  await genuineAfter('room replay new seq');
  for (const r of [budi, citra]) assert.equal(r.messages.filter((m) => m.id === env.id).map((m) => m.text), [text], `${r.client.name} shows it once`);
});

test('the same direct envelope sent twice reaches budi twice (no server dedup for DMs) and is shown once', async () => {
  // Direct messages are not stored, so the server does not dedup them: only budi's replay guard stops this.
  const text = secret('dm replay');
  const env = await seal(ani, text, ['budi']);
  const at = mark();
  sendDm('budi', env);
  sendDm('budi', env);
  await warned(budi, at, 'ignored a repeated message from ani (replay)');
  await genuineAfter('dm replay');
  assert.equal(budi.messages.filter((m) => m.id === env.id).map((m) => m.text), [text], 'shown once');
  assert.is(budi.messages.find((m) => m.id === env.id)!.to, 'budi');
  assertNoneElse(env.id, text);
});

/** Nobody but budi shows it. */
function assertNoneElse(id: string, text: string): void {
  for (const r of [ani, citra]) assert.ok(r.messages.every((m) => m.id !== id && m.text !== text), `${r.client.name} never shows budi's direct message`);
}

test('a forged direct message does not use up the id of the real one sent after it', async () => {
  const text = secret('dm burn');
  const env = await seal(ani, text, ['budi']);
  const at = mark();
  sendDm('budi', { ...env, sig: flipped(env.sig, () => 7) });
  await warned(budi, at, refusedLine('bad_signature'));
  sendDm('budi', env);
  await waitFor(() => budi.messages.some((m) => m.id === env.id), 10_000, 'the real direct message');
  assert.is(budi.messages.find((m) => m.id === env.id)!.text, text);
  assert.ok(warningsSince(budi, at).every((w) => !w.includes('replay')), 'not taken for a replay');
});

test('a tampered direct message is warned about and never shown', async () => {
  const text = secret('dm tampered');
  const env = await seal(ani, text, ['budi']);
  const at = mark();
  sendDm('budi', { ...env, ct: flipped(env.ct, () => 0) });
  await warned(budi, at, refusedLine('bad_signature'));
  await genuineAfter('dm tampered');
  assert.ok(budi.messages.every((m) => m.id !== env.id && m.text !== text));
  assertNoneElse(env.id, text);
});

// Every join — including the client's own automatic reconnect — makes a new Inbox; the ReplayGuard is the
// client's, kept across them. A direct message has seq 0, so the seq check does not catch a replay of it,
// and the server never dedups DMs: ani (or a compromised server) resends it after budi reconnects.
test('a direct envelope replayed after budi reconnects is still refused as a replay', async () => {
  const text = secret('dm replay after reconnect');
  const env = await seal(ani, text, ['budi']);
  sendDm('budi', env);
  await waitFor(() => budi.messages.some((m) => m.id === env.id), 10_000, 'the direct message');
  // The server drops budi's connection (as a compromised server may); budi reconnects by itself.
  const readies = budi.readies;
  const session = [...serverInternals().sessions].find((s) => s.member?.name === 'budi');
  assert.ok(session, 'budi\'s session on the server');
  session!.conn.close(0, 'test: dropped');
  await waitFor(() => budi.readies > readies && budi.client.state === 'connected', 15_000, 'budi back');
  await waitFor(() => ani.client.users().includes('budi'), 10_000, 'ani sees budi again');
  const at = mark();
  sendDm('budi', env);
  await genuineAfter('dm replay after reconnect');
  const shown = budi.messages.filter((m) => m.id === env.id).length;
  assert.is(shown, 1, `budi showed the same direct message ${shown} times (its replay guard was reset by the reconnect)`);
  assert.ok(warningsSince(budi, at).includes('ignored a repeated message from ani (replay)'), 'budi warns of the replay');
});

test.run();
