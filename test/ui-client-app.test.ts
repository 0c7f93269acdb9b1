// The client window wired to a fake core, driven through an in-memory terminal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runClientWindow, type ClientWindowOptions } from '../lib/ui/client-app.ts';
import { KeysAhead } from '../lib/e2e/keys-ahead.ts';
import { FakeClient, fakeClientFactory, FakeRoom } from './support/fake-core.ts';
import { FakeTerminal, KEY, sleep } from './support/fake-terminal.ts';

const tempDirs: string[] = [];
test.after(async () => {
  for (const d of tempDirs) await rm(d, { recursive: true, force: true });
});

interface Run { term: FakeTerminal; made: FakeClient[]; done: Promise<number>; dir: string }

/** Opens a client window on `room`; flags as given, history in a fresh temp dir unless `dir` is passed. */
async function open(room: FakeRoom, flags: Partial<ClientWindowOptions>, dir?: string): Promise<Run> {
  const historyDir = dir ?? await mkdtemp(join(tmpdir(), 'obrolan-ui-client-'));
  tempDirs.push(historyDir);
  const term = new FakeTerminal(100, 30);
  const made: FakeClient[] = [];
  const done = runClientWindow({ historyDir, ...flags }, {
    createClient: fakeClientFactory(room, made),
    // No rooms list (test/ui-rooms.test.ts covers it), so no discovery query leaves this machine.
    search: false,
    io: term.io,
    onWindow: (w) => (term.screen = w.screen),
  });
  await term.waitFor('join a chat room');
  // blessed starts reading keys on the next tick; the first key can be lost before that.
  await sleep(50);
  return { term, made, done, dir: historyDir };
}

/** Quits with Ctrl-C and returns the exit code. */
async function quit(run: Run): Promise<number> {
  await run.term.type(KEY.ctrlC);
  return run.done;
}

async function loggedIn(room: FakeRoom, username: string): Promise<Run> {
  const firstContact = !room.pinned.has('10.0.0.5:7447');
  const run = await open(room, { host: '10.0.0.5', port: 7447, password: room.password, username });
  await run.term.type(KEY.enter);
  if (firstContact) {
    await run.term.waitFor('Trust this server?');
    await run.term.type('y');
  }
  await run.term.waitFor(`you joined 10.0.0.5:7447 as ${username}`);
  return run;
}

test('the keys the window started making while the form was filled in go to the client it creates', async () => {
  const room = new FakeRoom();
  const keysAhead = new KeysAhead(2048, () => new Promise<never>(() => {}), false); // never made: only passed on
  const run = await open(room, { host: '10.0.0.5', port: 7447, password: room.password, username: 'ayu', keysAhead });
  try {
    await run.term.type(KEY.enter);
    await run.term.waitFor('Trust this server?');
    await run.term.type('y');
    await run.term.waitFor('you joined 10.0.0.5:7447 as ayu');
    assert.is((run.made[0] as unknown as { opts: { keysAhead?: KeysAhead } }).opts.keysAhead, keysAhead);
  } finally {
    assert.is(await quit(run), 0);
  }
});

test('asks the password again after a wrong one, with the cursor back in the password field', async () => {
  const room = new FakeRoom();
  const run = await open(room, { host: '10.0.0.5', port: 7447, username: 'alice', password: 'nope' });
  try {
    await run.term.type(KEY.enter); // the form is complete, so Connect has the focus
    await run.term.waitFor('Trust this server?');
    await run.term.type('y');
    await run.term.waitFor('wrong password');
    await run.term.type('secret', KEY.enter);
    await run.term.waitFor('you joined 10.0.0.5:7447 as alice');
    assert.is(run.made.length, 1, 'the session is kept for the second try');
  } finally {
    assert.is(await quit(run), 0);
  }
});

test('a taken name puts the cursor in the username field', async () => {
  const room = new FakeRoom();
  const alice = await loggedIn(room, 'alice');
  const run = await open(room, { host: '10.0.0.5', port: 7447, username: 'alice', password: 'secret' });
  try {
    await run.term.type(KEY.enter);
    await run.term.waitFor('taken');
    // The trust answer was pinned by the first window (same fake computer), so no dialog this time.
    await run.term.type(KEY.backspace.repeat(5), 'bob', KEY.enter);
    await run.term.waitFor('you joined 10.0.0.5:7447 as bob');
    await alice.term.waitFor('bob joined');
  } finally {
    await quit(run);
    await quit(alice);
  }
});

