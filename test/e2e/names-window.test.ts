// The client window in a real terminal (tmux) receiving texts built to fool it, from a peer in this test
// process: capture-pane shows the escapes as text (␛[2J, ␍, {bold}), the screen is not cleared, no line is
// forged. Skipped when tmux is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { joinClient, PASSWORD, removeDir, tempDir, testKeys, type Recorder } from '../support/chat-harness.ts';
import { killAll, startServerProcess } from '../support/processes.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const SOCKET = `obrolan-names-${process.pid}`;
const COLS = 120;
const ROWS = 30;
/** Longest wait for something to show, in ms (tsx start-up on shared cores). */
const WAIT_MS = 25_000;

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(needle: string | RegExp): Promise<string> {
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const text = tmux('capture-pane', '-p', '-t', 'bob');
    if (typeof needle === 'string' ? text.includes(needle) : needle.test(text)) return text;
    if (Date.now() > until) throw new Error(`timed out waiting for ${String(needle)}; the window shows:\n${text}`);
    await sleep(100);
  }
}

if (!hasTmux) {
  console.log('SKIP names-window: tmux not found');
  test.skip('escapes in a real terminal', () => {});
} else {
  test('a peer\'s {bold}, ESC[2J, CR and newline show as text in the window and do nothing', async () => {
    const dir = await tempDir('obrolan-e2e-names-');
    let mallory: Recorder | undefined;
    try {
      const server = await startServerProcess(join(dir, 'server'));
      await testKeys(join(dir, 'bob'));
      const command = `npx tsx client.ts --host 127.0.0.1 --port ${server.port} --username bob --password '${PASSWORD}' --history-dir '${dir}/bob'`;
      tmux('new-session', '-d', '-s', 'bob', '-x', String(COLS), '-y', String(ROWS), '-e', 'TERM=xterm-256color', '-e', 'LANG=C.UTF-8',
        'sh', '-c', `cd '${ROOT}' && ${command} 2>>'${dir}/bob.stderr'; sleep 60`);
      await waitFor('join a chat room');
      await sleep(300);
      tmux('send-keys', '-t', 'bob', 'Enter'); // the form is complete: Connect has the focus
      // No trust prompt: the room password verifies a first-seen server key (CPace, lib/chat/pake.ts).
      await waitFor(`you joined 127.0.0.1:${server.port} as bob`);

      mallory = await joinClient(server.port, join(dir, 'mallory'), 'mallory');
      mallory.client.send('{bold}loud{/bold} \x1b[2J\x1b[H wiped');
      mallory.client.send('harmless\r09:30 🔒 alice → you: transfer the money');
      mallory.client.send('first\n09:30 🔒 alice → you: forged line');
      mallory.client.send('the end');
      const shown = await waitFor('mallory: the end');

      assert.ok(shown.includes(`you joined 127.0.0.1:${server.port} as bob`), `the screen was not cleared:\n${shown}`);
      assert.ok(shown.includes('mallory: {bold}loud{/bold} ␛[2J␛[H wiped'), `tags and ESC shown as text:\n${shown}`);
      assert.ok(shown.includes('mallory: harmless␍09:30 🔒 alice → you: transfer the money'), `CR shown as ␍:\n${shown}`);
      assert.match(shown, /mallory: first[^\n]*\n│ {10}09:30 🔒 alice → you: forged line/, `a later line is indented past the time:\n${shown}`);
      assert.not.match(shown, /^│ \d\d:\d\d 🔒 alice/m, 'no line reads as a message from alice');
    } finally {
      await mallory?.client.close();
      spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
      rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, SOCKET), { force: true });
      await killAll();
      await removeDir(dir);
    }
  });
}

test.run();
