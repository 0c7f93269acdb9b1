// The secure session seen from the wire, over real UDP on 127.0.0.1 through a relay (test/support/udp-proxy.ts):
// nothing secret travels in the clear; tampered, replayed and misaddressed datagrams are dropped and
// change nothing in the room; an address that never proves it receives cannot be used to amplify.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LARGE_DATAGRAM_MAX_BYTES } from '../lib/constants.ts';
import { join } from 'node:path';
import { makeEphemeral } from '../lib/session/keys.ts';
import { decodeHeader, decodePacket, encodePacket, PacketType, writeHeader } from '../lib/wire.ts';
import { ChatClient } from '../lib/chat/client.ts';
import { Recorder, removeDir, startServer, tempDir, testKeys, waitFor } from './support/chat-harness.ts';
import { Rng } from './support/rng.ts';
import { droppedTotal, isSealed, proxiedRoom, SECRET_PASSWORD, sendPaced, sleep } from './support/security-room.ts';
import { RawPeer } from './support/udp-proxy.ts';

let dir = '';
const cleanup: Array<() => Promise<void> | void> = [];

test.before(async () => { dir = await tempDir('obrolan-secwire-'); });
test.after(async () => {
  for (const c of cleanup.reverse()) await Promise.resolve().then(c).catch(() => {});
  await removeDir(dir);
});

