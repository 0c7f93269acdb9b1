// Start-up costs: the server with 100,000 messages of history (time to "listening"), the replay of 200
// missed messages to a rejoining client, and `client.ts --no-ui` from process start to `ready`.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SERVER_RSA_BITS } from '../lib/constants.ts';
import { ChatClient } from '../lib/chat/client.ts';
import { ClientHistory, SEGMENT_MAX_DEFAULT } from '../lib/history/room.ts';
import { BASE_ID, toRow } from '../lib/history/rows.ts';
import { dayOf, makeSegment } from '../lib/history/segments.ts';
import { loadOrCreateKeyPair } from '../lib/keyfile.ts';
import { BENCH_PASSWORD, freshDir, round2, startBenchServer, type BenchContext, type Row } from './context.ts';
import { spawnTs } from './procs.ts';
import { TEXT_BYTES } from './load.ts';

/** History: messages per earlier day, earlier days, and messages today (a segment half full, as after a restart mid-day). */
const HISTORY_PER_DAY = 10_500;
const HISTORY_DAYS = 9;
const HISTORY_TODAY = 5_500;
/** Messages a rejoining client has missed. */
const REPLAY_COUNT = 200;
/** Timed runs per start-up figure (the median is reported); one with --quick. */
const RUNS = 3;
const runsOf = (ctx: BenchContext): number => (ctx.quick ? 1 : RUNS);
const MS_PER_DAY = 86_400_000;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[(s.length - 1) >> 1]! : NaN;
};

/** A NeDB-style random _id (16 characters), as NeDB gives documents inserted without one. */
function nedbId(): string {
  return randomBytes(12).toString('base64').replace(/[+/]/g, 'x').slice(0, 16);
}

/**
 * Writes the room history as NeDB lines directly, in the format RoomHistory writes (toRow, a base document
 * opening each segment, segment files per day of SEGMENT_MAX_DEFAULT messages): much faster than inserting
 * through NeDB. Returns the last seq.
 */
async function makeHistory(dir: string): Promise<number> {
  const room = join(dir, 'room');
  await mkdir(room, { recursive: true, mode: 0o700 });
  const today = Date.now();
  let seq = 0;
  const text = 'y'.repeat(TEXT_BYTES);
  for (let d = HISTORY_DAYS; d >= 0; d--) {
    const clock = today - d * MS_PER_DAY;
    const count = d === 0 ? HISTORY_TODAY : HISTORY_PER_DAY;
    for (let index = 1, left = count; left > 0; index++) {
      const n = Math.min(left, SEGMENT_MAX_DEFAULT);
      const lines = [JSON.stringify({ _id: BASE_ID, baseSeq: seq })];
      for (let i = 0; i < n; i++) {
        seq++;
        lines.push(JSON.stringify({ ...toRow({ seq, id: `m${seq}`, from: `user${seq % 50}`, ts: clock - (left - i), text }), _id: nedbId() }));
      }
      await writeFile(makeSegment(room, dayOf(clock), index).path, lines.join('\n') + '\n', { mode: 0o600 });
      left -= n;
    }
  }
  return seq;
}

/** Joins as `name` with a client history whose last seq is `lastSeq`; returns the ms from join() to ready and the messages shown. */
async function timedJoin(port: number, dir: string, name: string, lastSeq: number, ctx: BenchContext): Promise<{ ms: number; shown: number }> {
  const server = `127.0.0.1:${port}`;
  if (lastSeq > 0) {
    const h = await ClientHistory.open(dir, server, name, { onWarning: () => {} });
    await h.append({ id: 'seed', seq: lastSeq, from: 'someone', text: 'seen before', encrypted: false, ts: Date.now() });
    await h.close();
  }
  const client = new ChatClient({ host: '127.0.0.1', port, historyDir: dir, keys: ctx.keys, reconnect: false });
  let shown = 0;
  client.on('message', () => { shown++; });
  try {
    await client.connect();
    await client.authenticate(BENCH_PASSWORD);
    const t0 = performance.now();
    await client.join(name);
    return { ms: performance.now() - t0, shown };
  } finally {
    await client.close();
  }
}

/** Starts the server on `dir` RUNS times; ms from spawn to "listening", and ChatServer.create's own ms. */
async function timedStarts(ctx: BenchContext, dir: string): Promise<{ start: number[]; create: number[] }> {
  const start: number[] = [];
  const create: number[] = [];
  for (let i = 0; i < runsOf(ctx); i++) {
    const s = await startBenchServer(ctx, { historyDir: dir });
    start.push(s.readyMs);
    create.push(Number(s.ready.create_ms));
    await s.stop();
  }
  return { start, create };
}

