// Child processes of the benchmark (the server, the raw relay, client.ts) and what /proc says about them.
// Every child spawned here is remembered and killed by killAllChildren(), which run.ts calls on exit and
// on Ctrl-C, so no server outlives the benchmark.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export const ROOT = new URL('..', import.meta.url).pathname;
/** Longest a child may take to say it is ready, in ms. */
const READY_TIMEOUT_MS = 30_000;
/** Longest a child may take to exit after SIGTERM before it is killed, in ms. */
const EXIT_GRACE_MS = 6_000;
/** Characters of a child's stderr kept for error messages. */
const STDERR_KEEP_CHARS = 4_000;

const live = new Set<ChildProcess>();

/** A running child process with its stdout split into lines. */
export interface Child {
  proc: ChildProcess;
  pid: number;
  /** ms (performance.now()) at spawn. */
  spawnedAt: number;
  /** ms from spawn to the ready line. */
  readyMs: number;
  /** The ready line, parsed when it is JSON. */
  ready: Record<string, unknown>;
  stderr(): string;
  /** Resolves with the first later stdout line that `pred` accepts; rejects after `timeoutMs`. */
  nextLine(pred: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process has exited. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Flags for node before `--import tsx` (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** The stdout line that means ready; default: a JSON line with "type":"listening". */
  readyWhen?: (line: string) => boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Keep stdin open (a pipe) instead of ignoring it. */
  stdin?: boolean;
  /** A command that runs node (it must exec it, so the pid stays node's), e.g. ['chrt', '--idle', '0']. */
  launcher?: string[];
}

const isListening = (line: string): boolean => line.startsWith('{') && line.includes('"listening"');

function parseMaybe(line: string): Record<string, unknown> {
  try { return JSON.parse(line) as Record<string, unknown>; } catch { return { line }; }
}

/** Runs `node [nodeArgs] --import tsx SCRIPT ARGS` from the project root; resolves once it prints its ready line. */
export function spawnTs(script: string, args: string[], o: SpawnOptions = {}): Promise<Child> {
  const spawnedAt = performance.now();
  const argv = [process.execPath, ...(o.nodeArgs ?? []), '--import', 'tsx', script, ...args];
  const [cmd, ...rest] = [...(o.launcher ?? []), ...argv];
  const proc = spawn(cmd!, rest, {
    cwd: ROOT, env: { ...process.env, ...o.env }, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let err = '';
  let buf = '';
  const listeners = new Set<(line: string) => void>();
  proc.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-STDERR_KEEP_CHARS); });
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      for (const l of [...listeners]) l(line);
    }
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => { live.delete(proc); resolve(); }));
  const nextLine = (pred: (line: string) => boolean, timeoutMs: number): Promise<string> => new Promise((resolve, reject) => {
    const done = (fn: () => void): void => { clearTimeout(timer); listeners.delete(on); fn(); };
    const on = (line: string): void => { if (pred(line)) done(() => resolve(line)); };
    const timer = setTimeout(() => done(() => reject(new Error(`${script}: no expected line within ${timeoutMs} ms; stderr: ${err.trim().slice(-800)}`))), timeoutMs);
    listeners.add(on);
    void exited.then(() => done(() => reject(new Error(`${script} exited (code ${proc.exitCode}); stderr: ${err.trim().slice(-800)}`))));
  });
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), EXIT_GRACE_MS);
    await exited;
    clearTimeout(t);
  };
  return nextLine(o.readyWhen ?? isListening, o.timeoutMs ?? READY_TIMEOUT_MS).then((line) => ({
    proc, pid: proc.pid!, spawnedAt, readyMs: performance.now() - spawnedAt, ready: parseMaybe(line), stderr: () => err, nextLine, stop,
  }), async (e: Error) => { await stop(); throw e; });
}

/** Kills every child still running (SIGKILL); safe to call from an 'exit' handler. */
export function killAllChildren(): void {
  for (const p of live) { try { p.kill('SIGKILL'); } catch { /* already gone */ } }
  live.clear();
}

let clockTicks: number | undefined;
/** Clock ticks per second of /proc/PID/stat times (getconf CLK_TCK; 100 on Linux almost always). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try { clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { clockTicks = 100; }
  }
  return clockTicks;
}

/** CPU time used so far by process `pid` (user + system), in ms, from /proc/PID/stat. Throws if it is gone. */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": the name may hold spaces, so split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
}

/** Resident memory of process `pid`, in MiB, from /proc/PID/status (VmRSS). */
export function rssMbOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Measures CPU use of a process (or of this one) between start and read, as % of one core. */
export class CpuMeter {
  private cpu0 = 0;
  private wall0 = 0;
  constructor(private readonly pid?: number) { this.start(); }

  private cpuMs(): number {
    if (this.pid !== undefined) return cpuMsOf(this.pid);
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }

  start(): void {
    this.cpu0 = this.cpuMs();
    this.wall0 = performance.now();
  }

  /** CPU ms used since start(). */
  usedMs(): number { return this.cpuMs() - this.cpu0; }

  /** % of one core since start() (200 = both cores of this machine busy). */
  pct(): number {
    const wall = performance.now() - this.wall0;
    return wall > 0 ? (100 * this.usedMs()) / wall : 0;
  }
}

/** Busy CPU time of the whole machine so far (all cores, all processes), in ms, from /proc/stat. */
export function machineBusyMs(): number {
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = procStatCpu();
  return ((user + nice + system + irq + softirq) * 1000) / ticksPerSecond();
}

/** Time the hypervisor gave the machine's CPUs to someone else (steal), summed over CPUs, in ms. */
export function machineStealMs(): number {
  return ((procStatCpu()[7] ?? 0) * 1000) / ticksPerSecond();
}

/** The machine-wide "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal …, in ticks. */
function procStatCpu(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
}

/** CPU of this process and of its children, reaped (cutime, cstime) and running, in ms. */
function oursMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let ms = ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / ticksPerSecond();
  for (const p of live) { try { ms += cpuMsOf(p.pid!); } catch { /* just exited */ } }
  return ms;
}

/**
 * CPU used by processes other than this one and its children (other people's tests on a shared machine),
 * as % of one core. A child that exits between two readings is counted from /proc/self/stat's children times.
 */
export class OthersMeter {
  private busy0 = 0;
  private wall0 = 0;
  private ours0 = 0;
  private steal0 = 0;
  constructor() { this.start(); }

  start(): void {
    this.busy0 = machineBusyMs();
    this.ours0 = oursMs();
    this.steal0 = machineStealMs();
    this.wall0 = performance.now();
  }

  /** CPU the hypervisor took from this virtual machine meanwhile (steal: other tenants), % of one core. */
  stealPct(): number {
    const wall = performance.now() - this.wall0;
    return wall > 0 ? Math.max(0, (100 * (machineStealMs() - this.steal0)) / wall) : 0;
  }

  pct(): number {
    const wall = performance.now() - this.wall0;
    const others = machineBusyMs() - this.busy0 - (oursMs() - this.ours0);
    return wall > 0 ? Math.max(0, (100 * others) / wall) : 0;
  }
}
