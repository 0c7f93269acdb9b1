// Keys: one table per window, global keys that work while a field reads, and Tab rings.
import type { Widgets } from 'blessed';
import type { EditAction } from './line-editor.ts';

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

  /** Gives `el` the focus and renders. */
  focus(el: Widgets.BlessedElement): void {
    if (this.screen.focused !== el) el.focus();
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

/**
 * The input line's keys → editing actions (lib/ui/line-editor.ts), by blessed key name; the one table
 * /help and the README list. Enter, Escape, Tab, Up/Down and Alt-Enter are handled by the field's owner.
 */
export const EDIT_KEYS: Readonly<Record<string, EditAction>> = {
  left: 'left', 'C-b': 'left',
  right: 'right', 'C-f': 'right',
  home: 'home', 'C-a': 'home',
  end: 'end', 'C-e': 'end',
  'M-b': 'wordLeft', 'C-left': 'wordLeft', 'M-left': 'wordLeft',
  'M-f': 'wordRight', 'C-right': 'wordRight', 'M-right': 'wordRight',
  backspace: 'deleteBack',
  delete: 'deleteForward', 'C-d': 'deleteForward',
  'C-w': 'deleteWordBack', 'M-backspace': 'deleteWordBack',
  'M-d': 'deleteWordForward',
  'C-u': 'killToStart',
  'C-k': 'killToEnd',
  'C-y': 'yank',
};

/** Every key of the chat input, as /help and the README show them. */
export const CHAT_KEY_HELP: ReadonlyArray<readonly [string, string]> = [
  ['Enter', 'send'],
  ['Ctrl-S', 'send end-to-end encrypted'],
  ['Ctrl-T', 'send a file (starts /send )'],
  ['Alt-Enter', 'new line in the message'],
  ['Tab', 'complete a name, /command or /send path'],
  ['Up / Down', 'lines you sent before'],
  ['Left/Right Ctrl-B/F', 'move by character'],
  ['Home/End Ctrl-A/E', 'start / end of the line'],
  ['Alt-B/F Ctrl-Left/Right', 'move by word'],
  ['Backspace Delete Ctrl-D', 'delete a character'],
  ['Ctrl-W / Alt-D', 'delete word before / after'],
  ['Ctrl-U / Ctrl-K', 'delete to the start / end'],
  ['Ctrl-Y', 'put back what was deleted'],
  ['PgUp/PgDn, wheel', 'scroll the messages'],
  ['Ctrl-C', 'quit (asks if unsent)'],
];
