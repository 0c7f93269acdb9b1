// Sending files (issue 19): offer, accept, decline, cancel, safe names, and a third member who receives
// nothing, between real clients and a real server on 127.0.0.1.
// The file transfer suites are named xfer-* so that test/run.ts (sorted, two at a time) runs them last: they
// are CPU-heavy, and beside test/e2e/windows.test.ts (whose waits are scaled once, at its start) they made it
// time out on this 2-core machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { joinClient, type Recorder, removeDir, startServer, tempDir, waitFor } from './support/chat-harness.ts';
import { FileEvents, seededFile, sha256 } from './support/files.ts';
import type { ChatServer } from '../lib/chat/server.ts';
import { runFileCommand } from '../lib/chat/file-commands.ts';
import { FILE_CHUNK_KIND, offerSignedBytes, type FileOffer } from '../lib/e2e/file-crypto.ts';
import type { ClientKeys } from '../lib/e2e/keys.ts';
import { constants, sign } from 'node:crypto';
import { mkdir } from 'node:fs/promises';

let dir = '';
let server: ChatServer;
let port = 0;
const cleanup: Array<() => Promise<unknown> | void> = [];
let ani: Recorder; let budi: Recorder; let citra: Recorder;
let aniF: FileEvents; let budiF: FileEvents; let citraF: FileEvents;
/** Every message the third member's client was given, as bytes: must hold no chunk. */
const citraChunks: Buffer[] = [];

test.before(async () => {
  dir = await tempDir('obrolan-files-');
  ({ server, port } = await startServer(join(dir, 'server')));
  cleanup.push(() => server.stop());
  for (const name of ['ani', 'budi', 'citra']) {
    const r = await joinClient(port, join(dir, name), name);
    cleanup.push(() => r.client.close());
    if (name === 'ani') ani = r; else if (name === 'budi') budi = r; else citra = r;
  }
  aniF = new FileEvents(ani.client); budiF = new FileEvents(budi.client); citraF = new FileEvents(citra.client);
  const orig = citra.client.files.chunk.bind(citra.client.files);
  citra.client.files.chunk = (buf: Buffer) => { citraChunks.push(buf); orig(buf); };
  await waitFor(() => ani.client.users().length === 3 && budi.client.users().length === 3, 10_000, 'everyone in the room');
});
test.after(async () => {
  for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {});
  await removeDir(dir);
});

test('a file sent to one member arrives whole under downloads/, the sender hears it is done, the third member gets nothing', async () => {
  const src = join(dir, 'report.pdf');
  const bytes = await seededFile(src, 300_000, 19);
  const [id] = await ani.client.files.send('budi', src);
  await waitFor(() => budiF.offers.length === 1, 10_000, 'the offer');
  const offer = budiF.offers[0]!;
  assert.is(offer.id, id);
  assert.is(offer.from, 'ani');
  assert.is(offer.name, 'report.pdf');
  assert.is(offer.size, 300_000);
  assert.is(offer.sha256, sha256(bytes));
  assert.is(offer.keys, 'new');
  // Nothing is written before acceptance.
  assert.equal(await readdir(join(dir, 'budi')).then((l) => l.filter((n) => n === 'downloads')), []);
  assert.equal(budi.client.files.offers(), [id], 'waiting for an answer');
  assert.equal(ani.client.files.offers(), [], 'our own offer is not one to answer');
  // "/accept" alone takes the only offer waiting.
  assert.is((await runFileCommand(budi.client.files, [], '/accept'))!.line, `accepted ${id!.slice(0, 8)}`);
  assert.equal(budi.client.files.offers(), [], 'answered');
  await waitFor(() => budiF.done.length === 1 && aniF.done.length === 1, 20_000, 'done on both sides');
  const path = budiF.done[0]!.path as string;
  assert.is(path, join(dir, 'budi', 'downloads', 'report.pdf'));
  assert.ok((await readFile(path)).equals(bytes), 'the same bytes');
  assert.is(budiF.done[0]!.sha256, sha256(bytes));
  assert.is(aniF.done[0]!.id, id);
  assert.equal(await readdir(join(dir, 'budi', 'downloads')), ['report.pdf'], 'no temporary file left');
  assert.is(citraF.offers.length, 0, 'the third member saw no offer');
  assert.is(citraChunks.length, 0, 'the third member received no chunk');
  assert.is(server.files.size, 0, 'the server forgot the transfer');
});

