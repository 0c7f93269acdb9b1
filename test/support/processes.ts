// Child processes for integration tests: the headless server (`server.ts --headless --json`) and the
// line client (`client.ts --no-ui --json`), run with `node --import tsx` from the repo root.
// Every child started here is remembered; killAll() (call it in test.after) SIGKILLs those still running.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PASSWORD, prepareServerKey } from './chat-harness.ts';

export { prepareServerKey };

/** The repository root, where server.ts and client.ts live. */
export const ROOT = new URL('../..', import.meta.url).pathname;
/** How long a child gets to print "listening on" or `ready`, in ms (generous: 2 shared cores). */
const START_TIMEOUT_MS = 20_000;

export interface Exit { code: number | null; signal: NodeJS.Signals | null }
export type JsonLine = Record<string, unknown> & { type?: string };

const running = new Set<Child>();

/** One spawned program: its stdout lines (and those that parse as JSON), its stderr, its exit. */
export class Child {
  readonly lines: string[] = [];
  readonly events: JsonLine[] = [];
  /** When each stdout line arrived, ms since the epoch (same index as `lines`). */
  readonly lineTimes: number[] = [];
  stderr = '';
  exit: Exit | undefined;
  readonly exited: Promise<Exit>;

  constructor(readonly proc: ChildProcess, readonly name: string) {
    running.add(this);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.lineTimes.push(Date.now());
      try {
        const v: unknown = JSON.parse(line);
        if (v && typeof v === 'object' && !Array.isArray(v)) this.events.push(v as JsonLine);
      } catch { /* a text line */ }
    });
    proc.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.exited = new Promise((resolve) => {
      proc.once('close', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
    });
  }

  get pid(): number { return this.proc.pid!; }
  get alive(): boolean { return this.exit === undefined; }

  /** Events of one type, in order. */
  ofType(type: string): JsonLine[] { return this.events.filter((e) => e.type === type); }

  /** Writes one line to the child's stdin. */
  writeLine(line: string): void { this.proc.stdin!.write(line + '\n'); }

  /** Closes the child's stdin (end of input). */
  endInput(): void { this.proc.stdin!.end(); }

  /** Sends a signal (no-op once exited). */
  signal(sig: NodeJS.Signals): void { if (this.alive) this.proc.kill(sig); }

  /** Resolves with the first stdout line (from index `from`) matching `pred`; rejects after `ms` or if the child exits first. */
  async waitForLine(pred: (line: string) => boolean, ms: number, what: string, from = 0): Promise<{ line: string; at: number; index: number }> {
    return this.poll(() => {
      const i = this.lines.findIndex((l, k) => k >= from && pred(l));
      return i < 0 ? undefined : { line: this.lines[i]!, at: this.lineTimes[i]!, index: i };
    }, ms, what);
  }

  /** Resolves with the first JSON event (from index `from`) matching `pred`. */
  async waitForEvent(pred: (e: JsonLine) => boolean, ms: number, what: string, from = 0): Promise<JsonLine> {
    return this.poll(() => this.events.find((e, k) => k >= from && pred(e)), ms, what);
  }

  /** Resolves with the exit; rejects (after SIGKILL) if it takes longer than `ms`. */
  async waitExit(ms: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.signal('SIGKILL');
        reject(new Error(`${this.name} did not exit within ${ms} ms\n${this.describe()}`));
      }, ms);
    });
    try { return await Promise.race([this.exited, late]); } finally { clearTimeout(timer); }
  }

  /** The output so far, for failure messages. */
  describe(): string {
    return `--- ${this.name} stdout (last 20 lines):\n${this.lines.slice(-20).join('\n')}\n--- stderr:\n${this.stderr.slice(-2000)}`;
  }

  private async poll<T>(find: () => T | undefined, ms: number, what: string): Promise<T> {
    const until = Date.now() + ms;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (!this.alive) throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before ${what}\n${this.describe()}`);
      if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${this.describe()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** Runs `file` (server.ts or client.ts) with `args` under node --import tsx from the repo root. */
export function spawnScript(file: string, args: string[], env: NodeJS.ProcessEnv = {}, name = file): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, file), ...args], {
    cwd: ROOT,
    // Drop OBROLAN_* from the test's own environment so only what a test passes counts.
    env: { ...withoutObrolan(process.env), FORCE_COLOR: '0', NO_COLOR: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Child(proc, name);
}

function withoutObrolan(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('OBROLAN_')));
}

export interface ServerChild { child: Child; port: number; /** When the "listening on" line arrived, ms since the epoch. */ listeningAt: number }

/** Starts `server.ts --headless --json` on 127.0.0.1 (key made beforehand) and waits for its "listening on" line. */
export async function startServerProcess(historyDir: string, port = 0, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServerChild> {
  await prepareServerKey(historyDir);
  const child = spawnScript('server.ts', ['--headless', '--json', '--host', '127.0.0.1', '--port', String(port),
    '--password', PASSWORD, '--history-dir', historyDir, ...extra], env, 'server');
  return waitListening(child);
}

/** Waits for a server child's "listening on 127.0.0.1:PORT" line (JSON or text). */
export async function waitListening(child: Child): Promise<ServerChild> {
  const { line, at } = await child.waitForLine((l) => l.includes('listening on'), START_TIMEOUT_MS, '"listening on"');
  const m = /listening on 127\.0\.0\.1:(\d+)/.exec(line);
  if (!m) throw new Error(`unexpected listening line: ${line}`);
  return { child, port: Number(m[1]), listeningAt: at };
}

export interface LineClientOptions { port: number; username: string; historyDir: string; password?: string; extra?: string[]; env?: NodeJS.ProcessEnv }

/** Starts `client.ts --no-ui --json` against 127.0.0.1 (does not wait). */
export function spawnLineClient(o: LineClientOptions): Child {
  const args = ['--no-ui', '--json', '--host', '127.0.0.1', '--port', String(o.port), '--username', o.username,
    '--history-dir', o.historyDir];
  if (o.password !== undefined) args.push('--password', o.password);
  return spawnScript('client.ts', [...args, ...(o.extra ?? [])], o.env ?? {}, `client ${o.username}`);
}

/** Starts a line client with the test password and waits for its `ready` line. */
export async function startLineClient(o: LineClientOptions): Promise<Child> {
  const child = spawnLineClient({ password: PASSWORD, ...o });
  await child.waitForEvent((e) => e.type === 'ready', START_TIMEOUT_MS, `${o.username} ready`);
  return child;
}

/** SIGKILLs every child started by this module that is still running, and waits for them. */
export async function killAll(): Promise<void> {
  const left = [...running];
  for (const c of left) c.signal('SIGKILL');
  await Promise.all(left.map((c) => c.exited));
}

/** Resident set size of a process, in bytes, from /proc/PID/status (VmRSS). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}
