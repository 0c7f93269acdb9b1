// Look-alike names at the server (lib/chat/server.ts join, lib/chat/known-names.ts): a name that looks like
// a member in the room, or like a name the server has seen (its known users, kept across restarts in
// <history>/names.json), is refused as name_taken with a message naming the look-alike; a name that draws
// blank, invisible or as a symbol is refused as bad_name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { ChatClient } from '../lib/chat/client.ts';
import type { ChatServer } from '../lib/chat/server.ts';
import { ChatError } from '../lib/errors.ts';
import { joinClient, PASSWORD, removeDir, startServer, tempDir, testKeys, waitFor } from './support/chat-harness.ts';

let dir = '';
const cleanup: Array<() => Promise<unknown> | unknown> = [];

test.before(async () => { dir = await tempDir('obrolan-names-server-'); });
test.after.each(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });
test.after(async () => { await removeDir(dir); });

async function server(name: string): Promise<{ server: ChatServer; port: number }> {
  const s = await startServer(join(dir, name, 'server'));
  cleanup.push(() => s.server.stop());
  return s;
}

/** A logged-in client (not yet joined) whose join(name) resolves with the refusal, or undefined when it got in. */
async function prober(port: number, home: string): Promise<(name: string) => Promise<ChatError | undefined>> {
  const client = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys: await testKeys(home) });
  cleanup.push(() => client.close());
  await client.connect();
  await client.authenticate(PASSWORD);
  return (name) => client.join(name).then(() => undefined, (e: unknown) => e as ChatError);
}

const LOOKALIKES = [
  '\u0430lice',        // Cyrillic а
  'alic\u0435',        // Cyrillic е
  '\u0391lice',        // Greek capital alpha
  'a1ice',
  'AIice',             // capital I for l
];
const BLANKS = [
  'alice\u3164',       // Hangul filler, drawn blank
  'alice\u2800',       // blank braille pattern
  'alice\u115f',
  'alice\uffa0',
  'ali\u034fce',       // combining grapheme joiner: zero-width, a mark
  'alice\ufe0f',       // variation selector: zero-width, a mark
  'al\u200bice',       // zero-width space
  '\u202eecila',       // right-to-left override
  'alice\u2066',       // left-to-right isolate
  '🔒 alice → you',
];

test('refuses look-alikes of a member in the room as name_taken, saying whom they look like', async () => {
  const { port } = await server('present');
  const alice = await joinClient(port, join(dir, 'present', 'alice'), 'alice');
  cleanup.push(() => alice.client.close());
  const tryJoin = await prober(port, join(dir, 'present', 'x'));
  for (const name of LOOKALIKES) {
    const err = await tryJoin(name);
    assert.is(err?.code, 'name_taken', `${JSON.stringify(name)} is refused as name_taken`);
    assert.match(err!.message, /looks like alice, who is in the room/);
  }
  // The dotless ı folds to i: "alıce" is alice's own name, taken while she is here (and a returning
  // "alıce" with other keys meets the keys-changed warning: test/names-fold.test.ts).
  const dotless = await tryJoin('al\u0131ce');
  assert.is(dotless?.code, 'name_taken');
  assert.match(dotless!.message, /taken/);
  assert.is(await tryJoin('alicia'), undefined, 'a name that looks different is fine');
});

test('refuses blank, zero-width, bidi and symbol look-alikes of a member as bad_name', async () => {
  const { port } = await server('blank');
  const alice = await joinClient(port, join(dir, 'blank', 'alice'), 'alice');
  cleanup.push(() => alice.client.close());
  const tryJoin = await prober(port, join(dir, 'blank', 'x'));
  const accepted: string[] = [];
  for (const name of BLANKS) {
    const err = await tryJoin(name);
    if (err?.code !== 'bad_name') accepted.push(`${JSON.stringify(name)} (${err?.code ?? 'joined'})`);
  }
  assert.equal(accepted, [], 'every one is refused as bad_name');
});

test('refuses look-alikes of a known user who is away, also after a restart, and lets her back in', async () => {
  const home = join(dir, 'away', 'server');
  const first = await startServer(home);
  const alice = await joinClient(first.port, join(dir, 'away', 'alice'), 'alice');
  await alice.client.close();
  await waitFor(() => first.server.users().length === 0, 5000, 'alice to leave');
  const tryJoin = await prober(first.port, join(dir, 'away', 'x'));
  for (const name of LOOKALIKES) {
    const err = await tryJoin(name);
    assert.is(err?.code, 'name_taken', `${JSON.stringify(name)} is refused while alice is away`);
    assert.match(err!.message, /looks like alice, who has been in this room before/);
  }
  for (const name of BLANKS) {
    const err = await tryJoin(name);
    assert.is(err?.code, 'bad_name', `${JSON.stringify(name)} is refused as bad_name while alice is away`);
  }
  await first.server.stop();
  cleanup.splice(0);
  const names = JSON.parse(await readFile(join(home, 'names.json'), 'utf8')) as { names: string[] };
  assert.ok(names.names.includes('alice'), 'names.json holds alice');

  const again = await startServer(home);
  cleanup.push(() => again.server.stop());
  const tryAgain = await prober(again.port, join(dir, 'away', 'x'));
  const err = await tryAgain('\u0430lice');
  assert.is(err?.code, 'name_taken', 'still refused after a restart');
  assert.is(await tryAgain('Alice'), undefined, 'alice herself (any case) gets in');
});

test('a server upgraded without names.json knows the senders of its recent history', async () => {
  const home = join(dir, 'upgrade', 'server');
  const first = await startServer(home);
  const budi = await joinClient(first.port, join(dir, 'upgrade', 'budi'), 'budi');
  budi.client.send('hello');
  await waitFor(() => budi.delivered.length === 1, 5000, 'the message to be stored');
  await budi.client.close();
  await first.server.stop();
  await removeDir(join(home, 'names.json'));
  const again = await startServer(home);
  cleanup.push(() => again.server.stop());
  const err = await (await prober(again.port, join(dir, 'upgrade', 'x')))('bud\u0456');  // Cyrillic і
  assert.is(err?.code, 'name_taken');
  assert.match(err!.message, /looks like budi/);
});

test.run();
