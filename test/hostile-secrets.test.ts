// Secrets at rest in the server: the room password is not kept in the options the server holds (nor
// shown by inspecting, logging or serialising it), and server.pem is made 0600 when found readable by others.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadOrCreateKeyPair } from '../lib/keyfile.ts';
import { RoomPassword } from '../lib/chat/room-password.ts';
import { removeDir, startServer, tempDir } from './support/chat-harness.ts';

const SECRET = 'kata sandi rahasia 42';

test('the server keeps the password out of its options, its stats and anything printed about it', async () => {
  const dir = await tempDir('obrolan-hostile-secrets-');
  const { server } = await startServer(join(dir, 'server'), { password: SECRET });
  try {
    const opts = (server as unknown as { opts: Record<string, unknown> }).opts;
    assert.is(opts.password, undefined, 'not in the options it keeps');
    assert.not.ok(inspect(server, { depth: 6 }).includes(SECRET), 'inspect shows no password');
    assert.not.ok(JSON.stringify(server.stats()).includes(SECRET));
    assert.not.ok(JSON.stringify(opts).includes(SECRET));
  } finally {
    await server.stop();
    await removeDir(dir);
  }
});

test('the password holder gives the password to the login code only', () => {
  const p = new RoomPassword(SECRET);
  assert.is(p.reveal(), SECRET);
  for (const shown of [String(p), JSON.stringify({ p }), inspect(p), `${p}`]) assert.not.ok(shown.includes(SECRET), shown);
});

test('an existing server.pem readable by others is made 0600 when loaded', async () => {
  if (process.platform === 'win32') return;
  const dir = await tempDir('obrolan-hostile-pem-');
  try {
    const path = join(dir, 'keys', 'server.pem');
    await loadOrCreateKeyPair(path, 2048);
    assert.is((await stat(path)).mode & 0o777, 0o600, 'made 0600');
    await chmod(path, 0o644);
    await loadOrCreateKeyPair(path, 2048);
    assert.is((await stat(path)).mode & 0o777, 0o600, 'tightened back to 0600');
  } finally {
    await removeDir(dir);
  }
});

test.run();
