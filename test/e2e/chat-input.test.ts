// The chat window's input in a real terminal (tmux): nothing typed is lost. Keys that arrive in one read
// with Enter, a Tab, a click, a paste, a resize; a line-mode client (--json) checks what the room received.
// Skipped when tmux is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORD } from '../support/chat-harness.ts';
import { killAll, ROOT, startLineClient, startServerProcess, type Child } from '../support/processes.ts';
import { exitCode, hasTmux, sleep, Tmux } from '../support/tmux.ts';

const COLS = 100;
const ROWS = 30;

interface Room { tmux: Tmux; dir: string; port: number; budi: Child; exitFile: string }

/** Texts budi received from alice, in order. */
function texts(budi: Child): string[] {
  return budi.ofType('message').filter((e) => e.from === 'alice').map((e) => String(e.text));
}

async function received(budi: Child, text: string, ms = 15_000): Promise<number> {
  const e = await budi.waitForEvent((ev) => ev.type === 'message' && ev.from === 'alice' && ev.text === text, ms, `budi receives ${JSON.stringify(text.slice(0, 40))}`);
  return budi.lineTimes[budi.lines.findIndex((l) => l.includes(String(e.id)))]!;
}

/** A headless server, budi in line mode, and alice's window in tmux, logged in. */
async function openRoom(): Promise<Room> {
  const dir = await mkdtemp(join(tmpdir(), 'obrolan-input-'));
  const tmux = new Tmux(ROOT);
  const { port } = await startServerProcess(join(dir, 'srv'));
  const exitFile = join(dir, 'alice.exit');
  tmux.start('alice', `npx tsx client.ts --host 127.0.0.1 --port ${port} --username alice --password '${PASSWORD}' --history-dir '${dir}/alice'`, exitFile, COLS, ROWS);
  const budi = await startLineClient({ port, username: 'budi', historyDir: join(dir, 'budi') });
  await tmux.waitFor('alice', 'join a chat room');
  tmux.send('alice', 'Enter'); // complete form: Connect has the focus
  const shown = await tmux.waitFor('alice', /Trust this server\?|you joined/);
  if (shown.includes('Trust this server?')) tmux.send('alice', 'y');
  await tmux.waitFor('alice', `you joined 127.0.0.1:${port} as alice`);
  await tmux.waitFor('alice', /Users \(2\)/);
  return { tmux, dir, port, budi, exitFile };
}

