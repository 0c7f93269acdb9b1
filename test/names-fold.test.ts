// The dotless-i fold is the same in every place that folds a name: the server's name key, the client's
// roster, key pins (KnownUsers, in memory and on disk), the key directory's "keys changed" warning, the
// client's history file and the window's colours. Before lib/names.ts, the server folded "Alı" to "ali"
// and the key pins to "alı", so an impostor "Alı" got no warning while Ali was away.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkUsername, usernameKey } from '../lib/chat/username.ts';
import { MemoryVerifiedUsers } from '../lib/history/trust.ts';
import { KeyDirectory } from '../lib/chat/key-directory.ts';
import { Roster } from '../lib/chat/roster.ts';
import { KnownUsers } from '../lib/history/room.ts';
import { MemoryKnownUsers } from '../lib/history/memory.ts';
import { userKey } from '../lib/history/store.ts';
import { nameColour } from '../lib/ui/format.ts';
import { foldName } from '../lib/names.ts';

const SPELLINGS = ['Ali', 'Alı', 'ALİ', 'ALI', 'ali', 'Al\u0131', 'AL\u0130'];

test('the server key, the history key and foldName agree on every spelling of Ali', () => {
  for (const s of SPELLINGS) {
    const c = checkUsername(s);
    assert.ok(c.ok, s);
    assert.is(c.ok && c.key, 'ali', `server key of ${s}`);
    assert.is(usernameKey(s), 'ali');
    assert.is(userKey(s), 'ali', `history key of ${s}`);
    assert.is(foldName(s), 'ali');
    assert.is(nameColour(s), nameColour('ali'), `colour of ${s}`);
  }
});

test('the roster finds Ali under any spelling', () => {
  const r = new Roster({ saw() {}, join() {}, leave() {}, changed() {} });
  r.reset(['Ali', 'budi']);
  for (const s of SPELLINGS) assert.is(r.find(s), 'Ali', s);
});

test('a key pinned for Ali is the pin of Alı, in memory and on disk', async () => {
  const mem = new MemoryKnownUsers();
  await mem.set('Ali', 'fpA', 1);
  assert.is(mem.get('Alı')?.keys, 'fpA');
  const dir = await mkdtemp(join(tmpdir(), 'obrolan-fold-'));
  try {
    const known = await KnownUsers.open(dir, '127.0.0.1:1');
    await known.set('Ali', 'fpA', 1);
    for (const s of SPELLINGS) assert.is(known.get(s)?.keys, 'fpA', s);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an impostor Alı with other keys gets the "keys changed" warning meant for Ali', async () => {
  const warnings: string[] = [];
  const dir = new KeyDirectory(new MemoryKnownUsers(), new MemoryVerifiedUsers(), async () => ({}), (w) => warnings.push(w));
  await dir.saw({ name: 'Ali', keys: 'fp-of-ali' }, 1);
  await dir.saw({ name: 'Alı', keys: 'fp-of-impostor' }, 2);
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /keys of Alı changed/);
});

test.run();
