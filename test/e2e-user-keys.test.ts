// Each user name has its own end-to-end keys inside one history folder; keys an older version kept for
// the whole folder stay with the first user who starts after the upgrade.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateClientKeys, loadOrCreateUserKeys, userKeysDir } from '../lib/e2e/keys.ts';
import { removeDir, tempDir } from './support/chat-harness.ts';

const TEST_BITS = 2048;
const dirs: string[] = [];
test.after(async () => {
  for (const d of dirs) await removeDir(d);
});

async function dir(): Promise<string> {
  const d = await tempDir('obrolan-user-keys-');
  dirs.push(d);
  return d;
}

test('two people sharing a folder get identities of their own; a name in another case is the same person', async () => {
  const d = await dir();
  const alice = await loadOrCreateUserKeys(d, 'alice', undefined, TEST_BITS);
  const bob = await loadOrCreateUserKeys(d, 'bob', undefined, TEST_BITS);
  assert.is.not(alice.fingerprint, bob.fingerprint);
  assert.is((await loadOrCreateUserKeys(d, 'ALICE', undefined, TEST_BITS)).fingerprint, alice.fingerprint);
  assert.ok(userKeysDir(d, '../../etc').startsWith(join(d, 'users')), 'any name stays inside the folder');
});

test('the folder-wide keys of an earlier version move to the first user, who keeps that identity', async () => {
  const d = await dir();
  const old = await loadOrCreateClientKeys(d, undefined, TEST_BITS); // <d>/keys/client-*.pem
  const first = await loadOrCreateUserKeys(d, 'budi', undefined, TEST_BITS);
  assert.is(first.fingerprint, old.fingerprint);
  assert.not.ok(existsSync(join(d, 'keys', 'client-enc.pem')), 'moved, not copied');
  const second = await loadOrCreateUserKeys(d, 'citra', undefined, TEST_BITS);
  assert.is.not(second.fingerprint, old.fingerprint);
});

test.run();