test('Enter sends, Ctrl-S sends encrypted, and ✓ appears once the server stored it', async () => {
  const room = new FakeRoom();
  const alice = await loggedIn(room, 'alice');
  const bob = await loggedIn(room, 'bob');
  try {
    await alice.term.type('hello bob', KEY.enter);
    await alice.term.type('top secret', KEY.ctrlS);
    await alice.term.waitFor(/alice: hello bob ✓/);
    await alice.term.waitFor(/🔒 alice: top secret ✓/);
    await bob.term.waitFor(/alice: hello bob +│/);
    await bob.term.waitFor(/🔒 alice: top secret +│/);
    assert.equal(room.log.map((m) => [m.text, m.encrypted]), [['hello bob', false], ['top secret', true]]);
  } finally {
    await quit(bob);
    await quit(alice);
  }
});

test('Tab completes a name at the start of the line, and Enter still sends from the same input', async () => {
  const room = new FakeRoom();
  const alice = await loggedIn(room, 'alice');
  const bob = await loggedIn(room, 'bob');
  try {
    await alice.term.waitFor('Users (2)');
    await alice.term.type('b', KEY.tab, 'hi', KEY.enter);
    await alice.term.waitFor(/alice: bob: hi ✓/);
    await alice.term.type('next line', KEY.enter);
    await alice.term.waitFor(/alice: next line ✓/);
    assert.equal(room.log.map((m) => m.text), ['bob: hi', 'next line']);
  } finally {
    await quit(bob);
    await quit(alice);
  }
});

test('a name after /msg completes with Tab, and a direct message reaches only that user', async () => {
  const room = new FakeRoom();
  const alice = await loggedIn(room, 'alice');
  const bob = await loggedIn(room, 'bob');
  const carol = await loggedIn(room, 'carol');
  try {
    await bob.term.waitFor('Users (3)');
    await bob.term.type('/msg a', KEY.tab, 'psst', KEY.enter);
    await bob.term.waitFor(/🔒 bob → alice: psst ✓/);
    await alice.term.waitFor(/🔒 bob → you: psst/);
    await carol.term.type('/users', KEY.enter);
    await carol.term.waitFor('3 in the room');
    assert.not.ok(carol.term.text().includes('psst'));
  } finally {
    await quit(carol);
    await quit(bob);
    await quit(alice);
  }
});

test('Up recalls what you sent in an earlier session and then this one; Down brings back the line being typed', async () => {
  const room = new FakeRoom();
  room.stored.set('alice', [{ id: 'o1', seq: 1, from: 'alice', text: 'from last week', encrypted: false, ts: Date.now() - 86_400_000 }]);
  const alice = await loggedIn(room, 'alice');
  try {
    await alice.term.type('now', KEY.enter);
    await alice.term.type('draft', KEY.up);
    await alice.term.waitFor('> now');
    await alice.term.type(KEY.up);
    await alice.term.waitFor('> from last week');
    await alice.term.type(KEY.down, KEY.down);
    await alice.term.waitFor('> draft');
  } finally {
    await quit(alice);
  }
});

test('an unknown command is refused and the typed line stays in the input', async () => {
  const room = new FakeRoom();
  const alice = await loggedIn(room, 'alice');
  try {
    await alice.term.type('/frobnicate the thing', KEY.enter);
    await alice.term.waitFor('unknown command /frobnicate');
    await alice.term.waitFor('> /frobnicate the thing');
    assert.equal(room.log, []);
  } finally {
    await quit(alice);
  }
});

test('a bracketed paste of several lines is one message, and over five lines it asks first', async () => {
  const room = new FakeRoom();
  const alice = await loggedIn(room, 'alice');
  try {
    alice.term.input.write('\x1b[200~one\ntwo\nthree\x1b[201~');
    await alice.term.type(KEY.enter);
    alice.term.input.write('\x1b[200~1\n2\n3\n4\n5\n6\n\x1b[201~');
    await alice.term.waitFor('The paste has 6 lines');
    await alice.term.type('y', KEY.enter);
    await alice.term.waitFor(/alice: 1 /);
    await sleep(100);
    assert.equal(room.log.map((m) => m.text), ['one\ntwo\nthree', '1\n2\n3\n4\n5\n6']);
  } finally {
    await quit(alice);
  }
});

test('quitting with a message the server has not stored asks first, and Stay keeps the window', async () => {
  const room = new FakeRoom();
  const alice = await loggedIn(room, 'alice');
  room.down = true;
  await alice.term.type('while down', KEY.enter);
  await alice.term.waitFor(/alice: while down …/);
  await alice.term.type('/quit', KEY.enter);
  await alice.term.waitFor('Messages not sent yet');
  await alice.term.type('n');
  await alice.term.type('still here');
  await alice.term.waitFor('> still here');
  await alice.term.type(KEY.ctrlC);
  await alice.term.waitFor('Messages not sent yet');
  await alice.term.type('y');
  assert.is(await alice.done, 0);
});

