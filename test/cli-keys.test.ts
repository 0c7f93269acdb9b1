// Key trust in line mode (issue 15): a user whose keys changed is refused encrypted messages with
// key_changed until /verify NAME yes (or /trust NAME); /verify shows both fingerprints and the safety number.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { removeDir, tempDir, testKeys } from './support/chat-harness.ts';
import { type Child, killAll, startLineClient, startServerProcess, type ServerChild } from './support/processes.ts';

const EVENT_MS = 20_000;
let dir = '';
let server: ServerChild;

test.before(async () => {
  dir = await tempDir('obrolan-cli-keys-');
  server = await startServerProcess(join(dir, 'server'));
});
test.after(async () => {
  await killAll();
  await removeDir(dir);
});

async function client(name: string, home: string): Promise<Child> {
  await testKeys(join(dir, home));
  return startLineClient({ port: server.port, username: name, historyDir: join(dir, home) });
}

test('a changed key is refused with key_changed until /verify NAME yes; /verify shows the safety number', async () => {
  const ani = await client('ani', 'ani');
  const budi = await client('budi', 'budi-laptop');
  await ani.waitForEvent((e) => e.type === 'join' && e.user === 'budi', EVENT_MS, 'ani sees budi');
  budi.writeLine('/quit');
  await ani.waitForEvent((e) => e.type === 'leave' && e.user === 'budi', EVENT_MS, 'budi leaves');
  const other = await client('budi', 'budi-other');
  await ani.waitForEvent((e) => e.type === 'warning' && String(e.message).includes('keys of budi changed'), EVENT_MS, 'ani is told');
  let mark = ani.events.length;
  ani.writeLine('/enc rahasia');
  const refused = await ani.waitForEvent((e) => e.type === 'error', EVENT_MS, 'refused', mark);
  assert.is(refused.code, 'key_changed');
  mark = ani.events.length;
  ani.writeLine('/msg budi rahasia');
  assert.is((await ani.waitForEvent((e) => e.type === 'error', EVENT_MS, 'refused dm', mark)).code, 'key_changed');
  ani.writeLine('/verify budi');
  const v = await ani.waitForEvent((e) => e.type === 'verify', EVENT_MS, 'verify');
  assert.is(v.state, 'changed');
  assert.match(String(v.safetyNumber), /^(\d{5} ){11}\d{5}$/);
  assert.is.not(v.mine, v.theirs);
  ani.writeLine('/verify budi yes');
  const t = await ani.waitForEvent((e) => e.type === 'trust', EVENT_MS, 'verified');
  assert.is(t.state, 'verified');
  ani.writeLine('/enc sekarang boleh');
  const got = await other.waitForEvent((e) => e.type === 'message' && e.from === 'ani', EVENT_MS, 'budi reads it');
  assert.is(got.text, 'sekarang boleh');
  assert.is(got.encrypted, true);
});

test.run();
