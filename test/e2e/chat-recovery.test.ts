// The chat window in a real terminal (tmux) when the server goes away: it asks the new password after a
// restart with another one (and lists nobody else meanwhile), /reconnect works, and /quit with unsent
// messages asks, keeps them on disk and the next run sends them. Skipped when tmux is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORD } from '../support/chat-harness.ts';
import { killAll, ROOT, spawnScript, startLineClient, startServerProcess, waitListening, type Child } from '../support/processes.ts';
import { exitCode, hasTmux, Tmux } from '../support/tmux.ts';

const NEW_PASSWORD = 'a new password';

async function restartServer(srv: Child, dir: string, port: number, password: string): Promise<Child> {
  srv.signal('SIGTERM');
  await srv.waitExit(10_000);
  // The restarted server holds the names of those online at the stop for a while (their resume); the
  // person here comes back as a new run, as someone would after that while.
  await rm(join(dir, 'online.json'), { force: true });
  const child = spawnScript('server.ts', ['--headless', '--json', '--host', '127.0.0.1', '--port', String(port),
    '--password', password, '--history-dir', dir], {}, 'server');
  return (await waitListening(child)).child;
}

async function openWindow(tmux: Tmux, session: string, port: number, dir: string, password: string): Promise<string> {
  const exitFile = join(dir, `${session}-${Date.now()}.exit`);
  tmux.start(session, `npx tsx client.ts --host 127.0.0.1 --port ${port} --username alice --password '${password}' --history-dir '${dir}/alice'`, exitFile);
  await tmux.waitFor(session, 'join a chat room');
  tmux.send(session, 'Enter');
  const shown = await tmux.waitFor(session, /Trust this server\?|you joined/);
  if (shown.includes('Trust this server?')) tmux.send(session, 'y');
  await tmux.waitFor(session, `you joined 127.0.0.1:${port} as alice`);
  return exitFile;
}

if (!hasTmux) {
  console.log('SKIP chat-recovery: tmux not found');
  test.skip('chat recovery in tmux', () => {});
} else {
  test('a new server password is asked in a dialog, /reconnect works, unsent messages survive /quit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'obrolan-recovery-'));
    const tmux = new Tmux(ROOT);
    try {
      const srvDir = join(dir, 'srv');
      let { child: srv, port } = await startServerProcess(srvDir);
      const budi = await startLineClient({ port, username: 'budi', historyDir: join(dir, 'budi') });
      const firstExit = await openWindow(tmux, 'alice', port, dir, PASSWORD);
      await tmux.waitFor('alice', /Users \(2\)/);

      // 3. The server restarts with another password: the window asks for it, listing nobody else meanwhile.
      srv = await restartServer(srv, srvDir, port, NEW_PASSWORD);
      const asked = await tmux.waitFor('alice', 'Type the room password');
      assert.match(asked, /Users \(1\)/, 'budi is not listed while alice is disconnected');
      tmux.send('alice', NEW_PASSWORD, 'Enter');
      await tmux.waitFor('alice', /— +reconnected/);
      tmux.send('alice', '/reconnect', 'Enter');
      await tmux.waitFor('alice', /reconnecting to[\s\S]*— +reconnected[\s\S]*— +reconnected/);

      // 2. /quit with a message the server has not stored: asked, kept on disk, sent by the next run.
      srv.signal('SIGTERM');
      await srv.waitExit(10_000);
      tmux.send('alice', 'kept for later', 'Enter');
      await tmux.waitFor('alice', /alice: kept for later …/);
      tmux.send('alice', '/quit', 'Enter');
      await tmux.waitFor('alice', 'Messages not sent yet');
      tmux.send('alice', 'y');
      assert.is(await exitCode(firstExit), 'EXIT=0');
      srv = await restartServer(srv, srvDir, port, NEW_PASSWORD);
      await openWindow(tmux, 'alice2', port, dir, NEW_PASSWORD);
      await tmux.waitFor('alice2', 'message(s) not sent last time');
      // ✓: the server stored it (and fanned it out); the first run's window never sent it.
      await tmux.waitFor('alice2', /alice: kept for later ✓/);
    } finally {
      tmux.close();
      await killAll();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test.run();