test('a second file of the same name is saved as "name (1).ext", never over the first', async () => {
  const src = join(dir, 'other', 'report.pdf');
  await mkdir(join(dir, 'other'));
  const bytes = await seededFile(src, 1000, 20);
  budiF.done.length = 0; aniF.done.length = 0; budiF.offers.length = 0;
  const [id] = await ani.client.files.send('budi', src);
  await waitFor(() => budiF.offers.length === 1, 10_000, 'the offer');
  await budi.client.files.accept(id!);
  await waitFor(() => budiF.done.length === 1, 20_000, 'done');
  assert.is(budiF.done[0]!.path, join(dir, 'budi', 'downloads', 'report (1).pdf'));
  assert.ok((await readFile(join(dir, 'budi', 'downloads', 'report (1).pdf'))).equals(bytes));
});

test('names like ../../etc/passwd and con.txt\\u202Egnp.exe are saved inside downloads/ with safe names', async () => {
  await mkdir(join(dir, 'evil'), { recursive: true });
  const names = ['passwd', 'con.txt\u202Egnp.exe'];
  const sent: string[] = [];
  for (const n of names) {
    await seededFile(join(dir, 'evil', n), 100, 21);
    budiF.offers.length = 0; budiF.done.length = 0;
    // The offered name is what the sender's client put in the signed offer: sign one with a hostile name.
    const [id] = await withOfferedName(n === 'passwd' ? '../../etc/passwd' : n, () => ani.client.files.send('budi', join(dir, 'evil', n)));
    await waitFor(() => budiF.offers.length === 1, 10_000, 'the offer');
    sent.push(budiF.offers[0]!.name as string);
    await budi.client.files.accept(id!);
    await waitFor(() => budiF.done.length === 1, 20_000, 'done');
    const path = budiF.done[0]!.path as string;
    assert.ok(path.startsWith(join(dir, 'budi', 'downloads') + '/'), `saved inside downloads: ${path}`);
    assert.not.match(path.slice(join(dir, 'budi', 'downloads').length + 1), /[/\\\u202E]|\.\./);
  }
  assert.is(sent[0], 'passwd');
  assert.is(sent[1], '_con.txtgnp.exe');
});

/** Runs `f` while the sender's offers carry `name`, signed (what a modified client could send). */
function withOfferedName<T>(name: string, f: () => Promise<T>): Promise<T> {
  return withOffer((o) => ({ ...o, name }), f);
}

