import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPLAY_MAX } from '../lib/constants.ts';
import Datastore from 'nedb-promises';
import { RoomHistory, type StoredMessage } from '../lib/history/room.ts';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2024, 2, 10, 12, 0, 0); // 2024-03-10, noon UTC
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'obrolan-history-'));
  dirs.push(dir);
  return dir;
}

function msg(seq: number, ts = T0 + seq): StoredMessage {
  return { seq, id: `m${seq}`, from: `user${seq % 7}`, ts, text: `hello ${seq}` };
}

/** Appends seq from..to, all in one turn, and waits for them. */
async function fill(h: RoomHistory, from: number, to: number): Promise<void> {
  const all: Promise<void>[] = [];
  for (let seq = from; seq <= to; seq++) all.push(h.append(msg(seq)));
  await Promise.all(all);
}

/** Passes when `fn` rejects and `check` accepts the error (uvu 0.5 has no assert.rejects). */
async function rejects(fn: () => Promise<unknown>, check: (e: Error) => boolean): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.ok(check(err as Error), `unexpected error: ${String(err)}`);
    return;
  }
  assert.unreachable('expected a rejection');
}

const isRange = (e: Error): boolean => e instanceof RangeError;
const isType = (e: Error): boolean => e instanceof TypeError;

function seqs(messages: StoredMessage[]): number[] {
  return messages.map((m) => m.seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

async function roomFiles(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'room'))).sort();
}

test.after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('returns appended messages gap-free and ascending from since()', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0 });
  await fill(h, 1, 30);
  assert.is(h.lastSeq, 30);
  const all = await h.since(0);
  assert.equal(seqs(all.messages), range(1, 30));
  assert.is(all.missed, 0);
  assert.equal(all.messages[4], msg(5));
  const tail = await h.since(25);
  assert.equal(seqs(tail.messages), range(26, 30));
  assert.equal(await h.since(30), { messages: [], missed: 0 });
  await h.close();
});

test('serves only the newest REPLAY_MAX and counts the older ones as missed', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0 });
  await fill(h, 1, 500);
  const r = await h.since(0);
  assert.equal(seqs(r.messages), range(500 - REPLAY_MAX + 1, 500));
  assert.is(r.missed, 500 - REPLAY_MAX);
  const r2 = await h.since(250, 10);
  assert.equal(seqs(r2.messages), range(491, 500));
  assert.is(r2.missed, 240);
  const r3 = await h.since(0, 450);
  assert.equal(seqs(r3.messages), range(51, 500));
  assert.is(r3.missed, 50);
  await h.close();
});

test('writes the appends of one event-loop turn with one insertMany', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0 });
  const before = h.stats.writes;
  await fill(h, 1, 300);
  assert.is(h.stats.writes - before, 1);
  await fill(h, 301, 302);
  assert.is(h.stats.writes - before, 2);
  assert.equal(seqs((await h.since(0, 1000)).messages), range(1, 302));
  await h.close();
});

test('writes files that NeDB itself loads, with every message as a document', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0 });
  await fill(h, 1, 3);
  await h.append({ seq: 4, id: 'e4', from: 'ani', ts: T0, envelope: { 'a.b': 1, text: 'line\nbreak "quoted"' } });
  await h.append({ seq: 5, id: 'm5', from: 'Zoë', ts: T0, text: 'ünïcode ✓, a \u2028 separator and a \u0085 next line' });
  await h.close();
  const db = Datastore.create({ filename: join(dir, 'room', '2024-03-10.db') });
  await db.load();
  const docs = (await db.find({ seq: { $gt: 0 } })) as Array<Record<string, unknown>>;
  assert.equal(docs.map((d) => d.seq).sort(), [1, 2, 3, 4, 5]);
  assert.is(docs.find((d) => d.seq === 5)!.text, 'ünïcode ✓, a \u2028 separator and a \u0085 next line');
  assert.is((await db.find({ _id: '~base' })).length, 1, 'the segment opens with its base record');
});

