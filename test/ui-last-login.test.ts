// The remembered last login.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAST_LOGIN_FILE, loadLastLogin, saveLastLogin } from '../lib/ui/last-login.ts';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'obrolan-last-login-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('saves host, port and username and reads them back', () => withDir(async (dir) => {
  await saveLastLogin(dir, { host: '192.168.1.5', port: 7447, username: 'alice' });
  assert.equal(await loadLastLogin(dir), { host: '192.168.1.5', port: 7447, username: 'alice' });
}));

test('never writes a password, even when handed one', () => withDir(async (dir) => {
  await saveLastLogin(dir, { host: 'h', port: 1, username: 'u', password: 'hunter2' } as never);
  const text = await readFile(join(dir, LAST_LOGIN_FILE), 'utf8');
  assert.not.ok(text.includes('hunter2'));
  assert.equal(JSON.parse(text), { host: 'h', port: 1, username: 'u' });
  assert.is((await stat(join(dir, LAST_LOGIN_FILE))).mode & 0o077, 0, 'readable by the owner only');
}));

test('a missing, torn or odd file reads as nothing instead of failing', () => withDir(async (dir) => {
  assert.is(await loadLastLogin(dir), undefined);
  for (const bad of ['{"host": "h", "po', 'null', '[]', '{"host":"h","port":99999,"username":"u"}', '{"host":1,"port":1,"username":"u"}']) {
    await writeFile(join(dir, LAST_LOGIN_FILE), bad);
    assert.is(await loadLastLogin(dir), undefined, bad);
  }
}));

test('creates the history dir when it does not exist yet', () => withDir(async (dir) => {
  const nested = join(dir, 'a', 'b');
  await saveLastLogin(nested, { host: 'h', port: 2, username: 'u' });
  assert.equal(await loadLastLogin(nested), { host: 'h', port: 2, username: 'u' });
}));

test.run();
