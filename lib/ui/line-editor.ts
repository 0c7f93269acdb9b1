// The input line as data, like weechat's gui-input: the text, a cursor, a kill buffer, and every editing
// action as a named method. Pure (no terminal): lib/ui/input-field.ts draws it and maps keys to actions.

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Start offsets (UTF-16) of the grapheme clusters of `text`, plus text.length at the end. */
export function graphemeStops(text: string): number[] {
  const stops: number[] = [];
  for (const s of segmenter.segment(text)) stops.push(s.index);
  stops.push(text.length);
  return stops;
}

/** The grapheme clusters of `text` (👨‍👩‍👧 is one, e + combining accent is one). */
export function graphemes(text: string): string[] {
  return [...segmenter.segment(text)].map((s) => s.segment);
}

/** Word characters for Alt-B/Alt-F/Ctrl-W: letters, marks, digits, `_`; the rest separates words. */
const WORD = /[\p{L}\p{M}\p{N}_]/u;

/** The editing actions, named as the key table (lib/ui/keys.ts) refers to them. */
export type EditAction =
  | 'left' | 'right' | 'home' | 'end' | 'wordLeft' | 'wordRight'
  | 'deleteBack' | 'deleteForward' | 'deleteWordBack' | 'deleteWordForward'
  | 'killToStart' | 'killToEnd' | 'yank';

/** One line of text being typed, with a cursor that always sits between two grapheme clusters. */
export class LineEditor {
  text = '';
  /** Cursor position as a UTF-16 offset into text. */
  cursor = 0;
  /** What the last Ctrl-W / Ctrl-U / Ctrl-K removed; Ctrl-Y puts it back. */
  killed = '';

  constructor(text = '') {
    this.set(text);
  }

  /** Replaces the text, cursor at the end (or at `cursor`). */
  set(text: string, cursor = text.length): void {
    this.text = text;
    this.cursor = this.snap(Math.max(0, Math.min(cursor, text.length)));
  }

  /** Inserts `s` at the cursor (typing or a paste, at once) and moves the cursor after it. */
  insert(s: string): void {
    this.text = this.text.slice(0, this.cursor) + s + this.text.slice(this.cursor);
    this.cursor += s.length;
  }

  /** Runs a named action; false when it is not one. */
  run(action: EditAction): boolean {
    const fn = this.actions[action];
    if (!fn) return false;
    fn();
    return true;
  }

  private readonly actions: Record<EditAction, () => void> = {
    left: () => { this.cursor = this.prevStop(this.cursor); },
    right: () => { this.cursor = this.nextStop(this.cursor); },
    home: () => { this.cursor = 0; },
    end: () => { this.cursor = this.text.length; },
    wordLeft: () => { this.cursor = this.wordStart(this.cursor); },
    wordRight: () => { this.cursor = this.wordEnd(this.cursor); },
    deleteBack: () => this.remove(this.prevStop(this.cursor), this.cursor, false),
    deleteForward: () => this.remove(this.cursor, this.nextStop(this.cursor), false),
    deleteWordBack: () => this.remove(this.wordStartForKill(this.cursor), this.cursor, true),
    deleteWordForward: () => this.remove(this.cursor, this.wordEnd(this.cursor), true),
    killToStart: () => this.remove(0, this.cursor, true),
    killToEnd: () => this.remove(this.cursor, this.text.length, true),
    yank: () => this.insert(this.killed),
  };

  private remove(from: number, to: number, kill: boolean): void {
    if (to <= from) return;
    if (kill) this.killed = this.text.slice(from, to);
    this.text = this.text.slice(0, from) + this.text.slice(to);
    this.cursor = from;
  }

  /** The grapheme boundary at or before `at` (a cursor never lands inside a cluster). */
  private snap(at: number): number {
    const stops = graphemeStops(this.text);
    let best = 0;
    for (const s of stops) if (s <= at) best = s;
    return best;
  }

  private prevStop(at: number): number {
    const stops = graphemeStops(this.text);
    let best = 0;
    for (const s of stops) if (s < at) best = s;
    return best;
  }

  private nextStop(at: number): number {
    for (const s of graphemeStops(this.text)) if (s > at) return s;
    return this.text.length;
  }

  /** Each cluster with its offset, and whether it is part of a word. */
  private clusters(): Array<{ at: number; end: number; word: boolean }> {
    return [...segmenter.segment(this.text)].map((s) => ({ at: s.index, end: s.index + s.segment.length, word: WORD.test(s.segment) }));
  }

  /** Start of the word before `at` (Alt-B): skip separators, then word characters. */
  private wordStart(at: number): number {
    const c = this.clusters().filter((x) => x.end <= at);
    let i = c.length - 1;
    while (i >= 0 && !c[i]!.word) i--;
    while (i >= 0 && c[i]!.word) i--;
    return i >= 0 ? c[i]!.end : 0;
  }

  /** Ctrl-W as in shells: back over blanks, then back to the previous blank. */
  private wordStartForKill(at: number): number {
    const c = this.clusters().filter((x) => x.end <= at);
    let i = c.length - 1;
    while (i >= 0 && /^\s$/u.test(this.text.slice(c[i]!.at, c[i]!.end))) i--;
    while (i >= 0 && !/^\s$/u.test(this.text.slice(c[i]!.at, c[i]!.end))) i--;
    return i >= 0 ? c[i]!.end : 0;
  }

  /** End of the word after `at` (Alt-F): skip separators, then word characters. */
  private wordEnd(at: number): number {
    const c = this.clusters().filter((x) => x.at >= at);
    let i = 0;
    while (i < c.length && !c[i]!.word) i++;
    while (i < c.length && c[i]!.word) i++;
    return i < c.length ? c[i]!.at : this.text.length;
  }
}

/** What fits of a line in a field `cols` cells wide. */
export interface Viewport {
  /** Offset of the first shown character (keep it for the next call, so the view only scrolls when needed). */
  start: number;
  /** The shown text. */
  text: string;
  /** Cells from the field's left edge to the cursor. */
  cursorCol: number;
}

/**
 * The part of `text` to show so that the cursor is in view, scrolling as little as possible from the last
 * `start`. `width` measures display cells (2 for CJK and emoji); clusters are never cut.
 */
export function viewport(text: string, cursor: number, start: number, cols: number, width: (s: string) => number): Viewport {
  const parts = [...segmenter.segment(text)];
  const room = Math.max(1, cols - 1); // the last cell is kept for the cursor at the end of the line
  let first = parts.findIndex((p) => p.index >= Math.min(start, cursor));
  if (first < 0) first = parts.length;
  const at = parts.findIndex((p) => p.index >= cursor);
  const cur = at < 0 ? parts.length : at;
  const widths = parts.map((p) => width(p.segment));
  let cells = 0;
  for (let i = first; i < cur; i++) cells += widths[i]!;
  while (first < cur && cells > room) cells -= widths[first++]!;
  let shown = '';
  let used = 0;
  for (let i = first; i < parts.length && used + widths[i]! <= cols; i++) {
    shown += parts[i]!.segment;
    used += widths[i]!;
  }
  return { start: first < parts.length ? parts[first]!.index : text.length, text: shown, cursorCol: cells };
}
