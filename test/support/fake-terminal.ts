// An in-memory terminal for window tests: keys go in through a stream, the screen is read back as text
// from blessed's own cell buffer (what it believes it drew), so no real terminal is needed.
import { PassThrough } from 'node:stream';
import type { Widgets } from 'blessed';
import { bindKeys, FocusRing, pushRing, tabBindings } from '../../lib/ui/keys.ts';
import { createScreen, type ScreenIo } from '../../lib/ui/screen.ts';
import { button, textField, type TextField } from '../../lib/ui/widgets.ts';

/** Named keys as a terminal sends them. */
export const KEY = {
  enter: '\r',
  tab: '\t',
  shiftTab: '\x1b[Z',
  backspace: '\x7f',
  ctrlC: '\x03',
  ctrlE: '\x05',
  ctrlS: '\x13',
  ctrlT: '\x14',
  down: '\x1b[B',
  up: '\x1b[A',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
} as const;

/** Pause between keys, in ms: blessed parses one key per chunk and starts reading on the next tick. */
const KEY_GAP_MS = 15;
/** Longest wait for text to appear, in ms. */
const WAIT_MS = 3_000;

export class FakeTerminal {
  readonly input: PassThrough & { isTTY: boolean; setRawMode: (on: boolean) => void };
  readonly output: PassThrough & { isTTY: boolean; columns: number; rows: number };
  /** Everything written to the terminal (escape sequences included). */
  written = '';
  screen: Widgets.Screen | undefined;

  constructor(columns = 100, rows = 30) {
    this.input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
    this.output = Object.assign(new PassThrough(), { isTTY: true, columns, rows });
    this.output.on('data', (d: Buffer) => (this.written += d.toString('utf8')));
  }

  /** Streams for createScreen / the apps' deps.io. */
  get io(): ScreenIo {
    return { input: this.input, output: this.output, terminal: 'xterm-256color' };
  }

  /** Sends keys one at a time: each string is typed character by character unless it is an escape sequence. */
  async type(...keys: string[]): Promise<void> {
    for (const k of keys) {
      const parts = k.startsWith('\x1b') || k.length === 1 ? [k] : [...k];
      for (const p of parts) {
        this.input.write(p);
        await sleep(KEY_GAP_MS);
      }
    }
  }

  /** The screen as lines of text, as blessed last drew it. */
  text(): string {
    const lines = (this.screen as unknown as { lines?: Array<Array<[number, string]>> })?.lines ?? [];
    return lines.map((row) => row.map((cell) => (cell[1] === '\x03' ? '' : cell[1])).join('').trimEnd()).join('\n');
  }

  /** Waits until the screen shows `needle` (string or pattern); throws with the screen after WAIT_MS. */
  async waitFor(needle: string | RegExp, ms = WAIT_MS): Promise<void> {
    const until = Date.now() + ms;
    const has = () => (typeof needle === 'string' ? this.text().includes(needle) : needle.test(this.text()));
    while (!has()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${String(needle)}; the screen shows:\n${this.text()}`);
      await sleep(10);
    }
    // What drew the text may have focused a field that starts reading on the next tick; a person
    // cannot type that fast, but a test can (under load, timers bunch up before the check phase).
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface Rig { term: FakeTerminal; screen: Widgets.Screen; a: TextField; b: TextField; go: Widgets.ButtonElement; ring: FocusRing; quits: number[] }

/** Two text fields and a button in a Tab ring, Ctrl-C counted. */
export function rig(): Rig {
  const term = new FakeTerminal(60, 10);
  const screen = createScreen('test', term.io);
  term.screen = screen;
  const ring = new FocusRing(screen, []);
  const focus = (el: Widgets.BlessedElement) => () => ring.focus(el);
  const a: TextField = textField({ parent: screen, top: 0, left: 0, width: 20, onClick: () => focus(a)() });
  const b: TextField = textField({ parent: screen, top: 2, left: 0, width: 20, onClick: () => focus(b)() });
  const go = button({ parent: screen, top: 4, left: 0, label: 'Go' });
  ring.setItems([a, b, go]);
  pushRing(screen, ring);
  const quits: number[] = [];
  bindKeys(screen, [...tabBindings(screen), { keys: ['C-c'], help: 'quit', global: true, run: () => quits.push(Date.now()) }]);
  screen.render();
  return { term, screen, a, b, go, ring, quits };
}
