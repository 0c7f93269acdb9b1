// The command-line contract of server.ts and client.ts (ARCHITECTURE.md, "Interfaces that other programs
// rely on"): flags and --help, exit codes, the "listening on" line, signals, OBROLAN_PASSWORD.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import type { ClientState } from '../lib/chat/types.ts';
import { ChatClient } from '../lib/chat/client.ts';
import { PASSWORD, removeDir, tempDir, testKeys, waitFor } from './support/chat-harness.ts';
import { type Child, killAll, prepareServerKey, spawnLineClient, spawnScript, startLineClient, startServerProcess, waitListening } from './support/processes.ts';

/** Waiting for another process, in ms (generous: 2 shared cores). */
const PROCESS_MS = 20_000;

let dir = '';
const clients: ChatClient[] = [];

test.before(async () => { dir = await tempDir('obrolan-cli-'); });
test.after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await killAll();
  await removeDir(dir);
});

/** A usage error: exit 2, one readable "error: …" message on stderr, no stack trace, nothing on stdout. */
async function assertUsageError(c: Child, mention: RegExp): Promise<void> {
  const exit = await c.waitExit(PROCESS_MS);
  assert.is(exit.code, 2, `exit 2\n${c.describe()}`);
  assert.match(c.stderr, /^error: /, 'starts with "error: "');
  assert.match(c.stderr, mention);
  assert.not.match(c.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(c.stderr.length < 500, 'short');
  assert.is(c.lines.length, 0, 'nothing on stdout');
}

test('--help of both programs lists every flag of the architecture and exits 0', async () => {
  const server = spawnScript('server.ts', ['--help']);
  const client = spawnScript('client.ts', ['--help']);
  assert.is((await server.waitExit(PROCESS_MS)).code, 0);
  assert.is((await client.waitExit(PROCESS_MS)).code, 0);
  const serverHelp = server.lines.join('\n');
  const clientHelp = client.lines.join('\n');
  for (const flag of ['--host', '--port', '--password', '--history-dir', '--headless', '--json', '--help']) assert.ok(serverHelp.includes(flag), `server --help lists ${flag}`);
  for (const flag of ['--host', '--port', '--password', '--username', '--history-dir', '--no-ui', '--json', '--help']) assert.ok(clientHelp.includes(flag), `client --help lists ${flag}`);
  assert.ok(serverHelp.includes('OBROLAN_PASSWORD') && clientHelp.includes('OBROLAN_PASSWORD'), 'both name OBROLAN_PASSWORD');
});

test('exits 2 with a readable message on an unknown flag, a bad port, or a missing --username', async () => {
  const home = join(dir, 'bad-args');
  const base = ['--no-ui', '--json', '--host', '127.0.0.1', '--password', 'x', '--history-dir', home];
  const cases: Array<[Child, RegExp]> = [
    [spawnScript('client.ts', [...base, '--username', 'u', '--colour']), /--colour/],
    [spawnScript('client.ts', [...base, '--username', 'u', '--port', '70000']), /port/],
    [spawnScript('client.ts', [...base, '--username', 'u', '--port', 'seven']), /port/],
    [spawnScript('client.ts', base), /--username/],
    [spawnScript('server.ts', ['--headless', '--password', 'x', '--frobnicate']), /--frobnicate/],
    [spawnScript('server.ts', ['--headless', '--password', 'x', '--port', '-1']), /port/],
    [spawnScript('server.ts', ['--headless', '--host', '127.0.0.1', '--port', '0', '--history-dir', home]), /password/],
  ];
  for (const [child, mention] of cases) await assertUsageError(child, mention);
});

for (const [signal, json] of [['SIGINT', false], ['SIGTERM', true]] as const) {
  test(`the headless server prints "listening on 127.0.0.1:PORT" for --port 0 (${json ? 'JSON' : 'text'}), and on ${signal} tells its clients and exits 0`, async () => {
    const history = join(dir, `signal-${signal}`);
    await prepareServerKey(history);
    const child = spawnScript('server.ts', ['--headless', ...(json ? ['--json'] : []), '--host', '127.0.0.1', '--port', '0', '--password', PASSWORD, '--history-dir', history]);
    const { port } = await waitListening(child);
    assert.ok(port > 0, `a real port was picked (${port})`);
    if (json) assert.ok(child.events.some((e) => e.type === 'listening' && e.port === port && e.host === '127.0.0.1'), 'a JSON listening line with host and port');

    const home = join(history, 'client');
    const client = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys: await testKeys(home) });
    clients.push(client);
    await client.connect();
    await client.authenticate(PASSWORD);
    await client.join('ani');
    const states: ClientState[] = [];
    client.on('state', (s: ClientState) => states.push(s));

    const sentAt = Date.now();
    child.signal(signal);
    const exit = await child.waitExit(PROCESS_MS);
    assert.equal(exit, { code: 0, signal: null }, `exit 0 on ${signal}\n${child.describe()}`);
    // Told, not timed out: well before the 10 s give-up or the 15 s idle timeout.
    await waitFor(() => states.length > 0, 5_000, 'a state change');
    assert.is(states[0], 'reconnecting', 'the client\'s next state is reconnecting');
    console.log(`  ${signal}: client reconnecting ${Date.now() - sentAt} ms after the signal`);
    assert.is(child.stderr, '', 'nothing on stderr');
    await client.close();
  });
}

