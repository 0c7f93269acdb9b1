// One forged reply must not stop a client for good: a SERVER_HELLO signed by another key than the pinned
// one is ignored while the real server may still answer; the mismatch is reported only when nothing
// signed by the pinned key came before the timeout. A scripted server on 127.0.0.1 plays both.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { ChatError } from '../lib/errors.ts';
import { generateRsaKeyPair, type RsaKeyPair } from '../lib/keyfile.ts';
import { connectSecure } from '../lib/net/client-endpoint.ts';
import { helloTranscript, makeEphemeral, signTranscript } from '../lib/session/keys.ts';
import { decodePacket, encodePacket } from '../lib/wire.ts';

let real: RsaKeyPair;
let forger: RsaKeyPair;
const sockets: dgram.Socket[] = [];

test.before(async () => { [real, forger] = await Promise.all([generateRsaKeyPair(2048), generateRsaKeyPair(2048)]); });
test.after.each(() => { for (const s of sockets.splice(0)) s.close(); });

/** A server that answers a HELLO with cookie by SERVER_HELLOs signed by `signers`, in order, `gapMs` apart. */
async function scripted(signers: RsaKeyPair[], gapMs: number): Promise<number> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  let answered = false;
  s.on('message', (buf, rinfo) => {
    const p = decodePacket(buf);
    if (p.type !== 'hello') return;
    if (p.cookie.length === 0) {
      s.send(encodePacket({ type: 'retry', connId: p.connId, pn: 0, cookie: Buffer.alloc(17, 7) }), rinfo.port, rinfo.address);
      return;
    }
    if (answered) return;
    answered = true;
    signers.forEach((key, i) => setTimeout(async () => {
      const eph = makeEphemeral();
      const transcript = helloTranscript(p.connId, p.clientPub, eph.publicRaw, key.spki);
      const signature = await signTranscript(key.privateKey, transcript);
      try { s.send(encodePacket({ type: 'server_hello', connId: p.connId, pn: 0, serverPub: eph.publicRaw, serverKey: key.spki, signature }), rinfo.port, rinfo.address); } catch { /* test over */ }
    }, i * gapMs));
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s.address().port;
}

test('a reply signed by another key is ignored, and the real one that follows is taken', async () => {
  const port = await scripted([forger, real], 150);
  const link = await connectSecure({ host: '127.0.0.1', port, pinned: real.fingerprint, trust: async () => false, timeoutMs: 3_000 });
  try {
    assert.is(link.fingerprint, real.fingerprint);
    assert.is(link.dropped.key_mismatch, 1, 'the forged reply was counted');
  } finally {
    link.close();
  }
});

test('when only another key answers, the client reports server_key_changed at the timeout, naming both keys', async () => {
  const port = await scripted([forger], 0);
  const started = Date.now();
  const err = await connectSecure({ host: '127.0.0.1', port, pinned: real.fingerprint, trust: async () => false, timeoutMs: 800 })
    .then(() => undefined, (e: unknown) => e);
  assert.instance(err, ChatError);
  assert.is((err as ChatError).code, 'server_key_changed');
  assert.ok((err as ChatError).message.includes(forger.fingerprint) && (err as ChatError).message.includes(real.fingerprint));
  assert.ok(Date.now() - started >= 700, 'not before the timeout');
});

test('a RETRY repeating the cookie the client sent is not answered at once: the client waits for its resend timer', async () => {
  // A server refusing for its rate answers every HELLO with the same cookie; answering each at once would
  // make the two bounce HELLO and RETRY as fast as the network allows.
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  let hellos = 0;
  s.on('message', (buf, rinfo) => {
    const p = decodePacket(buf);
    if (p.type !== 'hello') return;
    hellos++;
    s.send(encodePacket({ type: 'retry', connId: p.connId, pn: 0, cookie: Buffer.alloc(17, 9) }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const err = await connectSecure({ host: '127.0.0.1', port: s.address().port, pinned: real.fingerprint, trust: async () => false, timeoutMs: 1_500 })
    .then(() => undefined, (e: unknown) => e);
  assert.is((err as ChatError).code, 'timeout');
  // The first HELLO, the one with the cookie, then the resends at 400 + 800 ms.
  assert.ok(hellos <= 4, `${hellos} HELLOs in 1.5 s`);
});

test.run();
