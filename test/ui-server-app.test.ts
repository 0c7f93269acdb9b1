// The server window wired to a fake core, driven through an in-memory terminal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServerWindow, type ServerWindowOptions } from '../lib/ui/server-app.ts';
import { FakeClient, FakeRoom, FakeServer, fakeServerFactory } from './support/fake-core.ts';
import { FakeTerminal, KEY, sleep } from './support/fake-terminal.ts';

interface Run { term: FakeTerminal; made: FakeServer[]; done: Promise<number>; dir: string }

async function open(room: FakeRoom, flags: Partial<ServerWindowOptions>, historyDir?: string): Promise<Run> {
  const dir = historyDir ?? await mkdtemp(join(tmpdir(), 'obrolan-ui-server-'));
  const term = new FakeTerminal(120, 40);
  const made: FakeServer[] = [];
  const done = runServerWindow({ historyDir: dir, ...flags }, {
    createServer: fakeServerFactory(room, made),
    io: term.io,
    onWindow: (w) => (term.screen = w.screen),
  });
  await term.waitFor('Obrolan server');
  await sleep(50);
  return { term, made, done, dir };
}

async function close(run: Run): Promise<number> {
  await run.term.type(KEY.ctrlC);
  const code = await run.done;
  await rm(run.dir, { recursive: true, force: true });
  return code;
}

/** A fake client joined to `room` without a window. */
async function member(room: FakeRoom, name: string): Promise<FakeClient> {
  const c = new FakeClient(room, { host: 'h', port: 1, historyDir: '', trust: async () => true, onProgress: () => {} });
  await c.connect();
  await c.authenticate(room.password);
  await c.join(name);
  return c;
}

test('with the form complete, Enter starts the server and the window shows where to connect and the key', async () => {
  const room = new FakeRoom();
  const run = await open(room, { host: '127.0.0.1', port: 7500, password: 'pw' });
  try {
    await run.term.type(KEY.enter);
    await run.term.waitFor('127.0.0.1:7500');
    await run.term.waitFor(room.serverFingerprint);
    await run.term.waitFor('listening on 127.0.0.1:7500');
    assert.ok(run.term.text().includes('Stop'), 'the button became Stop');
    assert.is(room.password, 'pw', 'the server got the typed password');
  } finally {
    assert.is(await close(run), 0);
  }
});

test('asks for a missing password first, then starts from the password field with Enter', async () => {
  const room = new FakeRoom();
  const run = await open(room, { port: 7501 });
  try {
    await run.term.type('hunter2', KEY.enter);
    await run.term.waitFor('listening on 0.0.0.0:7501');
    assert.is(room.password, 'hunter2');
    assert.not.ok(run.term.text().includes('hunter2'), 'the password is masked');
  } finally {
    await close(run);
  }
});

test('a port in use is shown in red and the form stays open to try another', async () => {
  const room = new FakeRoom();
  FakeServer.busyPorts.add(7502);
  const run = await open(room, { port: 7502, password: 'pw' });
  try {
    await run.term.type(KEY.enter);
    await run.term.waitFor('port 7502 is in use');
    assert.ok(run.term.text().includes('Start'));
    // Back to the port field (Shift-Tab from Start lands on password, then room name, then port), retype, start.
    await run.term.type(KEY.shiftTab, KEY.shiftTab, KEY.shiftTab, KEY.backspace.repeat(4), '7503', KEY.enter);
    await run.term.waitFor('listening on 0.0.0.0:7503');
  } finally {
    FakeServer.busyPorts.delete(7502);
    await close(run);
  }
});

test('users, messages and counters show up; Stop then q quits with exit code 0', async () => {
  const room = new FakeRoom();
  const run = await open(room, { port: 7504, password: 'secret' });
  try {
    await run.term.type(KEY.enter);
    await run.term.waitFor('listening on');
    const alice = await member(room, 'alice');
    await run.term.waitFor(/alice +127\.0\.0\.1:50000/);
    alice.send('hi there');
    await run.term.waitFor('#1 alice: hi there');
    await run.term.waitFor('messages 1');
    await run.term.type('q');
    await run.term.waitFor('press Stop first');
    await run.term.type(KEY.enter); // Stop has the focus
    await run.term.waitFor('server stopped');
    await run.term.type('q');
    assert.is(await run.done, 0);
    assert.equal(room.names(), [], 'stopping told the clients');
  } finally {
    await close(run);
  }
});

