// Our own text field on neo-blessed's key events, drawing a LineEditor (lib/ui/line-editor.ts). It takes
// every key the moment it arrives while it has the focus: no "reading" state that starts on the next tick
// (neo-blessed's textbox dropped the keys that came in the same read as Enter or a focus change), a paste
// is inserted in one step, and the cursor moves (Left/Right, words, Home/End) without splitting wide
// characters. Events: 'submit' (value), 'cancel' (Escape), 'edit' (the text or cursor changed).
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import { EDIT_KEYS } from './keys.ts';
import { graphemes, LineEditor, viewport } from './line-editor.ts';

/** Options of a text field: a box's, plus what the field shows and does. */
export interface TextFieldOptions extends Widgets.BoxOptions {
  value?: string;
  /** Shows one * per character (passwords). */
  censor?: boolean;
  onClick?: () => void;
}

/** A one-line field; getValue/setValue/clearValue as neo-blessed's textbox has them. */
export interface TextField extends Widgets.BoxElement {
  readonly editor: LineEditor;
  getValue(): string;
  /** Replaces the text; the cursor goes to the end (or to `cursor`). */
  setValue(value: string, cursor?: number): void;
  clearValue(): void;
  /** What a paste does (default: insert, line breaks as blanks); the chat input inserts them as they are. */
  onPaste: (text: string) => void;
}

const CONTROL = /[\x00-\x1f\x7f]/;
/** How the field shows a line break and other control characters inside the text. */
const shown = (text: string) => text.replace(/\n/g, '↵').replace(/[\x00-\x1f\x7f]/g, '·');

/** Blessed's width of a string (fullUnicode, with our emoji patch). */
function cellWidth(box: Widgets.BoxElement, s: string): number {
  return (box as unknown as { strWidth(s: string): number }).strWidth(s);
}

/** Makes a text field. It takes keys while focused; the screen's other keys wait (grabKeys) meanwhile. */
export function createTextField(opts: TextFieldOptions): TextField {
  const { value, censor, onClick, ...rest } = opts;
  const box = blessed.box({ height: 1, style: { fg: 'white', bg: '#303030', focus: { bg: '#005f87' } }, ...rest }) as TextField;
  const editor = new LineEditor(value ?? '');
  Object.assign(box, { editor });
  const changed = renderPerBurst(box);
  addValueMethods(box, editor, changed);
  drawLine(box, editor, censor);
  showCursorWhileFocused(box);
  box.on('keypress', (ch: string | undefined, key: Widgets.Events.IKeyEventArg) => onKey(box, editor, ch, key, changed));
  takePastes(box);
  if (onClick) box.on('click', onClick);
  (box as unknown as { enableKeys(): void }).enableKeys();
  return box;
}

/**
 * What the field calls when its text or cursor changed: an 'edit' event, and one render per burst of keys
 * (a 5,000-key paste without brackets draws once, not 5,000 times).
 */
function renderPerBurst(box: TextField): () => void {
  const screen = box.screen;
  let pending = false;
  return () => {
    box.emit('edit');
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      if (!screen.destroyed) screen.render();
    });
  };
}

/** getValue, setValue, clearValue and the default onPaste of `box`, on its editor. */
function addValueMethods(box: TextField, editor: LineEditor, changed: () => void): void {
  box.getValue = () => editor.text;
  box.setValue = (v: string, cursor?: number) => { editor.set(v, cursor); changed(); };
  box.clearValue = () => box.setValue('');
  // A one-line field takes a pasted block as one line (Alt-Enter, a lone line break, adds nothing).
  box.onPaste = (text) => {
    const line = text.replace(/\n+$/, '').replace(/\n/g, ' ');
    if (!line) return;
    editor.insert(line);
    changed();
  };
}

/** Draws the part of the text around the cursor that fits (stars when `censor`), and puts the terminal's cursor in it. */
function drawLine(box: TextField, editor: LineEditor, censor: boolean | undefined): void {
  const screen = box.screen;
  let start = 0;
  let cursorCol = 0;
  box.on('prerender', () => {
    const cols = Math.max(1, Number(box.width) - Number(box.iwidth));
    const text = censor ? graphemes(editor.text).map(() => '*').join('') : shown(editor.text);
    const cursor = censor ? graphemes(editor.text.slice(0, editor.cursor)).length : editor.cursor;
    const v = viewport(text, cursor, start, cols, (s) => cellWidth(box, s));
    start = v.start;
    cursorCol = v.cursorCol;
    box.setContent(v.text.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}')));
  });
  // Called by the screen after each draw while the field has the focus (blessed's textbox does the same).
  Object.assign(box, {
    _updateCursor: () => {
      const lpos = box.lpos as { xi: number; yi: number } | undefined;
      if (!lpos || screen.focused !== box) return;
      screen.program.cup(lpos.yi + Number(box.itop), lpos.xi + Number(box.ileft) + cursorCol);
    },
  });
}

/** While the field has the focus, it takes the screen's keys and shows the terminal's cursor. */
function showCursorWhileFocused(box: TextField): void {
  const screen = box.screen;
  box.on('focus', () => {
    screen.grabKeys = true;
    screen.program.showCursor();
  });
  box.on('blur', () => {
    screen.grabKeys = false;
    screen.program.hideCursor();
  });
}

/** A paste on the screen goes to the field's onPaste while it is focused and visible (until it is destroyed). */
function takePastes(box: TextField): void {
  const screen = box.screen;
  const onPaste = (text: string) => { if (screen.focused === box && box.visible) box.onPaste(text); };
  screen.on('paste', onPaste);
  box.on('destroy', () => screen.removeListener('paste', onPaste));
}

function onKey(box: TextField, editor: LineEditor, ch: string | undefined, key: Widgets.Events.IKeyEventArg, changed: () => void): void {
  const name = key.full;
  // One Enter (\r) comes as 'enter' and then again as 'return' (neo-blessed's program.js); Ctrl-J as
  // 'linefeed', keypad Enter as 'enter' alone. Act on the first, as blessed's lists and buttons do: a
  // list whose Enter moves the focus here must not hand this field the same keystroke's 'return'.
  if (name === 'return') return;
  if (name === 'enter' || name === 'linefeed') {
    box.emit('submit', editor.text);
    return;
  }
  if (name === 'escape') {
    box.emit('cancel');
    return;
  }
  const action = EDIT_KEYS[name];
  if (action) {
    editor.run(action);
    return changed();
  }
  // Typed text: one key is one character (an emoji comes as two UTF-16 halves, inserted one after the other).
  if (ch && !key.ctrl && !key.meta && !CONTROL.test(ch)) {
    editor.insert(ch);
    changed();
  }
}
