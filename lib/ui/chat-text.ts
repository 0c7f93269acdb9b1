// The text of the chat view (lib/ui/chat-view.ts): the message pane's lines (a date line each new day, the
// unread marker, "/me" actions, the reader's name highlighted), the users pane's items and the status bar.
import type { ChatMessage, ClientState } from '../chat/types.ts';
import { highlightMentions } from './attention.ts';
import { ME_PREFIX } from './commands.ts';
import { dayKey, escapeTags, formatDay, formatMessage, formatSystem, LOCK_MARK, peerName, shortFingerprint, stripTags } from './format.ts';

/** The start of a formatted message up to "name: ", to turn "/me waves" into "* name waves" (names hold no ':'). */
const ACTION_LINE = new RegExp(`^(\\{gray-fg\\}[^{]*\\{/gray-fg\\} (?:${LOCK_MARK} )?)(.*?): `);
/** The line above the first message that came while the pane was scrolled up. */
const UNREAD_MARKER = '{yellow-fg}──────── new messages ────────{/yellow-fg}';
/** The key state marker after a user's name (issue 15): verified ✓, changed in red. */
const KEY_MARKS: Record<string, string> = { verified: ' {green-fg}✓{/green-fg}', changed: ' {red-fg}keys!{/red-fg}' };

const STATE_LABEL: Record<ClientState, string> = {
  connecting: '{yellow-fg}● connecting…{/yellow-fg}',
  connected: '{green-fg}● connected{/green-fg}',
  reconnecting: '{yellow-fg}● reconnecting…{/yellow-fg}',
  closed: '{red-fg}● disconnected{/red-fg}',
};

export type Entry =
  | { kind: 'message'; m: ChatMessage; own: boolean; delivered: boolean }
  | { kind: 'system'; text: string; ts: number; level: 'info' | 'error' };

/** What the status bar shows. */
export interface ChatStatus {
  state: ClientState;
  /** "host:port". */
  server: string;
  serverFingerprint: string;
  myFingerprint: string;
}

/** The message pane's lines for `entries` as seen by `me`, wrapped at `width`; the unread marker goes above `marker`. */
export function entryLines(entries: readonly Entry[], marker: Entry | undefined, me: string, width: number): string[] {
  const lines: string[] = [];
  // HH:MM alone would pass yesterday's history off as today's: a date line starts every other day.
  let day = dayKey(Date.now());
  for (const e of entries) {
    const ts = e.kind === 'system' ? e.ts : e.m.ts;
    if (dayKey(ts) !== day) lines.push(formatDay(ts));
    day = dayKey(ts);
    if (e === marker) lines.push(UNREAD_MARKER);
    lines.push(e.kind === 'system' ? formatSystem(e.text, e.ts, e.level, width) : messageLine(e, me, width));
  }
  return lines;
}

/** A message line: "* name action" for /me, the name of the reader highlighted in others' messages. */
function messageLine(e: Extract<Entry, { kind: 'message' }>, me: string, width: number): string {
  const delivery = e.own ? (e.delivered ? 'delivered' : 'pending') : 'none';
  const line = e.m.text.startsWith(ME_PREFIX)
    ? formatMessage({ ...e.m, text: e.m.text.slice(ME_PREFIX.length) }, me, delivery, width).replace(ACTION_LINE, '$1* $2 ')
    : formatMessage(e.m, me, delivery, width);
  return e.own ? line : highlightMentions(line, me);
}

/** A users pane item; `you`: it is the reader, marked "(you)"; else verified keys ✓, changed keys a red "keys!". */
export function userItem(name: string, you: boolean, keyState: string | undefined): string {
  return peerName(name) + (you ? ' {gray-fg}(you){/gray-fg}' : KEY_MARKS[keyState ?? ''] ?? '');
}

/** The status bar of `me`: state, server, both fingerprints (shortened to fit `width` cells). */
export function statusLine(s: ChatStatus, me: string, width: number): string {
  const state = STATE_LABEL[s.state];
  const plain = (fpChars: number) => ` ${stripTags(state)}  server ${s.server}  key ${shortFingerprint(s.serverFingerprint, fpChars)}  you ${me} ${shortFingerprint(s.myFingerprint, fpChars)}`;
  let fpChars = 50;
  while (fpChars > 12 && plain(fpChars).length > width - 1) fpChars--;
  const fp = (f: string) => `{gray-fg}${escapeTags(shortFingerprint(f, fpChars))}{/gray-fg}`;
  return ` ${state}  server ${escapeTags(s.server)}  key ${fp(s.serverFingerprint)}  you ${peerName(me)} ${fp(s.myFingerprint)}`;
}
