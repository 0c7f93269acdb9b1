// The line mode's contract (docs: ARCHITECTURE.md "Interfaces that other programs rely on"):
// `client.ts --no-ui --json` reads commands on stdin and prints one JSON event per line, against a real
// headless server process. Scripts depend on these shapes, so the test checks fields, not just types.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { removeDir, tempDir, testKeys } from './support/chat-harness.ts';
import { type Child, type JsonLine, killAll, startLineClient, startServerProcess, type ServerChild } from './support/processes.ts';

/** Waiting for an event from another process, in ms (generous: 2 shared cores, scrypt, RSA). */
const EVENT_MS = 15_000;

let dir = '';
let server: ServerChild;
let ani: Child;
let budi: Child;

test.before(async () => {
  dir = await tempDir('obrolan-cli-line-');
  server = await startServerProcess(join(dir, 'server'));
  ani = await client('ani');
  budi = await client('budi');
  await ani.waitForEvent((e) => e.type === 'join' && e.user === 'budi', EVENT_MS, 'ani sees budi join');
});
test.after(async () => {
  await killAll();
  await removeDir(dir);
});

/** A line client with RSA-2048 keys made beforehand in its history dir (the program would make 3072-bit ones). */
async function client(name: string): Promise<Child> {
  const home = join(dir, name);
  await testKeys(home);
  return startLineClient({ port: server.port, username: name, historyDir: home });
}

function messagesFrom(c: Child, from: string): JsonLine[] {
  return c.ofType('message').filter((m) => m.from === from);
}

test('prints ready, then delivered {id, seq} to the sender and message {id, seq, from, text, encrypted, ts} to the others', async () => {
  const ready = ani.ofType('ready')[0]!;
  assert.is(ready.user, 'ani');
  const mark = ani.events.length;
  ani.writeLine('hello from ani');
  const got = await budi.waitForEvent((e) => e.type === 'message' && e.text === 'hello from ani', EVENT_MS, 'budi gets the message');
  const delivered = await ani.waitForEvent((e) => e.type === 'delivered', EVENT_MS, 'ani gets delivered', mark);
  assert.equal(Object.keys(delivered).sort(), ['id', 'seq', 'type']);
  assert.type(delivered.id, 'string');
  assert.ok(Number.isInteger(delivered.seq) && (delivered.seq as number) > 0, 'a room seq');
  assert.is(got.id, delivered.id, 'the same id on both sides');
  assert.is(got.seq, delivered.seq, 'the same room seq on both sides');
  assert.is(got.from, 'ani');
  assert.is(got.encrypted, false);
  assert.type(got.ts, 'number');
  assert.ok(Math.abs((got.ts as number) - Date.now()) < 60_000, 'ts is ms since the epoch');
  assert.ok(ani.ofType('message').every((m) => m.text !== 'hello from ani'), 'no echo to the sender');
});

test('answers /users with a users line listing everyone', async () => {
  const mark = budi.events.length;
  budi.writeLine('/users');
  const users = await budi.waitForEvent((e) => e.type === 'users', EVENT_MS, 'users line', mark);
  assert.equal((users.users as string[]).slice().sort(), ['ani', 'budi']);
});

test('delivers "/enc TEXT" to another line client as encrypted:true with the right text', async () => {
  ani.writeLine('/enc a secret for the room');
  const got = await budi.waitForEvent((e) => e.type === 'message' && e.from === 'ani' && e.encrypted === true, EVENT_MS, 'an encrypted message');
  assert.is(got.text, 'a secret for the room');
  assert.ok((got.seq as number) > 0, 'a room message has a room seq');
});

test('delivers "/msg USER TEXT" only to USER, and announces join and leave', async () => {
  const citra = await client('citra');
  await ani.waitForEvent((e) => e.type === 'join' && e.user === 'citra', EVENT_MS, 'ani sees citra join');
  await budi.waitForEvent((e) => e.type === 'join' && e.user === 'citra', EVENT_MS, 'budi sees citra join');
  ani.writeLine('/msg budi only for budi');
  // A room message after it: once citra has that one, the direct message would have reached it before.
  ani.writeLine('a room message after the direct one');
  const dm = await budi.waitForEvent((e) => e.type === 'message' && e.text === 'only for budi', EVENT_MS, 'budi gets the direct message');
  assert.is(dm.from, 'ani');
  assert.is(dm.encrypted, true, 'a direct message is always encrypted');
  assert.is(dm.to, 'budi');
  await citra.waitForEvent((e) => e.type === 'message' && e.text === 'a room message after the direct one', EVENT_MS, 'citra gets the room message');
  assert.ok(citra.ofType('message').every((m) => m.text !== 'only for budi'), 'citra never saw the direct message');
  assert.ok(citra.ofType('message').every((m) => !m.to), 'citra got no direct message at all');

  citra.writeLine('/quit');
  assert.equal(await citra.waitExit(EVENT_MS), { code: 0, signal: null }, 'exit 0 on /quit');
  await ani.waitForEvent((e) => e.type === 'leave' && e.user === 'citra', EVENT_MS, 'ani sees citra leave');
  await budi.waitForEvent((e) => e.type === 'leave' && e.user === 'citra', EVENT_MS, 'budi sees citra leave');
});

test('prints error {code, message} for a direct message to nobody and for an unknown command', async () => {
  const mark = ani.events.length;
  ani.writeLine('/msg nobody hello?');
  const e1 = await ani.waitForEvent((e) => e.type === 'error', EVENT_MS, 'an error line', mark);
  assert.is(e1.code, 'no_such_user');
  assert.type(e1.message, 'string');
  ani.writeLine('/frobnicate');
  const e2 = await ani.waitForEvent((e) => e.type === 'error' && e !== e1, EVENT_MS, 'a second error line', mark);
  assert.is(e2.code, 'bad_arguments');
  assert.match(String(e2.message), /\/frobnicate/);
});

test('sends every piped line, then exits 0 at the end of stdin once all are delivered', async () => {
  const dewi = await client('dewi');
  await budi.waitForEvent((e) => e.type === 'join' && e.user === 'dewi', EVENT_MS, 'budi sees dewi join');
  const lines = Array.from({ length: 50 }, (_, i) => `piped line ${i + 1}`);
  for (const l of lines) dewi.writeLine(l);
  dewi.endInput();
  // Flood control lets 10 through at once, then 5/s: about 8 s for 50.
  const exit = await dewi.waitExit(60_000);
  assert.equal(exit, { code: 0, signal: null }, `exit 0 after the last delivery\n${dewi.describe()}`);
  assert.is(dewi.ofType('delivered').length, 50, 'each line delivered before exiting');
  assert.is(dewi.ofType('error').length, 0, 'no error');
  await budi.waitForEvent((e) => e.type === 'leave' && e.user === 'dewi', EVENT_MS, 'budi sees dewi leave');
  assert.equal(messagesFrom(budi, 'dewi').map((m) => m.text), lines, 'budi got all 50, once, in order');
});

test('exits 0 on /quit and the server keeps running', async () => {
  ani.writeLine('/quit');
  assert.equal(await ani.waitExit(EVENT_MS), { code: 0, signal: null });
  assert.ok(server.child.alive, 'server still up');
});

test.run();
