// Send Encrypted with sender keys over the real stack (ChatServer and in-process ChatClients on 127.0.0.1):
// any room size, the join race, leavers, a lying server, replays after a restart, a direct message replayed
// as a room message. Written against the public API and the wire messages wherever possible, so that the
// same scenarios can be played against the previous design (per-message wraps).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import type { ChatClient } from '../lib/chat/client.ts';
import { encodeMessage, type ClientMessage, type ServerMessage } from '../lib/chat/messages.ts';
import type { ChatServer } from '../lib/chat/server.ts';
import type { ClientKeys } from '../lib/e2e/keys.ts';
import type { RsaKeyPair } from '../lib/keyfile.ts';
import { joinClient, type Recorder, removeDir, startServer, tempDir, testKeys, waitFor } from './support/chat-harness.ts';
import { Rng } from './support/rng.ts';

let dir = '';
const cleanups: Array<() => Promise<void>> = [];
const pool: ClientKeys[] = [];

test.before(async () => {
  dir = await tempDir('obrolan-e2e-sk-');
  for (let i = 0; i < 4; i++) pool.push(await testKeys(join(dir, `pool${i}`)));
});

test.after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await removeDir(dir);
});

interface ClientInternals { sendRaw(m: ClientMessage): void; onData(buf: Buffer): void }
const internals = (c: ChatClient): ClientInternals => c as unknown as ClientInternals;
interface ServerInternals {
  envelopeOk(...a: unknown[]): boolean;
  room: { dedup: Map<string, number>; missingKeys: unknown };
  history: { since(after: number, max: number): Promise<{ messages: Array<{ seq: number; id: string; from: string; envelope?: unknown }> }> };
}
const serverInternals = (s: ChatServer): ServerInternals => s as unknown as ServerInternals;
/** The sender side's epoch signing keys (private fields of E2EClient). */
const e2eOf = (c: ChatClient) => c.e2e as unknown as { own: { signer: RsaKeyPair }; spare?: Promise<RsaKeyPair> };

/** Records every message `c` hands to its connection (what the client put on the wire, before sealing by the session). */
function captureSent(c: ChatClient): ClientMessage[] {
  const sent: ClientMessage[] = [];
  const i = internals(c);
  const original = i.sendRaw.bind(c);
  i.sendRaw = (m) => { sent.push(m); original(m); };
  return sent;
}

/** The server delivers `m` to `c` as if it came over the link (a lying server). */
const inject = (c: ChatClient, m: ServerMessage): void => internals(c).onData(encodeMessage(m));

/** A room of `names`, each an in-process client with keys from the pool and history in memory. */
async function room(label: string, names: string[], persist = false): Promise<{ server: ChatServer; port: number; clients: Map<string, Recorder> }> {
  const { server, port } = await startServer(join(dir, `${label}-server`), { maxConnectionsPerIp: 1024 });
  const clients = new Map<string, Recorder>();
  cleanups.push(async () => { for (const c of clients.values()) await c.client.close().catch(() => {}); await server.stop(); });
  for (let i = 0; i < names.length; i += 10) {
    const batch = names.slice(i, i + 10);
    const joined = await Promise.all(batch.map((n, j) => joinClient(port, join(dir, `${label}-${n}`), n, { keys: pool[(i + j) % pool.length]!, persist, reconnect: false })));
    batch.forEach((n, j) => clients.set(n, joined[j]!));
  }
  if (names.length <= 10) await waitFor(() => [...clients.values()].every((c) => c.client.users().length === names.length), 10_000, 'everyone sees everyone');
  return { server, port, clients };
}

test('one Send Encrypted in a room of 100 is readable by all 99 others, and the envelope does not grow with the room', async () => {
  const names = Array.from({ length: 100 }, (_, i) => `u${String(i).padStart(3, '0')}`);
  const { server, clients } = await room('hundred', names);
  const sender = clients.get('u000')!;
  await waitFor(() => sender.client.users().length === 100, 20_000, 'the sender sees everyone');
  const sent = captureSent(sender.client);
  const id = await sender.client.sendEncrypted('untuk semua 100');
  const others = names.slice(1).map((n) => clients.get(n)!);
  await waitFor(() => others.every((r) => r.messages.some((m) => m.id === id)), 30_000, 'all 99 receive it');
  for (const r of others) {
    const m = r.messages.find((x) => x.id === id)!;
    assert.is(m.text, 'untuk semua 100', `${r.client.name} reads it`);
    assert.ok(m.encrypted && !m.notice);
  }
  const env = sent.find((m) => m.t === 'enc')!;
  assert.ok(encodeMessage(env).length < 'untuk semua 100'.length + 1024, `the envelope is ${encodeMessage(env).length} bytes`);
  await server.stop();
});