/** Runs `f` while the sender's offers are changed by `change`, then signed again. */
async function withOffer<T>(change: (o: FileOffer) => FileOffer, f: () => Promise<T>): Promise<T> {
  const d = (ani.client.files as unknown as { d: { send: (m: unknown) => void } }).d;
  const send = d.send;
  const keys = (ani.client as unknown as { stores: { keys: ClientKeys } }).stores.keys;
  d.send = (m: unknown) => {
    const msg = m as { t: string; offer?: FileOffer };
    if (msg.t !== 'foffer' || !msg.offer) return send(m);
    const o = change(msg.offer);
    o.sig = sign('sha256', offerSignedBytes(o), { key: keys.sig.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64');
    return send({ t: 'foffer', offer: o });
  };
  try { return await f(); } finally { d.send = send; }
}

test('a file whose bytes do not match the signed sha-256 is not saved: file_failed on both sides, no file left', async () => {
  const src = join(dir, 'liar.bin');
  await seededFile(src, 100_000, 24);
  budiF.offers.length = 0;
  const before = await readdir(join(dir, 'budi', 'downloads'));
  // The sender's client signs another hash than the file's (a file changed after hashing looks the same).
  const [id] = await withOffer((o) => ({ ...o, sha256: 'ab'.repeat(32) }), () => ani.client.files.send('budi', src));
  await waitFor(() => budiF.offers.length === 1, 10_000, 'the offer');
  await budi.client.files.accept(id!);
  await waitFor(() => budiF.failed.some((f) => f.id === id) && aniF.failed.some((f) => f.id === id), 20_000, 'failed on both sides');
  assert.is(budiF.failed.find((f) => f.id === id)!.reason, 'the file did not match its SHA-256');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await readdir(join(dir, 'budi', 'downloads')), before, 'nothing saved, no temporary file');
});

test('a declined offer writes nothing and the sender hears "declined"', async () => {
  const src = join(dir, 'declined.txt');
  await seededFile(src, 5000, 22);
  budiF.offers.length = 0;
  const before = await readdir(join(dir, 'budi', 'downloads'));
  const [id] = await ani.client.files.send('budi', src);
  await waitFor(() => budiF.offers.length === 1, 10_000, 'the offer');
  budi.client.files.decline(id!);
  await waitFor(() => aniF.failed.some((f) => f.id === id), 10_000, 'the sender told');
  assert.is(aniF.failed.find((f) => f.id === id)!.reason, 'declined');
  assert.equal(await readdir(join(dir, 'budi', 'downloads')), before, 'nothing written');
  assert.is(server.files.size, 0);
});

test('a transfer cancelled by the recipient midway stops on both sides and leaves no partial file', async () => {
  const src = join(dir, 'big.bin');
  await seededFile(src, 3 * 1024 * 1024, 23);
  budiF.offers.length = 0; budiF.progress.length = 0;
  const before = await readdir(join(dir, 'budi', 'downloads'));
  const [id] = await ani.client.files.send('budi', src);
  await waitFor(() => budiF.offers.length === 1, 10_000, 'the offer');
  await budi.client.files.accept(id!);
  await waitFor(() => budiF.progress.some((p) => p.id === id), 20_000, 'some progress');
  await budi.client.files.cancel(id!);
  await waitFor(() => aniF.failed.some((f) => f.id === id) && budiF.failed.some((f) => f.id === id), 10_000, 'both ended');
  assert.is(aniF.failed.find((f) => f.id === id)!.reason, 'cancelled');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await readdir(join(dir, 'budi', 'downloads')), before, 'no partial file');
  assert.is(server.files.size, 0);
});

test('a transfer cancelled by the sender ends for the recipient', async () => {
  const src = join(dir, 'big.bin');
  budiF.offers.length = 0;
  const [id] = await ani.client.files.send('budi', src);
  await waitFor(() => budiF.offers.length === 1, 10_000, 'the offer');
  await ani.client.files.cancel(id!);
  await waitFor(() => budiF.failed.some((f) => f.id === id), 10_000, 'the recipient told');
  assert.is(budiF.failed.find((f) => f.id === id)!.reason, 'cancelled');
});

test('chat is not held back by a transfer: a message sent once the file is moving reaches its recipient before the file is done', async () => {
  const src = join(dir, 'eight.bin');
  await seededFile(src, 8 * 1024 * 1024, 25);
  budiF.offers.length = 0; budiF.progress.length = 0; budiF.done.length = 0;
  const [id] = await ani.client.files.send('budi', src);
  await waitFor(() => budiF.offers.length === 1, 10_000, 'the offer');
  await budi.client.files.accept(id!);
  await waitFor(() => budiF.progress.some((p) => p.id === id), 20_000, 'the file moving');
  let chatAt = 0;
  let doneAt = 0;
  budi.client.on('message', (m: { text: string }) => { if (m.text === 'during the file' && !chatAt) chatAt = Date.now(); });
  budi.client.on('file_done', (e: { id: string }) => { if (e.id === id) doneAt = Date.now(); });
  citra.client.send('during the file');
  await waitFor(() => doneAt > 0, 60_000, 'the file');
  assert.ok(chatAt > 0 && chatAt <= doneAt, 'the chat message arrived while the file was still coming');
});

test('the third member never received a chunk of anything', () => {
  assert.ok(citraChunks.every((b) => b[0] !== FILE_CHUNK_KIND));
  assert.is(citraChunks.length, 0);
  assert.is(citraF.offers.length, 0);
});

test.run();