/** The forms a secret could take in a datagram: UTF-8, UTF-16LE, hex, and base64 / base64url at each byte alignment. */
function encodings(secret: string): Array<[form: string, needle: Buffer]> {
  const utf8 = Buffer.from(secret, 'utf8');
  const forms: Array<[string, Buffer]> = [
    ['utf8', utf8], ['utf16le', Buffer.from(secret, 'utf16le')], ['hex', Buffer.from(utf8.toString('hex'))],
  ];
  for (let shift = 0; shift < 3; shift++) {
    // Base64 of the secret after `shift` other bytes: keep only the characters that depend on the secret alone.
    const b64 = Buffer.concat([Buffer.alloc(shift), utf8]).toString('base64');
    const core = b64.slice(Math.ceil((shift * 8) / 6), Math.floor(((shift + utf8.length) * 8) / 6));
    forms.push([`base64+${shift}`, Buffer.from(core)], [`base64url+${shift}`, Buffer.from(core.replace(/\+/g, '-').replace(/\//g, '_'))]);
  }
  return forms;
}

/** Every (secret, form) found in any datagram, as readable lines. */
function leaks(datagrams: Array<{ dir: string; data: Buffer }>, secrets: string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    for (const [form, needle] of encodings(secret)) {
      const hit = datagrams.find((d) => d.data.includes(needle));
      if (hit) found.push(`${form} of "${secret}" in a ${hit.dir} datagram of ${hit.data.length} bytes`);
    }
  }
  return found;
}

test('no datagram of a login and chat carries the password, a username or a message text in any encoding', async () => {
  const users = ['Penyadap_Kx81Qz', 'Saksi_Mw52Rt'];
  const texts = ['Teks-Polos-8JfQ2wLm', 'Teks-Terenkripsi-3NdL7vPa', 'Pesan-Langsung-5TgH1yCe', 'Balasan-Saksi-6WbR4uXo'];
  const secrets = [SECRET_PASSWORD, ...users, ...users.map((u) => u.toLowerCase()), ...texts];
  // The search itself must work, or an empty result proves nothing: plant every form in random bytes.
  const rng = new Rng(7001);
  for (const [form, needle] of encodings(SECRET_PASSWORD)) {
    const planted = Buffer.concat([rng.bytes(rng.int(40)), needle, rng.bytes(rng.int(40))]);
    assert.equal(leaks([{ dir: 'test', data: planted }], [SECRET_PASSWORD]).length > 0, true, `the search finds the ${form} form`);
  }
  const b64 = Buffer.from(`{"key":"${Buffer.from(`xy${SECRET_PASSWORD}`).toString('base64')}"}`);
  assert.ok(leaks([{ dir: 'test', data: b64 }], [SECRET_PASSWORD]).length > 0, 'the search finds base64 at an odd alignment');

  const room = await proxiedRoom(join(dir, 'capture'));
  cleanup.push(room.stop);
  const a = await room.join(users[0]!);
  const b = await room.join(users[1]!);
  a.client.send(texts[0]!);
  await a.client.sendEncrypted(texts[1]!);
  await a.client.sendDirect(users[1]!, texts[2]!);
  b.client.send(texts[3]!);
  await waitFor(() => texts.slice(0, 3).every((t) => b.rec.texts().includes(t)) && a.rec.texts().includes(texts[3]!), 15_000, 'the messages');
  await a.client.close();
  await b.client.close();
  await sleep(100);

  const captured = room.proxy.captured;
  const up = captured.filter((c) => c.dir === 'up');
  const down = captured.filter((c) => c.dir === 'down');
  console.log(`  captured ${up.length} datagrams client→server (${up.reduce((n, c) => n + c.data.length, 0)} B), ${down.length} server→client (${down.reduce((n, c) => n + c.data.length, 0)} B)`);
  assert.ok(up.filter((c) => isSealed(c.data)).length >= 8 && down.filter((c) => isSealed(c.data)).length >= 8, 'the capture holds the sealed login and chat traffic of both directions');
  assert.ok(captured.every((c) => c.data.length <= (isSealed(c.data) ? LARGE_DATAGRAM_MAX_BYTES : 1200)), 'every datagram fits in 1200 bytes, a sealed one in 60 KiB');
  assert.equal(leaks(captured, secrets), [], 'no secret appears in any captured datagram');
});

/** Waits until `cond` holds, then a little longer so nothing late is missed. */
async function settle(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  await waitFor(cond, ms, what);
  await sleep(150);
}

test('tampered, replayed and misaddressed datagrams are dropped and change nothing in the room', async () => {
  const room = await proxiedRoom(join(dir, 'tamper'));
  cleanup.push(room.stop);
  const { server, proxy } = room;
  const a = await room.join('penyerang');
  const b = await room.join('saksi');
  const serverMessages: string[] = [];
  server.on('message', (m: { text: string }) => serverMessages.push(m.text));

  // Hold back the datagram carrying A's first message (a 600-byte text makes it bigger than any ACK or PING): the
  // server never sees it, the client resends the message in another datagram, and we keep an authentic
  // datagram the server has not opened yet.
  let held: Buffer | undefined;
  proxy.hook = ({ dir: d, client, data }) => {
    if (d !== 'up' || client !== a.address || held || !isSealed(data) || data.length < 600) return undefined;
    held = Buffer.from(data);
    return null;
  };
  const first = `pesan pertama ${'x'.repeat(600)}`;
  a.client.send(first);
  await settle(() => b.rec.texts().includes(first) && a.rec.delivered.length === 1, 'the resent first message');
  proxy.hook = undefined;
  assert.ok(held, 'a datagram was held back');
  const heldDatagram = held!;
  const base = { dropped: droppedTotal(server), stored: server.stats().messages, a: a.rec.messages.length, b: b.rec.messages.length };

  // (c) The authentic datagram with A's live connection id, but from another address.
  const stranger = await proxy.freshPeer();
  cleanup.push(() => stranger.close());
  await stranger.send(heldDatagram);
  await settle(() => (server.stats().dropped.wrong_address ?? 0) === 1, 'the misaddressed datagram to be counted');
  assert.is(stranger.received.length, 0, 'nothing is sent to the other address');

  // (a) Every single-bit flip of it, from A's own address.
  const flips: Buffer[] = [];
  for (let bit = 0; bit < heldDatagram.length * 8; bit++) {
    const f = Buffer.from(heldDatagram);
    f[bit >> 3] = f[bit >> 3]! ^ (0x80 >> (bit & 7));
    flips.push(f);
  }
  const unauthenticated = (): number => server.stats().dropped.unauthenticated ?? 0;
  const unauthenticatedBefore = unauthenticated();
  // Stop recording: the replays below are of the traffic before the attack.
  proxy.capturing = false;
  await sendPaced(server, flips, (d) => proxy.sendUp(a.address, d));
  await settle(() => droppedTotal(server) >= base.dropped + 1 + flips.length, 'every flip to be counted');
  console.log(`  ${flips.length} bit flips of a ${heldDatagram.length}-byte datagram; server drops: ${JSON.stringify(server.stats().dropped)}`);
  assert.is(droppedTotal(server), base.dropped + 1 + flips.length, 'each flipped datagram is dropped and counted once');
  // The held datagram's number was never seen, so a flip of its body or tag is refused by the tag check itself.
  assert.ok(unauthenticated() - unauthenticatedBefore >= (heldDatagram.length - 16) * 8, 'every body and tag flip fails authentication');

  // Control: the unflipped datagram still opens (so the flips were refused for their flipped bit) but
  // repeats a message already stored; then (b) the same datagram again is a replay.
  const beforeOriginal = server.stats().datagramsIn;
  await proxy.sendUp(a.address, heldDatagram);
  await settle(() => server.stats().datagramsIn > beforeOriginal, 'the original datagram');
  assert.is(droppedTotal(server), base.dropped + 1 + flips.length, 'the authentic datagram from the right address is accepted');
  await proxy.sendUp(a.address, heldDatagram);
  await settle(() => droppedTotal(server) >= base.dropped + 2 + flips.length, 'the replay to be counted');
  assert.is(droppedTotal(server), base.dropped + 2 + flips.length, 'the same datagram a second time is dropped');

  // (b) Every sealed datagram A sent so far, again, from A's address; and every sealed datagram the
  // server sent A, again, to A.
  const upOld = proxy.captured.filter((c) => c.dir === 'up' && c.client === a.address && isSealed(c.data) && !c.data.equals(heldDatagram)).map((c) => c.data);
  const downOld = proxy.captured.filter((c) => c.dir === 'down' && c.client === a.address && isSealed(c.data)).map((c) => c.data);
  const dropsBeforeReplay = droppedTotal(server);
  await sendPaced(server, upOld, (d) => proxy.sendUp(a.address, d));
  await settle(() => droppedTotal(server) >= dropsBeforeReplay + upOld.length, 'the replays to be counted');
  assert.is(droppedTotal(server), dropsBeforeReplay + upOld.length, `each of ${upOld.length} replayed datagrams is dropped`);
  for (const d of downOld) await proxy.sendDown(a.address, d);
  await sleep(300);

  // Nothing of it reached the room.
  assert.equal(serverMessages, [first], 'the server stored the first message once and nothing else');
  assert.is(server.stats().messages, base.stored);
  assert.is(b.rec.messages.length, base.b, 'the other member saw no extra or duplicate message');
  assert.is(a.rec.messages.length, base.a, 'the attacked member saw no duplicate message');
  assert.is(a.rec.readies, 1, 'the attacked session was never torn down');

  // The chat keeps working, on the same sessions.
  a.client.send('masih bisa');
  b.client.send('saya juga');
  await waitFor(() => b.rec.texts().includes('masih bisa') && a.rec.texts().includes('saya juga'), 10_000, 'chat after the attack');
  assert.is(a.client.state, 'connected');
  // A newcomer replays the whole stored history: each message once, nothing injected.
  const home = join(dir, 'tamper', 'pendatang');
  const c = new Recorder(new ChatClient({ host: '127.0.0.1', port: room.serverPort, historyDir: home, keys: await testKeys(home) }));
  cleanup.push(() => c.client.close());
  await c.client.connect();
  await c.client.authenticate(SECRET_PASSWORD);
  await c.client.join('pendatang');
  assert.equal(c.texts().sort(), [first, 'masih bisa', 'saya juga'].sort(), 'history holds exactly the three messages');
});

/** A 1200-byte HELLO; `cookie` empty for a first contact. */
function hello(connId: Buffer, clientPub: Buffer, cookie: Buffer = Buffer.alloc(0)): Buffer {
  return encodePacket({ type: 'hello', connId, pn: 0, clientPub, cookie });
}

/** Types of the datagrams a peer received from index `from` on. */
function typesSince(peer: RawPeer, from: number): string[] {
  return peer.received.slice(from).map((d) => { try { return decodeHeader(d).type; } catch { return 'garbage'; } });
}

/** Sends one datagram and waits for the one reply it should get. */
async function ask(peer: RawPeer, d: Buffer): Promise<Buffer> {
  const n = peer.received.length;
  await peer.send(d);
  await waitFor(() => peer.received.length > n, 5000, 'a reply');
  return peer.received[n]!;
}

test('an address that never echoes a cookie gets back at most 3× the bytes it sent and never a SERVER_HELLO', async () => {
  const { server, port } = await startServer(join(dir, 'amp', 'server'), { password: SECRET_PASSWORD });
  cleanup.push(() => server.stop());
  const rng = new Rng(0xa3f1);
  // Short garbage first: random bytes, truncated HELLOs, SEALED headers with unknown connection ids.
  const garbage: Buffer[] = [];
  for (let i = 0; i < 300; i++) {
    garbage.push(rng.bytes(rng.range(1, 120)));
    garbage.push(hello(rng.bytes(8), rng.bytes(32)).subarray(0, rng.range(16, 200)));
    const sealed = Buffer.alloc(16 + rng.range(0, 100));
    writeHeader(sealed, 'sealed', rng.bytes(8), rng.range(0, 1000));
    rng.bytes(sealed.length - 16).copy(sealed, 16);
    garbage.push(sealed);
  }
  const hellos = Array.from({ length: 300 }, () => hello(rng.bytes(8), rng.bytes(32)));
  const shortPeer = await RawPeer.open(port);
  const mixedPeer = await RawPeer.open(port);
  cleanup.push(() => shortPeer.close(), () => mixedPeer.close());
  await sendPaced(server, garbage, (d) => shortPeer.send(d));
  const mixed = hellos.flatMap((h, i) => [h, garbage[i]!]);
  await sendPaced(server, mixed, (d) => mixedPeer.send(d));
  await sleep(500);
  for (const [name, peer] of [['garbage only', shortPeer], ['HELLOs and garbage', mixedPeer]] as const) {
    console.log(`  ${name}: sent ${peer.bytesSent} B in ${name === 'garbage only' ? garbage.length : mixed.length} datagrams, got back ${peer.bytesReceived} B in ${peer.received.length} (×${(peer.bytesReceived / peer.bytesSent).toFixed(3)})`);
    assert.ok(peer.bytesReceived <= 3 * peer.bytesSent, `${name}: ${peer.bytesReceived} B back for ${peer.bytesSent} B sent`);
    assert.not.ok(typesSince(peer, 0).includes('server_hello'), `${name}: no SERVER_HELLO without a cookie`);
  }
  assert.is(typesSince(mixedPeer, 0).filter((t) => t === 'retry').length, hellos.length, 'each cookieless HELLO gets one RETRY');
  assert.is(server.stats().connections, 0, 'no connection was set up');
});

test('a HELLO with a forged, foreign or stale-key cookie gets no SERVER_HELLO; the cookie echoed by its owner does', async () => {
  const { server, port } = await startServer(join(dir, 'cookie', 'server'), { password: SECRET_PASSWORD });
  cleanup.push(() => server.stop());
  const owner = await RawPeer.open(port);
  const other = await RawPeer.open(port);
  cleanup.push(() => owner.close(), () => other.close());
  const rng = new Rng(0xc00c);
  const connId = rng.bytes(8);
  const pub = makeEphemeral().publicRaw;
  const retry = decodePacket(await ask(owner, hello(connId, pub)));
  assert.is(retry.type, 'retry');
  const cookie = (retry as Extract<typeof retry, { type: 'retry' }>).cookie;

  const forged = Buffer.concat([cookie.subarray(0, 1), rng.bytes(cookie.length - 1)]);
  const flipped = Buffer.from(cookie);
  flipped[cookie.length - 1] = flipped[cookie.length - 1]! ^ 1;
  const cases: Array<[string, RawPeer, Buffer]> = [
    ['forged cookie', owner, hello(connId, pub, forged)],
    ['cookie with one bit flipped', owner, hello(connId, pub, flipped)],
    ['cookie from another address', other, hello(connId, pub, cookie)],
    ['cookie made for another key share', owner, hello(connId, makeEphemeral().publicRaw, cookie)],
  ];
  for (const [what, peer, datagram] of cases) {
    const reply = await ask(peer, datagram);
    assert.is(decodeHeader(reply).type, 'retry', `${what}: answered with a new cookie, not a session`);
  }
  await sleep(300);
  assert.not.ok([...typesSince(owner, 0), ...typesSince(other, 0)].includes('server_hello'), 'no SERVER_HELLO for a bad cookie');
  assert.is(server.stats().dropped.bad_cookie, cases.length, 'each bad cookie is counted');
  // Control: the same cookie from its owner, with its key share, opens a session.
  const reply = await ask(owner, hello(connId, pub, cookie));
  assert.is(reply[1], PacketType.SERVER_HELLO, 'the echoed cookie gets a SERVER_HELLO');
});

test.run();