test('the join race on a slow link, 20 times: every newcomer reads the message sent on its ready', async () => {
  const rng = new Rng(15_2026);
  const { port, clients } = await room('race', ['ani', 'budi']);
  const ani = clients.get('ani')!;
  // A slow link to ani: everything the server sends ani arrives 0–120 ms late, in order.
  const i = internals(ani.client);
  const deliver = i.onData.bind(ani.client);
  let free = 0;
  i.onData = (buf) => {
    const at = Math.max(free, Date.now() + rng.int(121));
    free = at;
    setTimeout(() => deliver(buf), at - Date.now());
  };
  await ani.client.sendEncrypted('before anyone new');
  for (let round = 0; round < 20; round++) {
    const name = `new${round}`;
    const newcomer = await joinClient(port, join(dir, `race-${name}`), name, { keys: pool[round % pool.length]!, persist: false, reconnect: false });
    cleanups.push(() => newcomer.client.close());
    // Sent the moment the newcomer is ready (joinClient resolves on it), before ani can have heard of the join.
    const id = await ani.client.sendEncrypted(`for ${name}`);
    await waitFor(() => newcomer.messages.some((m) => m.id === id), 10_000, `${name} receives the message`);
    const m = newcomer.messages.find((x) => x.id === id)!;
    assert.is(m.text, `for ${name}`, `round ${round} (seed ${rng.seed}): ${name} reads it, not "${m.text}"`);
    await newcomer.client.close();
  }
});

test('a member who left cannot decrypt the next message, though it kept every key it was given', async () => {
  const { server, clients } = await room('leave', ['ani', 'budi', 'citra']);
  const [ani, budi, citra] = ['ani', 'budi', 'citra'].map((n) => clients.get(n)!) as [Recorder, Recorder, Recorder];
  const first = await ani.client.sendEncrypted('budi may read this');
  const spare = e2eOf(ani.client).spare;
  assert.ok(spare, 'the next epoch\'s signing key is being made ahead, as soon as the first epoch started');
  const madeAhead = await spare;
  await waitFor(() => budi.messages.some((m) => m.id === first), 10_000, 'budi reads the first');
  const budiRing = budi.client.e2e.ring;
  await budi.client.close();
  await waitFor(() => ani.leaves.includes('budi'), 10_000, 'ani sees budi leave');
  const second = await ani.client.sendEncrypted('not for budi');
  await waitFor(() => citra.messages.some((m) => m.id === second && m.text === 'not for budi'), 10_000, 'citra reads the second');
  const { messages } = await serverInternals(server).history.since(0, 100);
  const epochOf = (id: string): number => (messages.find((m) => m.id === id)!.envelope as { epoch: number }).epoch;
  assert.ok(budiRing.get('ani', epochOf(first)), 'budi held the first epoch');
  assert.is(budiRing.get('ani', epochOf(second)), undefined, 'budi never got the key of the second');
  assert.is.not(epochOf(first), epochOf(second), 'ani started a new epoch after budi left');
  assert.is(e2eOf(ani.client).own.signer, madeAhead, 'the new epoch signs with the key made ahead');
  const [k1, k2] = [epochOf(first), epochOf(second)].map((e) => citra.client.e2e.ring.get('ani', e));
  assert.ok(k1 && k2 && !k1.spk.equals(k2.spk), 'each epoch has its own signing key');
  assert.ok(k2!.spk.equals(madeAhead.publicKey), 'citra verifies the second epoch with that key');
});

test('a lying server: a fake member shows as new, a swapped key as changed; sending asks first; nothing shows verified', async () => {
  const { clients } = await room('liar', ['ani', 'budi']);
  const ani = clients.get('ani')!;
  await waitFor(() => ani.client.users().includes('budi'), 10_000, 'ani sees budi');
  const fake = 'SHA256:' + 'F'.repeat(43);
  inject(ani.client, { t: 'presence', events: [{ t: 'join', user: { name: 'mallory', keys: fake } }] });
  assert.is(ani.client.e2e.state('mallory'), 'new', 'a member ani never saw is new, not verified');
  const budiFp = ani.client.e2e.safety('budi').theirs;
  inject(ani.client, { t: 'users', users: [{ name: 'ani', keys: ani.client.myFingerprint }, { name: 'budi', keys: 'SHA256:' + 'S'.repeat(43) }] });
  assert.is(ani.client.e2e.state('budi'), 'changed');
  assert.ok(ani.warnings.some((w) => w.includes('keys of budi changed')), 'ani is told');
  for (const send of [() => ani.client.sendEncrypted('x'), () => ani.client.sendDirect('budi', 'x')]) {
    try { await send(); assert.unreachable('sent to a changed key without asking'); } catch (err) { assert.is((err as { code?: string }).code, 'key_changed'); }
  }
  const s = ani.client.e2e.safety('budi');
  assert.is(s.state, 'changed');
  assert.match(s.number, /^(\d{5} ){11}\d{5}$/);
  // The real keys come back: still the pinned ones, so new again (never verified without a person).
  inject(ani.client, { t: 'users', users: [{ name: 'ani', keys: ani.client.myFingerprint }, { name: 'budi', keys: budiFp }] });
  assert.is(ani.client.e2e.state('budi'), 'new');
  await ani.client.e2e.accept('budi', true);
  assert.is(ani.client.e2e.state('budi'), 'verified', 'verified only after a person says so');
});