test('a changed server key is refused in red and the chat never opens', async () => {
  const room = new FakeRoom();
  room.pinned.set('10.0.0.5:7447', room.serverFingerprint);
  room.impostor = 'SHA256:SOMEONEelse';
  const run = await open(room, { host: '10.0.0.5', port: 7447, username: 'alice', password: 'secret' });
  try {
    await run.term.type(KEY.enter);
    await run.term.waitFor('server key changed');
    assert.not.ok(run.term.text().includes('Messages'));
  } finally {
    assert.is(await quit(run), 0);
  }
});

test('remembers host, port and username for next time, never the password', async () => {
  const room = new FakeRoom();
  const first = await loggedIn(room, 'alice');
  await quit(first);
  const saved = JSON.parse(await readFile(join(first.dir, 'last-login.json'), 'utf8'));
  assert.equal(saved, { host: '10.0.0.5', port: 7447, username: 'alice' });
  const again = await open(room, {}, first.dir);
  try {
    const text = again.term.text();
    assert.ok(text.includes('10.0.0.5') && text.includes('7447') && text.includes('alice'), text);
    // The password is the one empty field, so it has the cursor.
    await again.term.type('secret', KEY.enter);
    await again.term.waitFor('you joined 10.0.0.5:7447 as alice');
  } finally {
    await quit(again);
    await rm(first.dir, { recursive: true, force: true });
  }
});

test('shows the stored history on open, and each message once however often it arrives', async () => {
  const room = new FakeRoom();
  const old = { id: 'old1', seq: 1, from: 'bob', text: 'from yesterday', encrypted: false, ts: new Date(2024, 0, 1, 9, 30).getTime() };
  const ownDirect = { id: 'dm1', seq: 0, from: 'alice', to: 'bob', text: 'my old dm', encrypted: true, ts: old.ts + 60_000 };
  room.stored.set('alice', [old, ownDirect]);
  const alice = await loggedIn(room, 'alice');
  try {
    await alice.term.waitFor('from yesterday');
    assert.ok(alice.term.text().includes('── Mon 1 Jan 2024 ──'), 'an old message comes under its date');
    await alice.term.waitFor(/🔒 alice → bob: my old dm ✓/); // stored, so not waiting for the server
    room.say('bob', 'live one');
    room.broadcast(undefined, (c) => c.emit('message', old)); // a replay of what is already shown
    await alice.term.waitFor('live one');
    assert.is(alice.term.text().split('from yesterday').length - 1, 1);
  } finally {
    await quit(alice);
  }
});

test('text from peers cannot inject blessed tags or terminal escapes', async () => {
  const room = new FakeRoom();
  const alice = await loggedIn(room, 'alice');
  try {
    room.say('mallory', '{red-fg}fake{/red-fg} \x1b[2Jok');
    await alice.term.waitFor('mallory: {red-fg}fake{/red-fg} ␛[2Jok');
  } finally {
    await quit(alice);
  }
});

test('/quit leaves the room and the window returns exit code 0', async () => {
  const room = new FakeRoom();
  const alice = await loggedIn(room, 'alice');
  await alice.term.type('/quit', KEY.enter);
  assert.is(await alice.done, 0);
  assert.equal(room.names(), []);
});

test('Ctrl-C while the trust question is open closes the window, exit code 0, nobody joined', async () => {
  const room = new FakeRoom();
  const run = await open(room, { host: '10.0.0.5', port: 7447, username: 'alice', password: 'secret' });
  await run.term.type(KEY.enter);
  await run.term.waitFor('Trust this server?');
  const written = run.term.written.length;
  assert.is(await quit(run), 0);
  await sleep(50);
  assert.equal(room.names(), []);
  assert.not.ok(room.pinned.has('10.0.0.5:7447'), 'closing is not a yes');
  assert.not.ok(/Trust|Messages/.test(run.term.written.slice(written)), 'nothing is drawn after the window closed');
});

test('PageUp scrolls back through the messages while the input keeps typing', async () => {
  const room = new FakeRoom();
  const alice = await loggedIn(room, 'alice');
  try {
    for (let i = 1; i <= 60; i++) room.say('bob', `line ${i}`);
    await alice.term.waitFor('line 60');
    assert.not.ok(alice.term.text().includes('line 1 '), 'the oldest lines scrolled away');
    await alice.term.type(KEY.pageUp, KEY.pageUp, KEY.pageUp);
    await alice.term.waitFor(/bob: line 1 /);
    await alice.term.type(KEY.pageDown, KEY.pageDown, KEY.pageDown, 'still typing', KEY.enter);
    await alice.term.waitFor(/alice: still typing ✓/);
  } finally {
    await quit(alice);
  }
});

test('a bad last-login file is ignored', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'obrolan-ui-client-'));
  await writeFile(join(dir, 'last-login.json'), '{"host": 5, "port": "x"');
  const run = await open(new FakeRoom(), {}, dir);
  try {
    assert.ok(run.term.text().includes('7447'), 'the default port is prefilled');
  } finally {
    await quit(run);
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