if (!hasTmux) {
  console.log('SKIP chat-input: tmux not found');
  test.skip('chat input in tmux', () => {});
} else {
  let r: Room;
  test.before(async () => {
    r = await openRoom();
  });
  test.after(async () => {
    r?.tmux.close();
    await killAll();
    if (r) await rm(r.dir, { recursive: true, force: true });
  });

  test('two lines typed in one read are both sent', async () => {
    r.tmux.send('alice', 'one', 'Enter', 'two', 'Enter');
    await received(r.budi, 'one');
    await received(r.budi, 'two');
  });

  test('a bracketed three-line paste is one message; an unbracketed one is three', async () => {
    r.tmux.paste('alice', 'first\nsecond\nthird');
    r.tmux.send('alice', 'Enter');
    await received(r.budi, 'first\nsecond\nthird');
    r.tmux.paste('alice', 'p1\np2\np3\n', false);
    await received(r.budi, 'p3');
    assert.equal(texts(r.budi).slice(-3), ['p1', 'p2', 'p3']);
  });

  test('Tab does not move the focus to [Send]: the rest of the line stays in the input', async () => {
    r.tmux.send('alice', 'hello', 'Tab', ' world', 'Enter');
    await received(r.budi, 'hello world');
  });

  test('a click in the message pane or the users pane does not take the keyboard', async () => {
    await r.tmux.clickAt('alice', 10, 5);
    r.tmux.send('alice', 'after a click', 'Enter');
    await received(r.budi, 'after a click');
    await r.tmux.clickAt('alice', COLS - 5, ROWS - 10);
    r.tmux.send('alice', 'after a users click', 'Enter');
    await received(r.budi, 'after a users click');
  });

  test('a long paste goes in at once: no slower than a few round trips of a short line', async () => {
    let t0 = Date.now();
    r.tmux.send('alice', 'short', 'Enter');
    const baseline = (await received(r.budi, 'short')) - t0;
    const long = 'x'.repeat(4_000) + 'END';
    t0 = Date.now();
    r.tmux.paste('alice', long);
    r.tmux.send('alice', 'Enter');
    const took = (await received(r.budi, long)) - t0;
    assert.ok(took < Math.max(3 * baseline, baseline + 1_500), `a 4,000-character paste took ${took} ms (a short line ${baseline} ms)`);
  });

  test('after a resize the message pane still shows the newest line, at its bottom', async () => {
    for (let i = 1; i <= 40; i++) r.budi.writeLine(`filler ${i} ${'word '.repeat(i % 7)}`);
    r.budi.writeLine('newest');
    await r.tmux.waitFor('alice', /budi: newest/);
    for (const [cols, rows] of [[80, 24], [COLS, ROWS]] as const) {
      r.tmux.resize('alice', cols, rows);
      await sleep(700);
      const lines = r.tmux.screen('alice').split('\n');
      const bottom = lines.findIndex((l, i) => i > 0 && l.startsWith('└'));
      assert.ok(bottom > 0, `the message pane is drawn at ${cols}×${rows}:\n${lines.join('\n')}`);
      assert.match(lines[bottom - 1]!, /budi: newest/, `the newest line sits at the bottom at ${cols}×${rows}:\n${lines.join('\n')}`);
    }
  });

  test('editing like weechat: cursor moves, middle inserts, Ctrl-W, Up, Tab, Alt-Enter and a paste send exactly what was meant', async () => {
    const t = r.tmux;
    const from = texts(r.budi).length;
    const steps: Array<() => void> = [
      () => { t.type('alice', 'helo world'); t.send('alice', 'Home', 'Right', 'Right', 'Right'); t.type('alice', 'l'); t.send('alice', 'End', 'Enter'); },
      () => { t.type('alice', 'good morning everyone'); t.send('alice', 'C-w'); t.type('alice', 'all'); t.send('alice', 'Enter'); },
      () => { t.send('alice', 'Up', 'Up'); t.type('alice', '!'); t.send('alice', 'Enter'); },
      () => { t.type('alice', 'bu'); t.send('alice', 'Tab'); t.type('alice', 'hi'); t.send('alice', 'Enter'); },
      () => { t.type('alice', 'line one'); t.send('alice', 'M-Enter'); t.type('alice', 'line two'); t.send('alice', 'Enter'); },
      () => { t.paste('alice', 'a\nb\nc'); t.send('alice', 'Enter'); },
      () => { t.type('alice', 'there hi'); t.send('alice', 'M-b', 'C-k', 'C-a', 'C-y'); t.type('alice', ' '); t.send('alice', 'C-e', 'BSpace', 'Enter'); },
      () => { t.type('alice', '漢字'); t.send('alice', 'Left'); t.type('alice', 'x'); t.send('alice', 'Enter'); },
      () => { t.type('alice', 'ab👨‍👩‍👧'); t.send('alice', 'Left', 'BSpace', 'Enter'); },
    ];
    const expected = ['hello world', 'good morning all', 'hello world!', 'budi: hi', 'line one\nline two', 'a\nb\nc', 'hi there', '漢x字', 'a👨‍👩‍👧'];
    for (const [i, step] of steps.entries()) {
      step();
      await received(r.budi, expected[i]!);
    }
    assert.equal(texts(r.budi).slice(from), expected);
  });

  test('/quit closes the window with exit code 0', async () => {
    r.tmux.send('alice', '/quit', 'Enter');
    assert.is(await exitCode(r.exitFile), 'EXIT=0');
  });
}

test.run();