test('an old envelope the server replays after the client restarted is refused (the guard is in the history on disk)', async () => {
  const { server, port, clients } = await room('restart', ['ani', 'budi'], true);
  const ani = clients.get('ani')!;
  const budi = clients.get('budi')!;
  const sent = captureSent(ani.client);
  const roomId = await ani.client.sendEncrypted('ruang lama');
  const dmId = await ani.client.sendDirect('budi', 'pesan lama');
  await waitFor(() => [roomId, dmId].every((id) => budi.messages.some((m) => m.id === id)), 10_000, 'budi reads both');
  await budi.client.close();
  const again = await joinClient(port, join(dir, 'restart-budi'), 'budi', { keys: pool[1]!, reconnect: false });
  cleanups.push(() => again.client.close());
  await waitFor(() => ani.client.users().includes('budi'), 10_000, 'ani sees budi again');
  // A compromised server: forgets its dedup, skips its checks, and sends both envelopes again.
  const srv = serverInternals(server);
  srv.room.dedup.clear();
  srv.envelopeOk = () => true;
  srv.room.missingKeys = undefined;
  for (const m of [...sent]) if (m.t === 'enc' || m.t === 'dm') internals(ani.client).sendRaw(m);
  await waitFor(() => again.warnings.filter((w) => w.includes('(replay)')).length === 2, 10_000, 'both refused as replays');
  assert.ok(again.messages.every((m) => m.id !== roomId && m.id !== dmId), 'neither is shown again');
});

test('a direct message the server delivers as a room message is refused, not shown to the room', async () => {
  const { server, clients } = await room('dm-as-room', ['ani', 'budi', 'citra']);
  const [ani, budi] = [clients.get('ani')!, clients.get('budi')!];
  await waitFor(() => ani.client.users().length === 3, 10_000, 'ani sees everyone');
  const sent = captureSent(ani.client);
  // Sealed for budi but never delivered as a direct message: the server holds it back…
  const srv = serverInternals(server);
  (srv as unknown as { handlers: Record<string, unknown> }).handlers.dm = () => {};
  const id = await ani.client.sendDirect('budi', 'hanya untuk budi');
  const dm = sent.find((m) => m.t === 'dm') as Extract<ClientMessage, { t: 'dm' }>;
  // …and stores it as a room message instead.
  srv.envelopeOk = () => true;
  srv.room.missingKeys = undefined;
  internals(ani.client).sendRaw({ t: 'enc', id, env: dm.env });
  await waitFor(() => budi.warnings.some((w) => w.includes('from ani')), 10_000, 'budi refuses it');
  assert.ok(budi.messages.every((m) => m.text !== 'hanya untuk budi'), 'budi does not show it as a room message');
  assert.ok(clients.get('citra')!.messages.every((m) => m.text !== 'hanya untuk budi'));
});

test('a direct message never overtakes the room messages its sender sent before it', async () => {
  const { clients } = await room('order', ['ani', 'budi']);
  const [ani, budi] = [clients.get('ani')!, clients.get('budi')!];
  for (let round = 0; round < 10; round++) {
    const roomId = await ani.client.sendEncrypted(`room ${round}`);
    const plainId = ani.client.send(`plain ${round}`);
    const dmId = await ani.client.sendDirect('budi', `dm ${round}`);
    await waitFor(() => budi.messages.some((m) => m.id === dmId), 10_000, `dm ${round}`);
    const at = (id: string): number => budi.messages.findIndex((m) => m.id === id);
    assert.ok(at(roomId) >= 0 && at(roomId) < at(dmId), `round ${round}: the encrypted room message came first`);
    assert.ok(at(plainId) >= 0 && at(plainId) < at(dmId), `round ${round}: the plain room message came first`);
  }
});

test.run();
