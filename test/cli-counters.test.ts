// `server.ts --headless` prints its counters on SIGUSR1 (and every minute), as text and as JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { killAll, startServerProcess } from './support/processes.ts';
import { removeDir, tempDir } from './support/chat-harness.ts';

const dirs: string[] = [];
test.after(async () => {
  await killAll();
  for (const d of dirs) await removeDir(d);
});

test('SIGUSR1 makes the headless server print a counters line with retransmissions and drops', async () => {
  const dir = await tempDir();
  dirs.push(dir);
  const { child } = await startServerProcess(dir);
  child.signal('SIGUSR1');
  const e = await child.waitForEvent((ev) => ev.type === 'counters', 10_000, 'a counters line');
  assert.match(String(e.text), /^counters: users 0, connections 0, messages 0, datagrams in \d+ out \d+, retransmits 0, dropped none$/);
  const stats = e.stats as Record<string, unknown>;
  assert.is(stats.retransmits, 0);
  child.signal('SIGTERM');
  assert.is((await child.waitExit(10_000)).code, 0);
});

test.run();