test('refuses a room seq that would leave a gap, without disturbing the next append', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0 });
  await fill(h, 1, 3);
  await rejects(() => h.append(msg(5)), (e) => e instanceof RangeError && /must be 4/.test(e.message));
  await rejects(() => h.append(msg(3)), isRange);
  await rejects(() => h.append({ ...msg(4), ts: Number.NaN }), isType);
  await h.append(msg(4));
  assert.is(h.lastSeq, 4);
  await h.close();
});

test('stores an envelope as is, even with field names NeDB would refuse', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0 });
  const envelope = { 'a.b': 1, $weird: [1, { 'x.y': 'z' }], wrapped: { budi: 'AAEC' } };
  await h.append({ seq: 1, id: 'e1', from: 'ani', ts: T0, envelope });
  await h.close();
  const again = await RoomHistory.open(dir, { now: () => T0 });
  const [m] = (await again.since(0)).messages;
  assert.equal(m, { seq: 1, id: 'e1', from: 'ani', ts: T0, envelope });
  await again.close();
});

test('keeps direct messages out of the room sequence', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0 });
  await fill(h, 1, 2);
  await h.append({ seq: 0, id: 'd1', from: 'ani', to: 'budi', ts: T0, envelope: { c: 'x' } });
  await h.append(msg(3));
  await rejects(() => h.append({ seq: 0, id: 'd2', from: 'ani', ts: T0, text: 'no recipient' }), isType);
  assert.is(h.lastSeq, 3);
  assert.equal(seqs((await h.since(0)).messages), [1, 2, 3]);
  await h.close();
  const file = await readFile(join(dir, 'room', '2024-03-10.db'), 'utf8');
  assert.ok(file.includes('"to":"budi"'), 'the direct message is on disk');
});

test('keeps lastSeq and the messages across reopen and continues the sequence', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0 });
  await fill(h, 1, 42);
  await h.close();
  const h2 = await RoomHistory.open(dir, { now: () => T0 + 1000 });
  assert.is(h2.lastSeq, 42);
  await rejects(() => h2.append(msg(42)), isRange);
  await h2.append(msg(43));
  await h2.close();
  const h3 = await RoomHistory.open(dir, { now: () => T0 + 2000 });
  assert.equal(seqs((await h3.since(0)).messages), range(1, 43));
  await h3.close();
});

test('close() waits for appends still pending', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0 });
  const pending: Promise<void>[] = [];
  for (let seq = 1; seq <= 50; seq++) pending.push(h.append(msg(seq)));
  await h.close();
  const results = await Promise.allSettled(pending);
  assert.ok(results.every((r) => r.status === 'fulfilled'));
  await rejects(() => h.append(msg(51)), (e) => /closed/.test(e.message));
  const h2 = await RoomHistory.open(dir, { now: () => T0 });
  assert.is(h2.lastSeq, 50);
  await h2.close();
});

test('rejects the appends of a failed write, frees their seqs and recovers', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0 });
  await fill(h, 1, 3);
  const file = join(dir, 'room', '2024-03-10.db');
  // A directory where the day file was: every write to it fails.
  await rm(file);
  await mkdir(file);
  const failed = await Promise.allSettled([h.append(msg(4)), h.append(msg(5))]);
  assert.equal(failed.map((r) => r.status), ['rejected', 'rejected']);
  assert.is(h.lastSeq, 3);
  await rejects(() => h.append(msg(4)), (e) => /EISDIR|illegal operation/i.test(e.message));
  await rm(file, { recursive: true });
  await h.append(msg(4));
  await h.append(msg(5));
  assert.is(h.lastSeq, 5);
  await h.close();
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.includes('"seq"'));
  assert.equal(lines.map((l) => (JSON.parse(l) as StoredMessage).seq).sort(), [4, 5]);
});

