// What every benchmark scenario gets: where to put files, the shared load-client keys, how to log progress,
// and how to start the server under test as a child process.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateClientKeys, type ClientKeys } from '../lib/e2e/keys.ts';
import { spawnTs, type Child } from './procs.ts';

/** The room password of every benchmark server. */
export const BENCH_PASSWORD = 'bench password';
/** RSA size of the shared load-client keys, in bits (the brief allows 2048 for load clients). */
export const LOAD_KEY_BITS = 2048;

/** One result line: what `--json` prints. */
export interface Row { scenario: string; [field: string]: unknown }

export interface BenchContext {
  /** Server history dirs go here (on disk, as a real server's would). */
  root: string;
  /** Load clients' history dirs go here (tmpfs when there is one: a real client's disk is another machine's). */
  clientRoot: string;
  keys: ClientKeys;
  quick: boolean;
  /** Time the idle ramp may take, in ms, when --idle-budget overrides the default. */
  idleBudgetMs?: number;
  /** Clients the idle ramp stops at, when --idle-clients overrides the default (2,000; 500 with --quick). */
  idleClients?: number;
  /** Room sizes of the fan-out search, when the run chooses them (the default run: 10 and 50). */
  fanoutSizes?: number[];
  /** Progress for people (stderr). */
  log: (line: string) => void;
}

let dirCounter = 0;
const tempDirs: string[] = [];

/** Removes the temporary directories at once (for Ctrl-C, when there is no time to await). */
export function removeTempDirsSync(): void {
  for (const d of tempDirs.splice(0)) { try { rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ } }
}

/** A new empty directory under `base`. */
export async function freshDir(base: string, name: string): Promise<string> {
  const dir = join(base, `${name}-${++dirCounter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Makes the temporary directories and the shared client keys; `dispose` removes the directories. */
export async function makeContext(quick: boolean, log: (line: string) => void): Promise<{ ctx: BenchContext; dispose: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'obrolan-bench-'));
  const shm = existsSync('/dev/shm') ? await mkdtemp('/dev/shm/obrolan-bench-').catch(() => undefined) : undefined;
  tempDirs.push(root, ...(shm ? [shm] : []));
  const clientRoot = shm ?? join(root, 'clients');
  await mkdir(clientRoot, { recursive: true });
  const keys = await loadOrCreateClientKeys(join(root, 'load-keys'), undefined, LOAD_KEY_BITS);
  const dispose = async (): Promise<void> => {
    for (const d of tempDirs.splice(0)) await rm(d, { recursive: true, force: true });
  };
  return { ctx: { root, clientRoot, keys, quick, log }, dispose };
}

/** Starts bench/server-proc.ts on 127.0.0.1 with a fresh (or the given) history dir; the child's ready line holds port and timings. */
export async function startBenchServer(ctx: BenchContext, o: { historyDir?: string; nodeArgs?: string[]; args?: string[] } = {}): Promise<Child & { port: number }> {
  const historyDir = o.historyDir ?? await freshDir(ctx.root, 'server');
  // OBROLAN_BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p") profiles or traces the server of any scenario.
  const nodeArgs = o.nodeArgs ?? process.env.OBROLAN_BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean);
  const child = await spawnTs('bench/server-proc.ts', ['--history-dir', historyDir, '--password', BENCH_PASSWORD, ...(o.args ?? [])], nodeArgs ? { nodeArgs } : {});
  return Object.assign(child, { port: Number(child.ready.port) });
}

/** The server's own counters and memory: bench/server-proc.ts answers SIGUSR2 with a stats line. */
export async function serverStats(server: Child): Promise<Record<string, number>> {
  const next = server.nextLine((l) => l.includes('"stats"'), 5_000);
  server.proc.kill('SIGUSR2');
  return JSON.parse(await next) as Record<string, number>;
}

/** `x` rounded to 2 decimals (NaN and infinities as they are). */
export const round2 = (x: number): number => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);
