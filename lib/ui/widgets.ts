// Widget building blocks shared by both windows, with the neo-blessed workarounds for single widgets
// (see the neo-blessed section of shared/STACK-NOTES.md for the bugs they avoid).
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import { createTextField, type TextField, type TextFieldOptions } from './input-field.ts';

export type { TextField } from './input-field.ts';

/** A one-line text field that takes keys while focused (by Tab, click or code): our own, see input-field.ts. */
export function textField(opts: TextFieldOptions & { onClick: () => void }): TextField {
  return createTextField(opts);
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
