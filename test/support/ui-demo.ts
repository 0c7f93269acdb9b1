// Runs a window against the fake core, for looking at it without a network or keys:
//   node --import tsx test/support/ui-demo.ts client     (password: secret; "bob" chats every few seconds)
//   node --import tsx test/support/ui-demo.ts server
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runClientWindow } from '../../lib/ui/client-app.ts';
import { runServerWindow } from '../../lib/ui/server-app.ts';
import { FakeClient, fakeClientFactory, FakeRoom, fakeServerFactory } from './fake-core.ts';

/** How often the demo bot says something, in ms. */
const BOT_EVERY_MS = 4_000;
const LINES = ['anyone up for lunch?', 'the build is green again', 'see you at the meeting', '{not a tag} and ünïcödé ✓'];

async function bot(room: FakeRoom, name: string): Promise<FakeClient> {
  const c = new FakeClient(room, { host: 'demo', port: 1, historyDir: '', trust: async () => true, onProgress: () => {} });
  await c.connect();
  await c.authenticate(room.password);
  await c.join(name);
  return c;
}

async function main(which: string): Promise<number> {
  const room = new FakeRoom();
  const historyDir = await mkdtemp(join(tmpdir(), 'obrolan-demo-'));
  room.stored.set('alice', [{ id: 'h1', seq: 1, from: 'bob', text: 'this is from an earlier session', encrypted: false, ts: Date.now() - 86_400_000 }]);
  let n = 0;
  const timer = setInterval(() => {
    if (!room.names().includes('bob')) return;
    const text = LINES[n++ % LINES.length]!;
    room.say('bob', text, n % 2 === 0);
  }, BOT_EVERY_MS);
  try {
    if (which === 'server') {
      setTimeout(() => void bot(room, 'bob').then(() => bot(room, 'carol')), 8_000).unref();
      return await runServerWindow({ historyDir, password: 'secret' }, { createServer: fakeServerFactory(room) });
    }
    await bot(room, 'bob');
    return await runClientWindow({ historyDir, host: '192.168.1.5', username: 'alice' }, { createClient: fakeClientFactory(room) });
  } finally {
    clearInterval(timer);
  }
}

main(process.argv[2] ?? 'client').then((code) => process.exit(code));
