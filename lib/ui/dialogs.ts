// A modal yes/no question over a window (first contact with a server: trust its key?).
import blessed from 'neo-blessed';
import type { Widgets } from 'blessed';
import { FocusRing, popRing, pushRing } from './keys.ts';
import { button } from './widgets.ts';

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
    let answered = false;
    const answer = (value: boolean) => {
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
    // A window closed while asking (Ctrl-C) answers no, so nothing waits forever.
    screen.once('destroy', () => answer(false));
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
