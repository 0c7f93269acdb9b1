// "Rooms on this LAN" in the client window, with a fake search and a fake core, in an in-memory terminal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KnownServers } from '../lib/history/client.ts';
import type { FoundRoom, SearchOptions } from '../lib/net/discovery-socket.ts';
import { runClientWindow, type ClientWindowOptions } from '../lib/ui/client-app.ts';
import { fakeClientFactory, FakeRoom } from './support/fake-core.ts';
import { FakeTerminal, KEY, sleep } from './support/fake-terminal.ts';

const FP_A = 'SHA256:' + Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '');
const FP_B = 'SHA256:' + Buffer.alloc(32, 2).toString('base64').replace(/=+$/, '');
const LAB: FoundRoom = { name: 'Lab', host: '10.0.0.5', port: 7447, fingerprint: FP_A, users: 3, version: 1 };
const LIBRARY: FoundRoom = { name: 'Library', host: '10.0.0.7', port: 7500, fingerprint: FP_B, users: 1, version: 1 };

const tempDirs: string[] = [];
test.after(async () => {
  for (const d of tempDirs) await rm(d, { recursive: true, force: true });
});

interface Run { term: FakeTerminal; done: Promise<number>; searches: SearchOptions[] }

async function open(rooms: FoundRoom[], flags: Partial<ClientWindowOptions> = {}, prepare?: (dir: string) => Promise<void>): Promise<Run> {
  const historyDir = await mkdtemp(join(tmpdir(), 'obrolan-ui-rooms-'));
  tempDirs.push(historyDir);
  await prepare?.(historyDir);
  const term = new FakeTerminal(100, 30);
  const searches: SearchOptions[] = [];
  const done = runClientWindow({ historyDir, ...flags }, {
    createClient: fakeClientFactory(new FakeRoom()),
    io: term.io,
    onWindow: (w) => (term.screen = w.screen),
    search: async (o) => {
      searches.push(o);
      for (const r of rooms) o.onRoom?.(r);
      return rooms;
    },
  });
  await term.waitFor('rooms on this LAN');
  await sleep(50);
  return { term, done, searches };
}

async function quit(run: Run): Promise<number> {
  await run.term.type(KEY.ctrlC);
  return run.done;
}

test('lists the rooms that answered with address, members and whether the key is known', async () => {
  const run = await open([LAB, LIBRARY]);
  try {
    await run.term.waitFor(/Lab +10\.0\.0\.5:7447 +3 members +new: compare its key/);
    await run.term.waitFor(/Library +10\.0\.0\.7:7500 +1 member /);
    await run.term.waitFor('Other address…');
    await run.term.waitFor('2 rooms answered');
  } finally {
    assert.is(await quit(run), 0);
  }
});

test('Enter on a room fills host and port and moves to the password; then it joins that room', async () => {
  const run = await open([LAB, LIBRARY], { username: 'alice' });
  try {
    await run.term.waitFor('Library');
    await run.term.type(KEY.down, KEY.enter);
    await run.term.waitFor('Obrolan — join "Library"');
    await run.term.waitFor(/Server IP +10\.0\.0\.7/);
    await run.term.waitFor(/Port +7500/);
    await run.term.type('secret', KEY.enter);
    await run.term.waitFor('Trust this server?');
    await run.term.type('y');
    await run.term.waitFor('you joined 10.0.0.7:7500 as alice');
  } finally {
    assert.is(await quit(run), 0);
  }
});

test('when nothing answers the list says so and names the usual causes', async () => {
  const run = await open([]);
  try {
    await run.term.waitFor('No room answered');
    const text = run.term.text();
    for (const cause of ['no server is running', 'ufw allow 7447/udp', 'isolates clients', 'different subnet']) {
      assert.ok(text.includes(cause), `names "${cause}"`);
    }
  } finally {
    assert.is(await quit(run), 0);
  }
});

test('a room whose key is trusted is marked so, and one whose key is pinned for another address is flagged', async () => {
  const run = await open([LAB, LIBRARY], {}, async (dir) => {
    const known = await KnownServers.open(dir);
    await known.pin('10.0.0.5:7447', FP_A);
    await known.pin('10.0.0.99:7447', FP_B);
  });
  try {
    await run.term.waitFor(/Lab +10\.0\.0\.5:7447 +3 members +key trusted/);
    await run.term.waitFor(/Library .*same key as 10\.0\.0\.99:7447/);
  } finally {
    assert.is(await quit(run), 0);
  }
});

test('r looks again, and "Other address…" opens the form as before', async () => {
  const run = await open([LAB]);
  try {
    await run.term.waitFor('1 room answered');
    const before = run.searches.length;
    await run.term.type('r');
    await sleep(100);
    assert.ok(run.searches.length > before, 'r searched again');
    await run.term.type('o');
    await run.term.waitFor('join a chat room');
    assert.not.ok(run.term.text().includes('rooms on this LAN'), 'the list is gone');
    await sleep(50);
    await run.term.type('10.1.1.1');
    await run.term.waitFor(/Server IP +10\.1\.1\.1/);
  } finally {
    assert.is(await quit(run), 0);
  }
});

test('with --host the rooms list is skipped', async () => {
  const historyDir = await mkdtemp(join(tmpdir(), 'obrolan-ui-rooms-'));
  tempDirs.push(historyDir);
  const term = new FakeTerminal(100, 30);
  let searched = 0;
  const done = runClientWindow({ historyDir, host: '10.0.0.5' }, {
    createClient: fakeClientFactory(new FakeRoom()), io: term.io, onWindow: (w) => (term.screen = w.screen),
    search: async () => { searched++; return []; },
  });
  await term.waitFor('join a chat room');
  await sleep(50);
  assert.is(searched, 0);
  await term.type(KEY.ctrlC);
  assert.is(await done, 0);
});

test.run();