test('starts a new file each UTC day', async () => {
  const dir = await tempDir();
  let now = T0;
  const h = await RoomHistory.open(dir, { now: () => now });
  await fill(h, 1, 3);
  now = T0 + DAY_MS;
  await fill(h, 4, 5);
  await h.close();
  assert.equal(await roomFiles(dir), ['2024-03-10.db', '2024-03-11.db']);
  const h2 = await RoomHistory.open(dir, { now: () => now });
  assert.equal(seqs((await h2.since(0)).messages), range(1, 5));
  await h2.close();
});

test('rolls to a new segment at segmentMax and reopen reads only the newest segments it needs', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0, segmentMax: 100 });
  for (let start = 1; start <= 1000; start += 130) await fill(h, start, Math.min(1000, start + 129));
  await h.close();
  const files = await roomFiles(dir);
  assert.is(files.length, 10);
  assert.equal(files.slice(0, 3), ['2024-03-10-002.db', '2024-03-10-003.db', '2024-03-10-004.db']);
  assert.ok(files.includes('2024-03-10.db') && files.includes('2024-03-10-010.db'));
  for (const f of files) {
    const lines = (await readFile(join(dir, 'room', f), 'utf8')).split('\n').filter((l) => l.includes('"seq"'));
    assert.is(lines.length, 100, `${f} holds segmentMax messages`);
  }
  // The oldest segments (seq 1..500) must not be read at all: make them garbage, then watch for warnings.
  const oldest = ['2024-03-10.db', '2024-03-10-002.db', '2024-03-10-003.db', '2024-03-10-004.db', '2024-03-10-005.db'];
  for (const f of oldest) await writeFile(join(dir, 'room', f), 'garbage, not NDJSON\n');
  const warnings: string[] = [];
  const h2 = await RoomHistory.open(dir, { now: () => T0, segmentMax: 100, onWarning: (w) => warnings.push(w) });
  assert.is(h2.stats.filesRead, 2);
  assert.equal(warnings, []);
  assert.is(h2.lastSeq, 1000);
  const r = await h2.since(0);
  assert.equal(seqs(r.messages), range(801, 1000));
  assert.is(r.missed, 800);
  assert.is(h2.stats.filesRead, 2, 'since() with the default limit is served from memory');
  const older = await h2.since(550, 1000);
  assert.equal(seqs(older.messages), range(551, 1000));
  assert.is(h2.stats.filesRead, 7);
  await h2.append(msg(1001));
  await h2.close();
  assert.ok((await roomFiles(dir)).includes('2024-03-10-011.db'), 'the full newest segment is not written to');
});

test('retention deletes old day files but never the newest, so lastSeq survives', async () => {
  const dir = await tempDir();
  let now = T0 - 10 * DAY_MS;
  const h = await RoomHistory.open(dir, { now: () => now });
  await fill(h, 1, 5);
  now = T0 - 5 * DAY_MS;
  await fill(h, 6, 8);
  now = T0;
  await fill(h, 9, 10);
  await h.close();
  await writeFile(join(dir, 'room', '2024-02-29.db.torn-1'), 'x');
  const h2 = await RoomHistory.open(dir, { now: () => T0, retentionDays: 7 });
  assert.equal(await roomFiles(dir), ['2024-03-05.db', '2024-03-10.db']);
  assert.is(h2.lastSeq, 10);
  const r = await h2.since(0);
  assert.equal(seqs(r.messages), range(6, 10));
  assert.is(r.missed, 5);
  await h2.close();
  const later = T0 + 30 * DAY_MS;
  const h3 = await RoomHistory.open(dir, { now: () => later, retentionDays: 7 });
  assert.equal(await roomFiles(dir), ['2024-03-10.db']);
  assert.is(h3.lastSeq, 10);
  // Today's new file gets only a direct message: no room seq in it at all.
  await h3.append({ seq: 0, id: 'd1', from: 'ani', to: 'budi', ts: later, text: 'hi' });
  await h3.close();
  const h4 = await RoomHistory.open(dir, { now: () => later, retentionDays: 0 });
  assert.equal(await roomFiles(dir), ['2024-04-09.db'], 'only the newest file remains');
  assert.is(h4.lastSeq, 10, 'the new segment recorded the seq before it');
  await h4.append(msg(11, later));
  await h4.close();
});

