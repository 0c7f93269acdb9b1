// Widget building blocks shared by both windows, with the neo-blessed workarounds in one place
// (see the neo-blessed section of shared/STACK-NOTES.md for the bugs they avoid).
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import { format } from 'node:util';
import type { Readable, Writable } from 'node:stream';

/** Streams for a screen; tests pass in-memory ones, the apps the process's terminal. */
export interface ScreenIo {
  input?: Readable;
  output?: Writable;
  /** terminfo name; the default is $TERM. */
  terminal?: string;
}

/** A key binding: the blessed key names, the footer text, and what it does. */
export interface KeyBinding {
  keys: string[];
  /** Shown in the footer, e.g. "Ctrl-C quit"; omitted from the footer when empty. */
  help: string;
  /**
   * Global bindings fire whatever has focus, even while a text field reads (only for keys that type
   * nothing: Ctrl-…, PageUp…); the others only when no text field reads.
   */
  global?: boolean;
  /** The view a binding belongs to (for the footer of that view); all views when absent. */
  view?: string;
  run: () => void;
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

/**
 * Binds a key table. Global keys listen on the program, so they fire while a textbox grabs keys and
 * exactly once per key press; the others go through screen.key (not while a field reads).
 */
export function bindKeys(screen: Widgets.Screen, table: KeyBinding[]): void {
  const global = new Map<string, () => void>();
  for (const b of table) {
    if (b.global) for (const k of b.keys) global.set(k, b.run);
    else if (b.keys.length) screen.key(b.keys, () => b.run());
  }
  screen.program.on('keypress', (_ch: string | undefined, key: Widgets.Events.IKeyEventArg | undefined) => {
    const run = key && global.get(key.full);
    if (run && !screen.destroyed) run();
  });
}

/** The footer line listing a key table, for one view or for all. */
export function footerText(table: KeyBinding[], view?: string): string {
  return table.filter((b) => b.help && (!b.view || b.view === view)).map((b) => b.help).join(' · ');
}

/**
 * Guards a textbox's key listener against neo-blessed's stale listeners: after a focus change before the
 * next tick a second listener stays attached (every key typed twice) and calls a deleted `_done`
 * ("this._done is not a function"). Keys are taken only while reading, once per key event, and Tab never
 * lands in the text (the focus ring moves on instead).
 */
export function guardTextbox(box: Widgets.TextboxElement): void {
  const original = box._listener;
  let last: unknown;
  box._listener = function guarded(this: Widgets.TextboxElement, ch, key) {
    if (!this._reading || typeof this._done !== 'function') return;
    if (key === last || key.name === 'tab') return;
    last = key;
    return original.call(this, ch, key);
  };
}

/**
 * An ordered set of focusable widgets cycled by Tab / Shift-Tab. Keeps its own position instead of
 * blessed's Form bookkeeping, which a direct focus() leaves stale (the "Tab is dead" bug).
 */
export class FocusRing {
  private items: Widgets.BlessedElement[];

  constructor(private readonly screen: Widgets.Screen, items: Widgets.BlessedElement[]) {
    this.items = items;
  }

  /** Replaces the members (e.g. fields left out while the server runs). */
  setItems(items: Widgets.BlessedElement[]): void {
    this.items = items;
  }

  /** True when `el` is a member. */
  has(el: Widgets.BlessedElement): boolean {
    return this.items.includes(el);
  }

  /** Gives `el` the focus and renders; a text field that has it but stopped reading (after Enter) reads again. */
  focus(el: Widgets.BlessedElement): void {
    if (this.screen.focused !== el) el.focus();
    else if (el.type === 'textbox' && !(el as Widgets.TextboxElement)._reading) (el as Widgets.TextboxElement).readInput();
    this.screen.render();
  }