/** Join → ready, RUNS times each: missing the last REPLAY_COUNT messages, and missing none. */
async function timedJoins(ctx: BenchContext, dir: string, last: number): Promise<{ replay: number[]; plain: number[] }> {
  const s = await startBenchServer(ctx, { historyDir: dir });
  try {
    const fresh = (): Promise<string> => freshDir(ctx.clientRoot, 'replay');
    // The first join warms up the server's path; it is not counted.
    await timedJoin(s.port, await fresh(), 'warm', last - REPLAY_COUNT, ctx);
    const replay: number[] = [];
    const plain: number[] = [];
    for (let k = 0; k < runsOf(ctx); k++) {
      const r = await timedJoin(s.port, await fresh(), `back${k}`, last - REPLAY_COUNT, ctx);
      if (r.shown !== REPLAY_COUNT) throw new Error(`a rejoining client was shown ${r.shown} messages, expected ${REPLAY_COUNT}`);
      replay.push(r.ms);
      plain.push((await timedJoin(s.port, await fresh(), `same${k}`, last, ctx)).ms);
    }
    return { replay, plain };
  } finally {
    await s.stop();
  }
}

/** Server start-up with 100,000 messages (and with none, to isolate the history's share), then replay of 200. */
export async function historyScenario(ctx: BenchContext): Promise<Row[]> {
  const full = await freshDir(ctx.root, 'history-full');
  const empty = await freshDir(ctx.root, 'history-empty');
  const t0 = performance.now();
  const [last] = await Promise.all([makeHistory(full), loadOrCreateKeyPair(join(full, 'keys', 'server.pem'), SERVER_RSA_BITS)]);
  await mkdir(join(empty, 'keys'), { recursive: true });
  await copyFile(join(full, 'keys', 'server.pem'), join(empty, 'keys', 'server.pem'));
  ctx.log(`  wrote ${last.toLocaleString('en-US')} messages in ${Math.round(performance.now() - t0)} ms`);
  const withHistory = await timedStarts(ctx, full);
  const without = await timedStarts(ctx, empty);
  const { replay, plain } = await timedJoins(ctx, full, last);
  ctx.log(`  start-up ${withHistory.start.map(Math.round).join(', ')} ms (empty: ${without.start.map(Math.round).join(', ')} ms); replay ${replay.map(Math.round).join(', ')} ms`);
  return [{
    scenario: 'history', messages: last, start_ms: Math.round(median(withHistory.start)), start_empty_ms: Math.round(median(without.start)),
    create_ms: Math.round(median(withHistory.create)), create_empty_ms: Math.round(median(without.create)),
    replay200_ms: round2(median(replay)), join_no_replay_ms: round2(median(plain)), runs: runsOf(ctx),
  }];
}

/**
 * `client.ts --no-ui --json` from spawn to its "ready" line: a first start (a new name: its keys are made,
 * from the program's start on, lib/e2e/keys-ahead.ts), then RUNS later starts of that name, which has its keys.
 * (Until 2026-12-03 the later starts used new names, so they made keys too: their figures were first starts.)
 */
export async function clientStartScenario(ctx: BenchContext): Promise<Row[]> {
  const server = await startBenchServer(ctx);
  const dir = await freshDir(ctx.clientRoot, 'client-start');
  const once = async (name: string): Promise<number> => {
    const c = await spawnTs('client.ts', ['--no-ui', '--json', '--host', '127.0.0.1', '--port', String(server.port), '--password', BENCH_PASSWORD,
      '--username', name, '--history-dir', dir], { readyWhen: (l) => l.includes('"type":"ready"'), stdin: true });
    c.proc.stdin!.end(); // end of input: the line client quits by itself, leaving the room (its name is free again)
    await new Promise<void>((resolve) => {
      if (c.proc.exitCode !== null) return resolve();
      const t = setTimeout(resolve, 5_000);
      c.proc.once('exit', () => { clearTimeout(t); resolve(); });
    });
    await c.stop();
    return c.readyMs;
  };
  try {
    const firsts: number[] = [];
    const runs: number[] = [];
    for (let k = 0; k < runsOf(ctx); k++) {
      firsts.push(await once(`first${k}`));
      runs.push(await once(`first${k}`));
    }
    ctx.log(`  first starts ${firsts.map(Math.round).join(', ')} ms (a new name each, no keys on disk), later starts of those names ${runs.map(Math.round).join(', ')} ms`);
    return [{ scenario: 'client_start', first_ms: Math.round(median(firsts)), first_max_ms: Math.round(Math.max(...firsts)), median_ms: Math.round(median(runs)), runs: runsOf(ctx) }];
  } finally {
    await server.stop();
  }
}