test('Ctrl-C while running stops the server first and exits 0', async () => {
  const room = new FakeRoom();
  const run = await open(room, { port: 7505, password: 'secret' });
  await run.term.type(KEY.enter);
  await run.term.waitFor('listening on');
  await member(room, 'bob');
  assert.is(await close(run), 0);
  assert.equal(room.names(), []);
});

test('console output while the window is up goes to the log, not over the screen', async () => {
  const room = new FakeRoom();
  const run = await open(room, { port: 7506, password: 'secret' });
  try {
    const before = run.term.written.length;
    console.error('something went sideways');
    process.stderr.write('raw stderr line\n');
    await run.term.waitFor('something went sideways');
    await run.term.waitFor('raw stderr line');
    // The text reached the terminal only as part of the log pane drawing, after a cursor move.
    assert.not.ok(run.term.written.slice(before).startsWith('something'));
  } finally {
    await close(run);
  }
});

test('the room name field is prefilled, goes to the server, and the room and its discovery interfaces are shown', async () => {
  const room = new FakeRoom();
  const dir = await mkdtemp(join(tmpdir(), 'obrolan-ui-server-'));
  const term = new FakeTerminal(120, 40);
  let got = '';
  const answering = [{ name: 'eth0', bind: '10.0.0.255' }];
  const made: FakeServer[] = [];
  const base = fakeServerFactory(room, made);
  const done = runServerWindow({ historyDir: dir, port: 7510, password: 'pw', roomName: 'Kelas 7B' }, {
    createServer: async (opts) => {
      got = opts.roomName;
      return Object.assign(await base(opts), {
        roomName: opts.roomName, discovery: { answering, failed: [{ name: 'wlan0', bind: '10.9.0.255', reason: 'EADDRINUSE' }] },
      });
    },
    io: term.io,
    onWindow: (w) => (term.screen = w.screen),
  });
  try {
    await term.waitFor('Kelas 7B');
    await sleep(50);
    await term.type(KEY.enter);
    await term.waitFor('found by clients on this LAN via eth0 (10.0.0.255)');
    await term.waitFor('cannot answer discovery on wlan0 (10.9.0.255): EADDRINUSE');
    await term.waitFor('listening on 0.0.0.0:7510 — room "Kelas 7B"');
    assert.is(got, 'Kelas 7B');
    // Wi-Fi joined later: the server answers there too, and the window says so at its next refresh.
    answering.push({ name: 'wlan0', bind: '10.9.0.255' });
    await term.waitFor('via eth0 (10.0.0.255), wlan0 (10.9.0.255)');
  } finally {
    await term.type(KEY.ctrlC);
    assert.is(await done, 0);
    await rm(dir, { recursive: true, force: true });
  }
});

test('bound to every interface it lists 127.0.0.1 too, and the next run is prefilled with the address and port, not the password', async () => {
  const room = new FakeRoom();
  const dir = await mkdtemp(join(tmpdir(), 'obrolan-ui-server-'));
  const first = await open(room, { host: '0.0.0.0', port: 7502, password: 'pw' }, dir);
  await first.term.type(KEY.enter);
  await first.term.waitFor('127.0.0.1:7502  (this machine');
  await first.term.type(KEY.ctrlC);
  assert.is(await first.done, 0);
  const again = await open(room, {}, dir);
  try {
    await again.term.waitFor('7502');
    assert.ok(again.term.text().includes('0.0.0.0'));
    assert.not.ok(again.term.text().includes('**'), 'no password remembered');
  } finally {
    assert.is(await close(again), 0);
  }
});

test.run();