  /** Moves the focus `step` members on (negative: back), wrapping around; skips hidden ones. */
  move(step: 1 | -1): void {
    const visible = this.items.filter((el) => el.visible && !el.detached);
    if (!visible.length) return;
    const at = visible.indexOf(this.screen.focused as Widgets.BlessedElement);
    const next = at < 0 ? (step > 0 ? 0 : visible.length - 1) : (at + step + visible.length) % visible.length;
    this.focus(visible[next]!);
  }
}

/** A one-line text field that starts reading when it gets the focus (by Tab, click or code). */
export function textField(opts: Widgets.TextboxOptions & { onClick: () => void }): Widgets.TextboxElement {
  const { onClick, ...rest } = opts;
  const box = blessed.textbox({
    height: 1,
    style: { fg: 'white', bg: '#303030', focus: { bg: '#005f87' } },
    ...rest,
  });
  guardTextbox(box);
  // Our own inputOnFocus: blessed's rewinds the focus history when reading ends, undoing Tab.
  box.on('focus', () => {
    if (!box._reading) box.readInput();
  });
  box.on('click', onClick);
  return box;
}

/** Restarts reading in a field that still has the focus (after Enter or Escape ended it). */
export function keepReading(box: Widgets.TextboxElement): void {
  setImmediate(() => {
    if (!box.detached && box.screen.focused === box && !box._reading && !box.screen.destroyed) {
      box.readInput();
      box.screen.render();
    }
  });
}

/** A button that presses on Enter, Space and a mouse click, highlighted while focused. */
export function button(opts: Widgets.ButtonOptions & { label: string }): Widgets.ButtonElement {
  const { label, ...rest } = opts;
  return blessed.button({
    content: label,
    shrink: true,
    height: 1,
    padding: { left: 1, right: 1 },
    mouse: true,
    style: { fg: 'black', bg: '#8a8a8a', focus: { bg: '#00afff', bold: true }, hover: { bg: '#afafaf' } },
    ...rest,
  });
}

/** Plain text at a position (a label, a hint). */
export function label(opts: Widgets.TextOptions): Widgets.TextElement {
  return blessed.text({ height: 1, tags: true, ...opts });
}

/** A bordered box that scrolls with PageUp/PageDown (bound by the window) and the mouse wheel. */
export function scrollPane(opts: Widgets.BoxOptions): Widgets.BoxElement {
  const box = blessed.box({
    tags: true,
    border: { type: 'line' },
    scrollable: true,
    alwaysScroll: true,
    scrollbar: { ch: ' ', style: { bg: '#585858' } },
    padding: { left: 1, right: 1 },
    style: { border: { fg: '#585858' }, label: { fg: 'white', bold: true } },
    ...opts,
  });
  box.on('wheeldown', () => scrollBy(box, 3));
  box.on('wheelup', () => scrollBy(box, -3));
  return box;
}

/** Scrolls a pane by `lines` (negative: up) and renders. */
export function scrollBy(box: Widgets.BoxElement, lines: number): void {
  box.scroll(lines);
  box.screen.render();
}

/** True when a pane shows its last line, so new lines should keep it at the bottom. */
export function atBottom(box: Widgets.BoxElement): boolean {
  const max = box.getScrollHeight() - (Number(box.height) - Number(box.iheight));
  return max <= 0 || box.getScroll() >= max || box.getScrollPerc() >= 100;
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

const rings = new WeakMap<Widgets.Screen, FocusRing[]>();

/** Makes `ring` the one Tab moves in (a dialog pushes its own over the window's). */
export function pushRing(screen: Widgets.Screen, ring: FocusRing): void {
  const stack = rings.get(screen) ?? [];
  stack.push(ring);
  rings.set(screen, stack);
}

/** Drops `ring` from the stack, so Tab moves in the one below again. */
export function popRing(screen: Widgets.Screen, ring: FocusRing): void {
  const stack = rings.get(screen) ?? [];
  const at = stack.lastIndexOf(ring);
  if (at >= 0) stack.splice(at, 1);
}

/** The ring Tab moves in now, if any. */
export function activeRing(screen: Widgets.Screen): FocusRing | undefined {
  const stack = rings.get(screen);
  return stack?.[stack.length - 1];
}

/** Key bindings for Tab and Shift-Tab in the active ring; put them in a window's key table. */
export function tabBindings(screen: Widgets.Screen): KeyBinding[] {
  return [
    { keys: ['tab'], help: '', global: true, run: () => activeRing(screen)?.move(1) },
    { keys: ['S-tab'], help: '', global: true, run: () => activeRing(screen)?.move(-1) },
  ];
}

const SPINNER_FRAMES = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
/** Frame interval of the progress spinner, in ms. */
const SPINNER_MS = 100;

/** Shows "⠋ text" through `show`, animated, until stop(); for key generation and connecting. */
export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;

  constructor(private readonly show: (line: string) => void) {}

  /** Starts or retitles the spinner. */
  start(text: string): void {
    this.stop();
    const tick = () => this.show(`{cyan-fg}${SPINNER_FRAMES[this.frame++ % SPINNER_FRAMES.length]}{/cyan-fg} ${text}`);
    tick();
    this.timer = setInterval(tick, SPINNER_MS);
    // A spinner alone must not keep the process alive after the window closes.
    this.timer.unref();
  }

  /** Stops the animation; the caller replaces the line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
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

/** Changes a pane's label text in place (blessed's setLabel moves it by the padding). */
export function relabel(box: Widgets.BoxElement, text: string): void {
  const existing = (box as unknown as { _label?: Widgets.BoxElement })._label;
  if (existing) existing.setContent(text);
  else box.setLabel(text);
}
