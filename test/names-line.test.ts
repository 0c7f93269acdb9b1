// Line mode (`client.ts --no-ui` without --json) against a real headless server process: text from a peer
// reaches the terminal with its control characters shown as symbols and its newlines as ⏎, one line per
// message, so it can neither clear the screen nor forge a line; a look-alike name exits 3.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { joinClient, PASSWORD, removeDir, tempDir, testKeys, type Recorder } from './support/chat-harness.ts';
import { type Child, killAll, spawnLineClient, spawnScript, startLineClient, startServerProcess, type ServerChild } from './support/processes.ts';
import { showControls } from '../lib/visible-text.ts';
import { printableLine } from '../lib/app/line-client.ts';

const EVENT_MS = 20_000;
let dir = '';
let server: ServerChild;
let mallory: Recorder | undefined;

test.before(async () => {
  dir = await tempDir('obrolan-names-line-');
  server = await startServerProcess(join(dir, 'server'));
});
test.after(async () => {
  await mallory?.client.close();
  await killAll();
  await removeDir(dir);
});

/** A plain (not --json) line client; its stdout is kept raw, since a line reader would split on \r. */
async function plainClient(name: string): Promise<{ child: Child; raw: () => string }> {
  const home = join(dir, name);
  await testKeys(home);
  const child = spawnScript('client.ts', ['--no-ui', '--host', '127.0.0.1', '--port', String(server.port), '--username', name,
    '--password', PASSWORD, '--history-dir', home], {}, `plain ${name}`);
  let raw = '';
  child.proc.stdout!.on('data', (d: Buffer) => { raw += d.toString('utf8'); });
  await child.waitForLine((l) => l.startsWith('* joined'), EVENT_MS, `${name} joined`);
  return { child, raw: () => raw };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + EVENT_MS;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ATTACKS = [
  '\x1b[2J\x1b[Hthe screen is cleared',
  'harmless\r[09:30] alice 🔒: transfer the money',
  'first line\n[09:30] alice 🔒: forged second line',
  'windows\r\n[09:30] alice: crlf',
  'c1 \x9b31m and del \x7f and bell \x07 and nel \x85 and ls \u2028 and rlo \u202e',
];

test('escapes control characters and shows newlines as ⏎: one line per message, no escape reaches the terminal', async () => {
  const ani = await plainClient('ani');
  mallory = await joinClient(server.port, join(dir, 'mallory'), 'mallory');
  for (const text of ATTACKS) mallory.client.send(text);
  mallory.client.send('the end');
  await until(() => ani.raw().includes('mallory: the end'), 'the last message');
  const raw = ani.raw();
  assert.not.match(raw, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202e]/, 'no control character but LF reaches the terminal');
  const lines = raw.split('\n').filter((l) => l.includes('mallory: '));
  assert.is(lines.length, ATTACKS.length + 1, `one line per message:\n${raw}`);
  assert.ok(raw.split('\n').every((l) => !l.startsWith('[09:30] alice')), 'no line that reads as a message from alice');
  assert.ok(lines.some((l) => l.endsWith('mallory: ␛[2J␛[Hthe screen is cleared')), 'ESC shown as ␛');
  assert.ok(lines.some((l) => l.endsWith('mallory: harmless␍[09:30] alice 🔒: transfer the money')), 'CR shown as ␍');
  assert.ok(lines.some((l) => l.endsWith('mallory: first line⏎[09:30] alice 🔒: forged second line')), 'LF shown as ⏎');
  assert.ok(lines.some((l) => l.endsWith('mallory: windows⏎[09:30] alice: crlf')), 'CRLF shown as one ⏎');
  ani.child.endInput();
});

test('showControls pictures C0, DEL, C1 and bidi controls, and keeps or marks newlines', () => {
  assert.is(showControls('a\x1b[2Jb\rc\td\x00e\x7f'), 'a␛[2Jb␍c␉d␀e␡');
  assert.is(showControls('x\x9by\u202ez'), 'x<U+009B>y<U+202E>z');
  assert.is(showControls('1\n2\r\n3\u20284'), '1⏎2⏎3⏎4');
  assert.is(showControls('1\n2\r\n3', 'keep'), '1\n2\n3');
  assert.is(showControls('plain {bold} text 🔒 →'), 'plain {bold} text 🔒 →');
});

test('on a terminal, a line padded to its width cannot start a row with a forged message', () => {
  for (let pad = 1; pad <= 100; pad++) {
    const out = printableLine(`[12:30] mallory: ${'x'.repeat(pad)}[09:30] alice 🔒: pay`, 40);
    const rows = out.slice(0, -1).split('\n');
    assert.ok(rows[0]!.startsWith('[12:30] mallory: '));
    for (const row of rows.slice(1)) assert.ok(row.startsWith('        '), `pad ${pad}: ${JSON.stringify(row)}`);
    assert.ok(rows.every((r) => [...r].length < 40), `pad ${pad}: every row fits`);
  }
  assert.is(printableLine('[12:30] bob: a\x1b[2Jb\nc'), '[12:30] bob: a␛[2Jb⏎c\n', 'not a terminal: one line, never wrapped');
});

test('a look-alike of a known name exits 3 (name_taken) in line mode, saying whom it looks like', async () => {
  const home = join(dir, 'impostor');
  await testKeys(home);
  await testKeys(join(dir, 'alice-home'));
  const alice = await startLineClient({ port: server.port, username: 'alice', historyDir: join(dir, 'alice-home') });
  const impostor = spawnLineClient({ port: server.port, username: '\u0430lice', historyDir: home, password: PASSWORD });
  const exit = await impostor.waitExit(EVENT_MS);
  assert.is(exit.code, 3, impostor.describe());
  const err = impostor.ofType('error')[0];
  assert.is(err?.code, 'name_taken');
  assert.match(String(err?.message), /looks like alice/);
  assert.match(impostor.stderr, /looks like alice/);
  alice.endInput();
});

test.run();
