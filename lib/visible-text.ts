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
