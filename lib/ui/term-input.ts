// Terminal input that neo-blessed's key parser cannot take: a bracketed paste (ESC[200~ … ESC[201~) arrives
// as one 'paste' event on the screen instead of thousands of key presses (Enter among them), and Alt-Enter
// (ESC CR, which blessed drops) as a paste of one newline. Everything else goes on to blessed unchanged and
// in order, so keys typed before and after a paste in the same read keep their places.
import { StringDecoder } from 'node:string_decoder';
import type { Widgets } from 'blessed';

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
const ALT_ENTER = '\x1b\r';
/** Turns bracketed paste on and off (xterm, tmux, most terminals). */
export const BRACKETED_PASTE_ON = '\x1b[?2004h';
export const BRACKETED_PASTE_OFF = '\x1b[?2004l';

type Emit = (event: string | symbol, ...args: unknown[]) => boolean;

/** Splits terminal input into key text (for blessed) and pastes; keeps state across reads. */
export class PasteSplitter {
  private paste: string | undefined;
  private held = '';

  /** Feeds one read; calls `keys` and `pasted` in the order the bytes came. */
  feed(s: string, keys: (text: string) => void, pasted: (text: string) => void): void {
    s = this.held + s;
    this.held = '';
    while (s) {
      if (this.paste !== undefined) {
        const end = s.indexOf(PASTE_END);
        if (end < 0) {
          const keep = partialSuffix(s, PASTE_END);
          this.paste += s.slice(0, s.length - keep);
          this.held = s.slice(s.length - keep);
          return;
        }
        pasted(normalize(this.paste + s.slice(0, end)));
        this.paste = undefined;
        s = s.slice(end + PASTE_END.length);
        continue;
      }
      const start = s.indexOf(PASTE_START);
      const alt = s.indexOf(ALT_ENTER);
      if (alt >= 0 && (start < 0 || alt < start)) {
        if (alt > 0) keys(s.slice(0, alt));
        pasted('\n');
        s = s.slice(alt + ALT_ENTER.length);
        continue;
      }
      if (start < 0) {
        const keep = partialSuffix(s, PASTE_START);
        if (s.length > keep) keys(s.slice(0, s.length - keep));
        this.held = s.slice(s.length - keep);
        return;
      }
      if (start > 0) keys(s.slice(0, start));
      this.paste = '';
      s = s.slice(start + PASTE_START.length);
    }
  }
}

/** Length of the longest end of `s` that begins `marker` (at least "ESC[2", so a lone Escape passes). */
function partialSuffix(s: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, s.length); n >= 3; n--) if (marker.startsWith(s.slice(s.length - n))) return n;
  return 0;
}

/** Line ends as "\n" (terminals paste CR or CRLF). */
function normalize(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

/**
 * Routes the screen's terminal input through a PasteSplitter: pastes become `screen.emit('paste', text)`.
 * Turns bracketed paste on; the returned function turns it off and restores the input stream.
 */
export function interceptTerminalInput(screen: Widgets.Screen): () => void {
  const program = screen.program as unknown as { input: NodeJS.ReadableStream & { emit: Emit }; output: NodeJS.WritableStream };
  const input = program.input;
  const original = input.emit;
  const decoder = new StringDecoder('utf8');
  const splitter = new PasteSplitter();
  input.emit = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'data') return original.call(this, event, ...args);
    const chunk = args[0];
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    splitter.feed(text,
      (keys) => original.call(this, 'data', keys),
      (pasted) => { if (!screen.destroyed) screen.emit('paste', pasted); });
    return true;
  };
  program.output.write(BRACKETED_PASTE_ON);
  return () => {
    input.emit = original;
    program.output.write(BRACKETED_PASTE_OFF);
  };
}
