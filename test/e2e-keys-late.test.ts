// A first start joins without keys while the keys made ahead are not done, then gives them (`mykeys`): the
// others hear them in a `keys` presence event (no second join), and encrypted messages reach it both ways.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChatClient } from '../lib/chat/client.ts';
import { CLIENT_RSA_BITS } from '../lib/constants.ts';
import { loadOrCreateUserKeys, userKeysDir } from '../lib/e2e/keys.ts';
import { KeysAhead } from '../lib/e2e/keys-ahead.ts';
import { generateRsaKeyPair, keyPairFrom, type RsaKeyPair } from '../lib/keyfile.ts';
import { joinClient, PASSWORD, Recorder, removeDir, startServer, tempDir, testKeys, waitFor } from './support/chat-harness.ts';

let dir = '';
const stops: Array<() => Promise<void>> = [];
test.before(async () => { dir = await tempDir('obrolan-keys-late-'); });
test.after(async () => {
  for (const s of stops.reverse()) await s().catch(() => {});
  await removeDir(dir);
});

test('joins at once without keys, gives the keys made ahead when done; the room then reads and writes with it', async () => {
  const { server, port } = await startServer(join(dir, 'server'));
  const clients: ChatClient[] = [];
  stops.push(async () => { for (const c of clients) await c.close(); await server.stop(); });
  const ani = await joinClient(port, join(dir, 'ani'), 'ani');
  clients.push(ani.client);
  await ani.client.sendEncrypted('before dewi'); // ani is an active sender: her key must reach dewi once dewi has keys
  await waitFor(() => ani.delivered.length === 1, 10_000, 'first message stored');

  // The pairs made ahead are held back until the test lets them go.
  const pairs = [generateRsaKeyPair(CLIENT_RSA_BITS), generateRsaKeyPair(CLIENT_RSA_BITS)]; // the client's size: another is not taken
  let release = (): void => {};
  const gate = new Promise<void>((r) => { release = r; });
  let n = 0;
  const ahead = new KeysAhead(CLIENT_RSA_BITS, () => { const p = pairs[n++]!; return gate.then(() => p); }, false);
  const dewiDir = join(dir, 'dewi');
  const client = new ChatClient({ host: '127.0.0.1', port, historyDir: dewiDir, keysAhead: ahead });
  clients.push(client);
  const dewi = new Recorder(client);
  await client.connect();
  await client.authenticate(PASSWORD);
  await client.join('dewi'); // does not wait for the keys
  assert.is(client.myFingerprint, '');
  await waitFor(() => ani.joins.includes('dewi'), 5000, 'dewi announced');
  assert.is(ani.client.e2e.state('dewi'), 'unknown');
  assert.is(server.users().find((u) => u.name === 'dewi')?.keys, '');

  release();
  const [enc, sig] = await Promise.all(pairs) as [RsaKeyPair, RsaKeyPair];
  await waitFor(() => server.users().find((u) => u.name === 'dewi')?.keys !== '', 5000, 'dewi gave keys');
  await waitFor(() => ani.client.e2e.state('dewi') === 'new', 5000, 'ani heard dewi\'s keys');
  assert.ok(client.myFingerprint.startsWith('SHA256:'));
  assert.is(server.users().find((u) => u.name === 'dewi')?.keys, client.myFingerprint);
  const saved = join(userKeysDir(dewiDir, 'dewi'), 'keys');
  assert.is(keyPairFrom(createPrivateKey(await readFile(join(saved, 'client-enc.pem'), 'utf8'))).fingerprint, enc.fingerprint, 'the pair made ahead is saved');
  assert.is(keyPairFrom(createPrivateKey(await readFile(join(saved, 'client-sig.pem'), 'utf8'))).fingerprint, sig.fingerprint);
  assert.equal(ani.joins.filter((u) => u === 'dewi'), ['dewi'], 'keys are not a second join');

  await ani.client.sendEncrypted('to everyone, dewi too');
  await waitFor(() => dewi.messages.some((m) => m.text === 'to everyone, dewi too'), 10_000, 'dewi reads ani');
  await client.sendEncrypted('dewi writes back');
  await waitFor(() => ani.messages.some((m) => m.text === 'dewi writes back'), 10_000, 'ani reads dewi');
  await client.sendDirect('ani', 'just to ani');
  await waitFor(() => ani.messages.some((m) => m.text === 'just to ani'), 10_000, 'ani reads dewi\'s direct message');
  assert.equal(dewi.errors, []);
  assert.equal(ani.errors, []);

  // Keys are given once a session: a second mykeys (other keys) is refused, and the first ones stay.
  const fp = client.myFingerprint;
  (client as unknown as { sendRaw(m: unknown): void }).sendRaw({ t: 'mykeys', keys: (await testKeys(join(dir, 'ani'))).bundle }); // well-formed, but a second time
  await waitFor(() => dewi.errors.some((e) => e.code === 'bad_keys'), 5000, 'second mykeys refused');
  assert.is(server.users().find((u) => u.name === 'dewi')?.keys, fp);
});

test('keys started when the window opened: a join that comes first waits for them and carries them', async () => {
  const { server, port } = await startServer(join(dir, 'server2'));
  const pairs = [generateRsaKeyPair(CLIENT_RSA_BITS), generateRsaKeyPair(CLIENT_RSA_BITS)];
  let n = 0;
  let released = false;
  const ahead = new KeysAhead(CLIENT_RSA_BITS, () => { const p = pairs[n++]!; return Promise.all(pairs).then(() => new Promise((r) => setTimeout(r, 300))).then(() => { released = true; return p; }); });
  assert.not.ok(ahead.joinFirst);
  const client = new ChatClient({ host: '127.0.0.1', port, historyDir: join(dir, 'eka'), keysAhead: ahead });
  stops.push(async () => { await client.close(); await server.stop(); });
  await client.connect();
  await client.authenticate(PASSWORD);
  await client.join('eka');
  assert.ok(released, 'the join waited for the keys');
  assert.is(server.users().find((u) => u.name === 'eka')?.keys, client.myFingerprint, 'and carried them');
  assert.is(client.myFingerprint, (await loadOrCreateUserKeys(join(dir, 'eka'), 'eka')).fingerprint, 'the saved keys are the ones in use');
});

test.run();
