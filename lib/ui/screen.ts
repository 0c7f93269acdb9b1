// The screen both windows use, with the neo-blessed workarounds that concern the whole terminal
// (see the neo-blessed section of shared/STACK-NOTES.md), and keeping stray output off it.
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import { format } from 'node:util';
import type { Readable, Writable } from 'node:stream';
import { interceptTerminalInput } from './term-input.ts';

/** Streams for a screen; tests pass in-memory ones, the apps the process's terminal. */
export interface ScreenIo {
  input?: Readable;
  output?: Writable;
  /** terminfo name; the default is $TERM. */
  terminal?: string;
}

/** Makes the screen both windows use: UTF-8 wide characters, Ctrl-C even while a field reads, no warnings. */
export function createScreen(title: string, io: ScreenIo = {}): Widgets.Screen {
  patchEmojiWidth();
  const screen = blessed.screen({
    smartCSR: true,
    fullUnicode: true,
    autoPadding: true,
    // While a textbox reads, every key is grabbed; Ctrl-C must still reach our quit binding.
    ignoreLocked: ['C-c'],
    warnings: false,
    title,
    input: io.input,
    output: io.output,
    terminal: io.terminal,
  } as Widgets.IScreenOptions);
  // On a UTF-8 terminal draw lines as UTF-8 instead of the DEC line-drawing charset: the same on every
  // terminal, and copies (tmux capture-pane, a mouse selection) show lines instead of "lqqk".
  const tput = (screen.program as unknown as { tput: { unicode: boolean; brokenACS: boolean } }).tput;
  if (tput.unicode) tput.brokenACS = true;
  // Pastes arrive whole and Alt-Enter as a line break (screen 'paste' events); undone before the terminal is given back.
  const restoreInput = interceptTerminalInput(screen);
  screen.once('destroy', restoreInput);
  return screen;
}

/**
 * Takes the screen down and gives the terminal back. Later renders (a late event, a spinner tick) would
 * still write to the restored terminal, so they become no-ops.
 */
export function destroyScreen(screen: Widgets.Screen): void {
  if (screen.destroyed) return;
  screen.destroy();
  screen.render = () => {};
}

/** Emoji blocks terminals draw two cells wide (Unicode 9+), as UTF-16 surrogate ranges. */
const EMOJI_SURROGATES = '\\ud83c[\\udf00-\\udfff]|\\ud83d[\\udc00-\\ude4f\\ude80-\\udeff]|\\ud83e[\\udd00-\\uddff\\ude70-\\udeff]';

function isWideEmoji(point: number): boolean {
  return (point >= 0x1f300 && point <= 0x1f64f) || (point >= 0x1f680 && point <= 0x1f6ff)
    || (point >= 0x1f900 && point <= 0x1f9ff) || (point >= 0x1fa70 && point <= 0x1faff);
}

interface BlessedUnicode {
  charWidth(str: string | number, i?: number): number;
  codePointAt(str: string, i: number): number;
  chars: { all: RegExp; swide: RegExp; wide: RegExp };
  emojiPatched?: boolean;
}

/**
 * Teaches neo-blessed that emoji such as 🔒 are two cells wide, as terminals draw them. Its tables
 * predate that, so it counted one cell, and every later update on the line landed one cell to the left
 * ("secret✓…" instead of "secret ✓"). Done once per process; only lib/ui uses neo-blessed.
 */
export function patchEmojiWidth(): void {
  const u = (blessed as unknown as { unicode: BlessedUnicode }).unicode;
  if (u.emojiPatched) return;
  u.emojiPatched = true;
  const charWidth = u.charWidth.bind(u);
  u.charWidth = (str, i) => {
    const point = typeof str === 'number' ? str : u.codePointAt(str, i ?? 0);
    return isWideEmoji(point) ? 2 : charWidth(str, i);
  };
  // parseContent puts a blank cell after every match of chars.all for the wide character to cover.
  u.chars.all = new RegExp(`(${u.chars.swide.source.slice(1, -1)}|${EMOJI_SURROGATES}|${u.chars.wide.source.slice(1, -1)})`, 'g');
}

/** Signals that close a window cleanly (a kill, a closed terminal): the apps quit as on Ctrl-C. */
export const QUIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

type ConsoleMethod = 'log' | 'info' | 'warn' | 'error' | 'debug' | 'trace';
const CONSOLE_METHODS: ConsoleMethod[] = ['log', 'info', 'warn', 'error', 'debug', 'trace'];

/**
 * Sends console output and stderr writes to `sink` (a log pane) while the screen is up: a stray write
 * would corrupt the screen. Returns the function that puts them back.
 */
export function captureConsole(sink: (line: string) => void): () => void {
  const saved = CONSOLE_METHODS.map((m) => [m, console[m]] as const);
  for (const m of CONSOLE_METHODS) {
    console[m] = (...args: unknown[]) => {
      for (const line of format(...args).split('\n')) if (line) sink(line);
    };
  }
  const stderrWrite = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (const line of text.split('\n')) if (line.trim()) sink(line);
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stderr.write;
  return () => {
    for (const [m, fn] of saved) console[m] = fn as never;
    process.stderr.write = stderrWrite;
  };
}
