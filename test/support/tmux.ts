// A private tmux server for real-terminal tests: one socket per run, sessions started detached, keys sent
// with send-keys (several keys in ONE send-keys arrive in one read: the case the windows must not drop),
// pastes with paste-buffer, the screen read back with capture-pane.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

/** True when tmux is installed. */
export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One tmux server (socket) for a test file. */
export class Tmux {
  readonly socket = `obrolan-${process.pid}-${Math.floor(Math.random() * 1e6)}`;

  constructor(private readonly root: string) {}

  run(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Starts `command` in a detached session of cols×rows; its exit code lands in `exitFile` ("EXIT=N"). */
  start(session: string, command: string, exitFile: string, cols = 100, rows = 30): void {
    const script = `cd '${this.root}' && ${command} 2>>'${exitFile}.stderr'; echo EXIT=$? > '${exitFile}'; sleep 60`;
    this.run('new-session', '-d', '-s', session, '-x', String(cols), '-y', String(rows),
      '-e', 'TERM=xterm-256color', '-e', 'LANG=C.UTF-8', 'sh', '-c', script);
  }

  screen(session: string): string {
    return this.run('capture-pane', '-p', '-t', session);
  }

  async waitFor(session: string, needle: string | RegExp, ms = 25_000): Promise<string> {
    const until = Date.now() + ms;
    for (;;) {
      const text = this.screen(session);
      if (typeof needle === 'string' ? text.includes(needle) : needle.test(text)) return text;
      if (Date.now() > until) throw new Error(`${session}: timed out waiting for ${String(needle)}; it shows:\n${text}`);
      await sleep(100);
    }
  }

  /** Sends all `keys` in one send-keys (tmux key names such as Enter, Tab, BSpace; other words as typed). */
  send(session: string, ...keys: string[]): void {
    this.run('send-keys', '-t', session, ...keys);
  }

  /** Sends literal text in one send-keys. */
  type(session: string, text: string): void {
    this.run('send-keys', '-t', session, '-l', text);
  }

  /** Pastes `text`; bracketed (-p) when `bracketed`, as a terminal does once the program asks for it. */
  paste(session: string, text: string, bracketed = true): void {
    this.run('set-buffer', '-b', 'obrolan', text);
    this.run('paste-buffer', '-b', 'obrolan', '-t', session, ...(bracketed ? ['-p'] : []));
  }

  /** Clicks the cell at 0-based column and row (SGR mouse report, as xterm sends it). */
  async clickAt(session: string, col: number, row: number): Promise<void> {
    const at = `${col + 1};${row + 1}`;
    this.type(session, `\x1b[<0;${at}M`);
    await sleep(50);
    this.type(session, `\x1b[<0;${at}m`);
    await sleep(150);
  }

  resize(session: string, cols: number, rows: number): void {
    this.run('resize-window', '-t', session, '-x', String(cols), '-y', String(rows));
  }

  /** Kills the server and removes its socket file. */
  close(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
    rmSync(`${process.env.TMUX_TMPDIR ?? '/tmp'}/tmux-${process.getuid?.() ?? 0}/${this.socket}`, { force: true });
  }
}

/** Waits for a session's exit file and returns its content ("EXIT=0"), or "no exit". */
export async function exitCode(file: string, ms = 10_000): Promise<string> {
  const until = Date.now() + ms;
  while (!existsSync(file) && Date.now() < until) await sleep(100);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : 'no exit';
}
