// Members neo-blessed has at run time that @types/blessed leaves out; only what lib/ui uses.
import type { Widgets } from 'blessed';

declare module 'blessed' {
  namespace Widgets {
    interface TextareaElement {
      /** True while the field takes keys (between readInput and done). */
      _reading?: boolean;
      /** Ends reading; deleted when reading ends (neo-blessed's stale listeners still call it). */
      _done?: (err: unknown, value?: string | null) => void;
      /** The key listener readInput attaches on the next tick. */
      _listener(this: Widgets.TextboxElement, ch: string | undefined, key: Widgets.Events.IKeyEventArg): unknown;
    }
    interface Screen {
      /** Set by destroy(). */
      destroyed?: boolean;
    }
  }
}
