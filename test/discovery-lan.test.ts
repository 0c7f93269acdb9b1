// Rooms on this LAN over real networking: network namespaces on one bridge (test/support/netns.ts).
// Namespace 1 runs two rooms (7447 and 7500), namespace 2 one room on 7447, namespace 3 the client,
// namespace 4 a room on another subnet (10.78.0.0/24) and namespace 5 a client alone on a third subnet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { PASSWORD, prepareServerKey, removeDir, tempDir, testKeys } from './support/chat-harness.ts';
import { killAll, type Child } from './support/processes.ts';
import { canMakeNamespaces, Lan, type Host } from './support/netns.ts';
import { skipOrFail } from './support/skip.ts';

const START_MS = 30_000;

const lan = new Lan();
let home = '';
let hosts: Record<'s1' | 's2' | 'c' | 'x' | 'y', Host>;

async function startRoom(h: Host, name: string, port: number, dir: string): Promise<Child> {
  await prepareServerKey(dir);
  const child = lan.run(h, 'server.ts', ['--headless', '--json', '--password', PASSWORD, '--port', String(port),
    '--room-name', name, '--history-dir', dir], `room ${name}`);
  await child.waitForLine((l) => l.includes('listening on'), START_MS, `${name} listening`);
  await child.waitForEvent((e) => e.type === 'discovery', START_MS, `${name} discovery line`);
  return child;
}

const why = canMakeNamespaces();
if (why) {
  skipOrFail(`discovery on a LAN: ${why}`);
} else {
  test.before(async () => {
    home = await tempDir();
    try {
      lan.up();
      hosts = { s1: lan.add(1, '10.77.0.1/24'), s2: lan.add(2, '10.77.0.2/24'), c: lan.add(3, '10.77.0.3/24'),
        x: lan.add(4, '10.78.0.4/24'), y: lan.add(5, '10.79.0.5/24') };
      await Promise.all([
        startRoom(hosts.s1, 'Lab A', 7447, join(home, 'a')),
        startRoom(hosts.s1, 'Lab B', 7500, join(home, 'b')),
        startRoom(hosts.s2, 'Library', 7447, join(home, 'c')),
        startRoom(hosts.x, 'Elsewhere', 7447, join(home, 'x')),
      ]);
      await testKeys(join(home, 'client'));
    } catch (err) {
      await killAll();
      lan.destroy();
      throw err;
    }
  });

  test.after(async () => {
    await killAll();
    lan.destroy();
    await removeDir(home);
  });

  test('--discover --json lists the three rooms of the subnet with their ports, and not the one on another subnet', async () => {
    // The client prints only answers that arrive within its wait, so being listed means answered within 1.5 s.
    const c = lan.run(hosts.c, 'client.ts', ['--discover', '--json', '--wait', '1500'], 'discover');
    const exit = await c.waitExit(10_000);
    assert.is(exit.code, 0, c.describe());
    const rooms = c.ofType('room').map((r) => `${r.name as string}@${r.host as string}:${r.port as number}`).sort();
    assert.equal(rooms, ['Lab A@10.77.0.1:7447', 'Lab B@10.77.0.1:7500', 'Library@10.77.0.2:7447']);
    for (const r of c.ofType('room')) {
      assert.match(r.fingerprint as string, /^SHA256:[A-Za-z0-9+/]{43}$/);
      assert.is(r.users, 0);
    }
  });

  test('a client on the machine of two rooms finds them and the room next door', async () => {
    const c = lan.run(hosts.s1, 'client.ts', ['--discover', '--json', '--wait', '1500'], 'discover at home');
    assert.is((await c.waitExit(10_000)).code, 0, c.describe());
    const rooms = c.ofType('room').map((r) => `${r.name as string}@${r.host as string}:${r.port as number}`).sort();
    assert.equal(rooms, ['Lab A@10.77.0.1:7447', 'Lab B@10.77.0.1:7500', 'Library@10.77.0.2:7447']);
  });

  test('--no-ui --room joins the room of that name, also the one sharing port 7447 with the other room\'s responder', async () => {
    for (const [room, server] of [['Lab B', '10.77.0.1:7500'], ['Lab A', '10.77.0.1:7447']] as const) {
      const c = lan.run(hosts.c, 'client.ts', ['--no-ui', '--json', '--room', room, '--password', PASSWORD,
        '--username', 'tester', '--history-dir', join(home, 'client')], `join ${room}`);
      const ready = await c.waitForEvent((e) => e.type === 'ready', START_MS, `ready in ${room}`);
      assert.is(ready.server, server);
      c.endInput();
      assert.is((await c.waitExit(20_000)).code, 0, c.describe());
    }
  });

  test('--room with a name nobody answers to exits 1 and names the rooms that did answer', async () => {
    const c = lan.run(hosts.c, 'client.ts', ['--no-ui', '--room', 'Elsewhere', '--password', PASSWORD, '--username', 'tester',
      '--history-dir', join(home, 'client')], 'join Elsewhere');
    assert.is((await c.waitExit(10_000)).code, 1, c.describe());
    assert.match(c.stderr, /no room called "Elsewhere"/);
    assert.match(c.stderr, /Lab A/);
    assert.match(c.stderr, /--host/);
  });

  test('a client alone on another subnet finds nothing and is told what to do', async () => {
    const c = lan.run(hosts.y, 'client.ts', ['--discover', '--wait', '800'], 'discover alone');
    assert.is((await c.waitExit(10_000)).code, 1, c.describe());
    assert.is(c.lines.length, 0);
    assert.match(c.stderr, /no room answered/);
    assert.match(c.stderr, /firewall/);
    assert.match(c.stderr, /different subnet/);
    assert.match(c.stderr, /--host ADDR/);
  });

  test('a second room on port 7447 of the same machine is refused, not allowed to share the port', async () => {
    const dir = join(home, 'dup');
    await prepareServerKey(dir);
    const c = lan.run(hosts.s1, 'server.ts', ['--headless', '--password', PASSWORD, '--port', '7447', '--history-dir', dir], 'dup room');
    assert.is((await c.waitExit(20_000)).code, 1, c.describe());
    assert.match(c.stderr, /port 7447 is already in use/);
  });
}

test.run();
