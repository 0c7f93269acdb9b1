// A modal yes/no question over a window (first contact with a server: trust its key?).
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import { FocusRing, popRing, pushRing } from './keys.ts';
import { button, label, textField } from './widgets.ts';

/** What a yes/no dialog shows. */
export interface YesNoOptions {
  title: string;
  /** Body lines, blessed tag text (escape peer text first). */
  lines: string[];
  yes: string;
  no: string;
}

/**
 * Shows a centred dialog and resolves true on y / Yes, false on n / No / Escape. The No button has the
 * focus first, so a reflexive Enter does not trust a key. Tab and the arrows move between the buttons.
 */
export function askYesNo(screen: Widgets.Screen, opts: YesNoOptions): Promise<boolean> {
  const before = screen.focused as Widgets.BlessedElement | undefined;
  const width = Math.min(84, Math.max(40, Number(screen.width) - 4));
  const box = blessed.box({
    parent: screen,
    top: 'center',
    left: 'center',
    width,
    height: opts.lines.length + 4,
    tags: true,
    border: { type: 'line' },
    label: ` ${opts.title} `,
    content: opts.lines.join('\n'),
    padding: { left: 1, right: 1 },
    style: { border: { fg: 'yellow' }, label: { fg: 'yellow', bold: true } },
  });
  const yes = button({ parent: box, bottom: 0, left: 1, label: `${opts.yes} (y)` });
  const no = button({ parent: box, bottom: 0, left: opts.yes.length + 9, label: `${opts.no} (n)` });
  const ring = new FocusRing(screen, [yes, no]);
  pushRing(screen, ring);

  return new Promise<boolean>((resolve) => {
    // A window closed while asking (Ctrl-C) answers no, so nothing waits forever.
    const answer = answerOnce<boolean>(screen, ring, box, before, resolve, false);
    yes.on('press', () => answer(true));
    no.on('press', () => answer(false));
    for (const b of [yes, no]) {
      b.key(['y', 'Y'], () => answer(true));
      b.key(['n', 'N', 'escape'], () => answer(false));
      b.key(['left', 'right'], () => ring.move(b === yes ? 1 : -1));
    }
    ring.focus(no);
  });
}

/** What a password dialog shows. */
export interface PasswordOptions {
  title: string;
  /** Body lines, blessed tag text (escape peer text first). */
  lines: string[];
}

/**
 * Shows a centred dialog with a masked field; resolves with what was typed on Enter, undefined on Escape
 * or when the window closes. The field has the focus, and keys typed right after it opened are kept.
 */
export function askPassword(screen: Widgets.Screen, opts: PasswordOptions): Promise<string | undefined> {
  const before = screen.focused as Widgets.BlessedElement | undefined;
  const width = Math.min(72, Math.max(40, Number(screen.width) - 4));
  const box = blessed.box({
    parent: screen, top: 'center', left: 'center', width, height: opts.lines.length + 6, tags: true,
    border: { type: 'line' }, label: ` ${opts.title} `, content: opts.lines.join('\n'), padding: { left: 1, right: 1 },
    style: { border: { fg: 'yellow' }, label: { fg: 'yellow', bold: true } },
  });
  label({ parent: box, bottom: 1, left: 0, content: 'Password' });
  const field = textField({ parent: box, bottom: 1, left: 10, right: 1, censor: true, onClick: () => ring.focus(field) });
  label({ parent: box, bottom: 0, left: 0, content: '{gray-fg}Enter: log in again · Escape: not now{/gray-fg}' });
  const ring = new FocusRing(screen, [field]);
  pushRing(screen, ring);
  return new Promise((resolve) => {
    const answer = answerOnce<string | undefined>(screen, ring, box, before, resolve, undefined);
    field.on('submit', (v: string) => { if (v) answer(v); });
    field.on('cancel', () => answer(undefined));
    ring.focus(field);
  });
}

/**
 * The one way a dialog ends: the first answer wins, the dialog goes, the focus returns to where it was.
 * A window destroyed while asking answers `onDestroy`.
 */
function answerOnce<T>(screen: Widgets.Screen, ring: FocusRing, box: Widgets.BoxElement, before: Widgets.BlessedElement | undefined,
  resolve: (value: T) => void, onDestroy: T): (value: T) => void {
  let answered = false;
  const answer = (value: T): void => {
    if (answered) return;
    answered = true;
    popRing(screen, ring);
    if (!screen.destroyed) {
      box.destroy();
      if (before && !before.detached) before.focus();
      screen.render();
    }
    resolve(value);
  };
  screen.once('destroy', () => answer(onDestroy));
  return answer;
}
