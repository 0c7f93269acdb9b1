// The pieces of file transfers alone (issue 19): safe names, the signed offer, and chunk sealing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { safeFileName, numbered } from '../lib/chat/file-names.ts';
import { chunkKey, makeOffer, openChunk, openOffer, sealChunk } from '../lib/e2e/file-crypto.ts';
import { parseBundle } from '../lib/e2e/keys.ts';
import { removeDir, tempDir, testKeys } from './support/chat-harness.ts';

test('names are made safe: no folders, no "..", no controls or bidi, no reserved names, never empty', () => {
  const cases: Array<[string, string]> = [
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system.ini', 'system.ini'],
    ['con.txt\u202Egnp.exe', '_con.txtgnp.exe'],
    ['report\u0000\u001b[31m.pdf', 'report[31m.pdf'],
    ['a\u2066b\u2069\u200bc.txt', 'abc.txt'],
    ['..', 'file'],
    ['.', 'file'],
    ['', 'file'],
    ['  .hidden  ', 'hidden'],
    ['NUL', '_NUL'],
    ['what?<>|*.txt', 'what_____.txt'],
    ['résumé.pdf', 'résumé.pdf'],
  ];
  for (const [offered, want] of cases) assert.is(safeFileName(offered), want, JSON.stringify(offered));
  const long = safeFileName('x'.repeat(400) + '.pdf');
  assert.ok(Buffer.byteLength(long) <= 200 && long.endsWith('.pdf'), long);
  assert.is(numbered('a.tar', 2), 'a (2).tar');
  assert.is(numbered('README', 1), 'README (1)');
});

test('an offer opens for its recipient only; any change to a signed field, or another key, is refused', async () => {
  const dir = await tempDir('obrolan-files-crypto-');
  try {
    const ani = await testKeys(join(dir, 'ani'));
    const budi = await testKeys(join(dir, 'budi'));
    const aniPub = parseBundle(ani.bundle);
    const budiPub = parseBundle(budi.bundle);
    const { offer, key } = makeOffer({ from: 'ani', to: 'budi', room: 'SHA256:room', name: 'a.txt', size: 5, sha256: 'a'.repeat(64), chunk: 32768, sender: ani, recipient: budiPub });
    const open = (o: unknown, me = 'budi', mine = budi) => openOffer(o, { me, room: 'SHA256:room', mine, senderKeys: aniPub });
    const r = open(offer);
    assert.ok(r.ok && r.key.equals(key));
    assert.equal(open(offer, 'citra'), { ok: false, reason: 'wrong_context' });
    for (const change of [{ name: 'b.txt' }, { size: 6 }, { sha256: 'b'.repeat(64) }, { to: 'budi2' }]) {
      const res = open({ ...offer, ...change });
      assert.not.ok(res.ok, JSON.stringify(change));
    }
    // A key wrapped by someone else (the server, say) does not match the signed commitment.
    const other = makeOffer({ from: 'ani', to: 'budi', room: 'SHA256:room', name: 'a.txt', size: 5, sha256: 'a'.repeat(64), chunk: 32768, sender: ani, recipient: budiPub });
    assert.equal(open({ ...offer, wrap: other.offer.wrap }), { ok: false, reason: 'bad_key' });
    assert.equal(open({ ...offer, sig: other.offer.sig }), { ok: false, reason: 'bad_signature' });
    assert.equal(open({ ...offer, v: 2 }), { ok: false, reason: 'malformed' });
  } finally {
    await removeDir(dir);
  }
});

test('a chunk opens only at its own index, in its own transfer, with its own count; nonces never repeat', () => {
  const id = '00112233445566778899aabbccddeeff';
  const id2 = 'ffeeddccbbaa99887766554433221100';
  const k = chunkKey(Buffer.alloc(32, 7), id);
  const plain = Buffer.from('hello chunk');
  const c = sealChunk(k, id, 3, 10, plain);
  assert.ok(openChunk(k, id, 3, 10, c)!.equals(plain));
  assert.is(openChunk(k, id, 4, 10, c), undefined, 'another index');
  assert.is(openChunk(k, id, 3, 11, c), undefined, 'another count (a file cut short)');
  assert.is(openChunk(chunkKey(Buffer.alloc(32, 7), id2), id2, 3, 10, c), undefined, 'another transfer');
  const moved = Buffer.from(c); moved.writeUInt32BE(4, 17);
  assert.is(openChunk(k, id, 4, 10, moved), undefined, 'relabelled');
  const flipped = Buffer.from(c); flipped[40]! ^= 1;
  assert.is(openChunk(k, id, 3, 10, flipped), undefined, 'altered');
  const again = sealChunk(k, id, 3, 10, plain);
  assert.not.ok(again.subarray(21, 33).equals(c.subarray(21, 33)), 'a resent chunk gets a new nonce');
});

test.run();
