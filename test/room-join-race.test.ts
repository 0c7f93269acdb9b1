// Members who join in the same turn (a burst of logins, handled in one slice of the server's login queue)
// each learn of the others: a member is not live while its replay is sent, so the joins and leaves of that
// moment reach it as a fresh list of who is here once it is live. Real server and clients on 127.0.0.1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { ChatClient } from '../lib/chat/client.ts';
import { PASSWORD, removeDir, startServer, tempDir, testKeys, waitFor } from './support/chat-harness.ts';

const NAMES = ['ana', 'budi', 'citra', 'dewi', 'eka', 'fajar'];

test('six members joining at once each see all six', async () => {
  const dir = await tempDir('obrolan-join-race-');
  const { server, port } = await startServer(join(dir, 'server'));
  const clients: ChatClient[] = [];
  try {
    for (const name of NAMES) {
      const home = join(dir, name);
      const c = new ChatClient({ host: '127.0.0.1', port, historyDir: home, keys: await testKeys(home) });
      clients.push(c);
      await c.connect();
      await c.authenticate(PASSWORD);
    }
    await Promise.all(clients.map((c, i) => c.join(NAMES[i]!)));
    await waitFor(() => clients.every((c) => c.users().length === NAMES.length), 5_000, 'everyone sees everyone');
    for (const c of clients) assert.equal([...c.users()].sort(), [...NAMES].sort(), `${c.name} sees the room`);
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await server.stop();
    await removeDir(dir);
  }
});

test.run();
