// Widget building blocks shared by both windows, with the neo-blessed workarounds for single widgets
// (see the neo-blessed section of shared/STACK-NOTES.md for the bugs they avoid).
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';

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

/** A button shown as "[Label]" (readable without colours too) that presses on Enter, Space and a mouse click. */
export function button(opts: Widgets.ButtonOptions & { label: string }): Widgets.ButtonElement {
  const { label, ...rest } = opts;
  return blessed.button({
    content: `[${label}]`,
    shrink: true,
    height: 1,
    mouse: true,
    style: { fg: 'black', bg: '#8a8a8a', focus: { bg: '#00afff', bold: true }, hover: { bg: '#afafaf' } },
    ...rest,
  });
}

/** Changes a button's label, keeping the brackets. */
export function setButtonLabel(b: Widgets.ButtonElement, label: string): void {
  b.setContent(`[${label}]`);
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

/** Changes a pane's label text in place (blessed's setLabel moves it by the padding). */
export function relabel(box: Widgets.BoxElement, text: string): void {
  const existing = (box as unknown as { _label?: Widgets.BoxElement })._label;
  if (existing) existing.setContent(text);
  else box.setLabel(text);
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
