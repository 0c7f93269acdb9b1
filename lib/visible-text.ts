// Text from peers made safe to print on a terminal: every control character becomes a visible symbol, so
// a name or a message can neither move the cursor, clear the screen, return to the start of a line, nor
// start a new line that looks like another message. Used by the line mode and the windows.

/** C0 controls, DEL, C1 controls, line and paragraph separators, and the bidi controls. */
const CONTROL = /\r\n|[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** What a newline in a message becomes in a one-line-per-message output. */
export const NEWLINE_MARK = '⏎';

/** "<U+202E>" for a character that has no picture of its own. */
function label(ch: string): string {
  return `<U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`;
}

function visible(ch: string, newline: string): string {
  if (ch === '\n' || ch === '\r\n' || ch === '\u2028' || ch === '\u2029') return newline;
  const code = ch.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code); // the Control Pictures block: ␛ ␍ ␉ ␀ …
  if (code === 0x7f) return '\u2421'; // ␡
  return label(ch);
}

/**
 * `text` with every control character shown as a symbol: C0 controls as their Control Pictures (ESC as ␛,
 * CR as ␍, TAB as ␉), DEL as ␡, C1 controls and bidi controls as "<U+0085>". Newlines (LF, CRLF, U+2028,
 * U+2029) become NEWLINE_MARK with `newline: 'mark'` (one line per message), or a plain LF with 'keep'
 * (the caller indents the lines that follow). Never throws.
 */
export function showControls(text: string, newline: 'mark' | 'keep' = 'mark'): string {
  const nl = newline === 'mark' ? NEWLINE_MARK : '\n';
  return text.replace(CONTROL, (ch) => visible(ch, nl));
}

/**
 * At least the number of terminal cells `ch` takes, whoever measures: 1 below U+1100 (Latin, Greek,
 * Cyrillic…), 2 from there (CJK and emoji are wide; some are not, which only wraps a little early), 3 for
 * a character outside the BMP (neo-blessed counts its two UTF-16 units plus a filler cell when it is wide).
 */
function cellsAtMost(ch: string): number {
  const cp = ch.codePointAt(0)!;
  return cp < 0x1100 ? 1 : cp <= 0xffff ? 2 : 3;
}

/** At least the number of cells `text` (printable, one line) takes on a terminal: see cellsAtMost. */
export function widthAtMost(text: string): number {
  let n = 0;
  for (const ch of text) n += cellsAtMost(ch);
  return n;
}

/**
 * Splits one line of printable text (showControls first) into rows that fit: the first at most `first`
 * cells, the others at most `rest`, each measured generously (cellsAtMost) so that the terminal or the
 * widget never wraps a row again on its own. Breaks after the last space of a row when there is one in
 * its second half, else anywhere. The caller puts an indent before every row but the first, so a text
 * padded to wrap where a forged "09:30 alice:" would start a row cannot pass for a message of its own.
 */
export function wrapRows(line: string, first: number, rest: number): string[] {
  const chars = [...line];
  const rows: string[] = [];
  let i = 0;
  while (i < chars.length) {
    const limit = Math.max(1, rows.length === 0 ? first : rest);
    let j = i;
    let used = 0;
    let space = -1;
    while (j < chars.length && used + cellsAtMost(chars[j]!) <= limit) {
      if (chars[j] === ' ') space = j;
      used += cellsAtMost(chars[j]!);
      j++;
    }
    if (j === i) j = i + 1; // one character wider than the row: alone on it
    else if (j < chars.length && space >= i + (j - i) / 2) j = space + 1;
    rows.push(chars.slice(i, j).join(''));
    i = j;
  }
  return rows.length ? rows : [''];
}