test('OBROLAN_PASSWORD works instead of --password for both programs', async () => {
  const history = join(dir, 'env');
  await prepareServerKey(join(history, 'server'));
  const server = await waitListening(spawnScript('server.ts', ['--headless', '--json', '--host', '127.0.0.1', '--port', '0', '--history-dir', join(history, 'server')],
    { OBROLAN_PASSWORD: 'from the environment' }));
  const home = join(history, 'budi');
  await testKeys(home);
  const budi = await startLineClient({ port: server.port, username: 'budi', historyDir: home, password: undefined, env: { OBROLAN_PASSWORD: 'from the environment' } });
  assert.is(budi.ofType('ready').length, 1);
  budi.writeLine('/quit');
  assert.is((await budi.waitExit(PROCESS_MS)).code, 0);
  server.child.signal('SIGTERM');
  assert.is((await server.child.waitExit(PROCESS_MS)).code, 0);
});

test('the line client exits 3 with a JSON error line on wrong_password and on name_taken', async () => {
  const server = await startServerProcess(join(dir, 'refusals', 'server'));
  const homes = ['ani', 'ani2', 'eve'].map((n) => join(dir, 'refusals', n));
  for (const h of homes) await testKeys(h);
  const ani = await startLineClient({ port: server.port, username: 'ani', historyDir: homes[0]! });

  const taken = spawnLineClient({ port: server.port, username: 'ANI', historyDir: homes[1]!, password: PASSWORD });
  const wrong = spawnLineClient({ port: server.port, username: 'eve', historyDir: homes[2]!, password: 'not the password' });
  assert.is((await taken.waitExit(PROCESS_MS)).code, 3, `exit 3 on name_taken\n${taken.describe()}`);
  const takenError = taken.ofType('error')[0];
  assert.ok(takenError, 'a JSON error line');
  assert.is(takenError.code, 'name_taken');
  assert.type(takenError.message, 'string');

  assert.is((await wrong.waitExit(PROCESS_MS)).code, 3, `exit 3 on wrong_password\n${wrong.describe()}`);
  const wrongError = wrong.ofType('error')[0];
  assert.ok(wrongError, 'a JSON error line');
  assert.is(wrongError.code, 'wrong_password');
  assert.not.match(wrong.stderr, /\n\s+at /, 'no stack trace');

  assert.ok(ani.alive && ani.ofType('error').length === 0, 'the refusals did not disturb ani');
  ani.writeLine('/quit');
  assert.is((await ani.waitExit(PROCESS_MS)).code, 0);
  server.child.signal('SIGINT');
  assert.is((await server.child.waitExit(PROCESS_MS)).code, 0);
});

test.run();
