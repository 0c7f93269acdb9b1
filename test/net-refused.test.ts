// A port nobody listens on: the person is told what that means, not "recvmsg ECONNREFUSED".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSocket } from 'node:dgram';
import { connectSecure } from '../lib/net/client-endpoint.ts';

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

test('connecting to a port where nothing listens says so and asks about the server and the port', async () => {
  const port = await closedPort();
  const err = await connectSecure({ host: '127.0.0.1', port, pinned: undefined, trust: async () => true, timeoutMs: 5_000 })
    .then((link) => { link.close(); return undefined; }, (e: Error & { code?: string }) => e);
  assert.ok(err, 'the connection fails');
  assert.is(err!.message, `nothing is listening on 127.0.0.1:${port} — is the server started, and is the port right?`);
  assert.is(err!.code, 'server_gone');
});

test.run();