test('opens after a torn last line, keeps every whole line, warns and saves the torn bytes', async () => {
  const dir = await tempDir();
  const h = await RoomHistory.open(dir, { now: () => T0 });
  await fill(h, 1, 5);
  await h.close();
  const file = join(dir, 'room', '2024-03-10.db');
  const torn = JSON.stringify({ ...msg(6), _id: 'abc' }).slice(0, 37);
  await appendFile(file, torn);
  const warnings: string[] = [];
  const h2 = await RoomHistory.open(dir, { now: () => T0, onWarning: (w) => warnings.push(w) });
  assert.is(h2.lastSeq, 5);
  assert.equal(seqs((await h2.since(0)).messages), range(1, 5));
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, file);
  assert.match(warnings[0]!, /torn last line \(37 bytes/);
  const saved = (await roomFiles(dir)).filter((f) => f.startsWith('2024-03-10.db.torn-'));
  assert.is(saved.length, 1);
  assert.is(await readFile(join(dir, 'room', saved[0]!), 'utf8'), torn);
  await h2.append(msg(6));
  await h2.close();
  const again: string[] = [];
  const h3 = await RoomHistory.open(dir, { now: () => T0, onWarning: (w) => again.push(w) });
  assert.equal(again, []);
  assert.equal(seqs((await h3.since(0)).messages), range(1, 6));
  await h3.close();
});

test('drops a corrupt line in the middle of a file and keeps the lines around it', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'room'), { recursive: true });
  const line = (seq: number): string => JSON.stringify({ ...msg(seq), _id: `id${seq}` });
  const body = [line(1), line(2), '{"seq":3,"id":"m3",\u0000garbage', line(3), line(4)].join('\n') + '\n';
  await writeFile(join(dir, 'room', '2024-03-10.db'), body);
  const warnings: string[] = [];
  const h = await RoomHistory.open(dir, { now: () => T0, onWarning: (w) => warnings.push(w) });
  assert.equal(seqs((await h.since(0)).messages), [1, 2, 3, 4]);
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /corrupt line 3/);
  await h.append(msg(5));
  await h.close();
});

test('opens 100,000 stored messages quickly (time printed)', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'room'), { recursive: true });
  // 11 day files written as NDJSON directly, ending today (real clock): 10 older days of about 9,000
  // messages and today's file one short of segmentMax, so open has to load it for appending.
  const today = Date.now();
  let seq = 0;
  const days: Array<[number, number]> = [[10, 9_001]];
  for (let d = 9; d >= 1; d--) days.push([d, 9_000]);
  days.push([0, 9_999]);
  for (const [d, n] of days) {
    const day = new Date(today - d * DAY_MS).toISOString().slice(0, 10);
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      seq++;
      lines.push(JSON.stringify({ seq, id: `m${seq}`, from: `user${seq % 13}`, ts: today - d * DAY_MS + i, text: `message number ${seq}`, _id: `r${seq}` }));
    }
    await writeFile(join(dir, 'room', `${day}.db`), lines.join('\n') + '\n');
  }
  assert.is(seq, 100_000);
  const started = performance.now();
  const h = await RoomHistory.open(dir);
  const ms = performance.now() - started;
  console.log(`    open with 100,000 messages in ${days.length} files: ${ms.toFixed(0)} ms (${h.stats.filesRead} file(s) read)`);
  assert.is(h.lastSeq, 100_000);
  const r = await h.since(99_990);
  assert.equal(seqs(r.messages), range(99_991, 100_000));
  await h.append(msg(100_001, today));
  assert.is(h.stats.segments, 11, 'the append went into today\'s file');
  await h.close();
});

test.run();
