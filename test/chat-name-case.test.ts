// A name taken in another case says why: names ignore case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChatServer } from '../lib/chat/server.ts';
import { joinClient, removeDir, startServer, tempDir, type Recorder } from './support/chat-harness.ts';

const dirs: string[] = [];
let server: ChatServer | undefined;
const recorders: Recorder[] = [];
test.after(async () => {
  for (const r of recorders) await r.client.close().catch(() => {});
  await server?.stop();
  for (const d of dirs) await removeDir(d);
});

test('"Alice" when alice is here is refused, naming alice and saying that names ignore case', async () => {
  const dir = await tempDir();
  dirs.push(dir);
  const started = await startServer(dir);
  server = started.server;
  recorders.push(await joinClient(started.port, dir, 'alice'));
  const err = await joinClient(started.port, dir, 'Alice').then(() => undefined, (e: Error & { code?: string }) => e);
  assert.is(err?.code, 'name_taken');
  assert.is(err?.message, 'the name Alice is taken (by alice: names ignore case) — pick another');
});

test.run();
