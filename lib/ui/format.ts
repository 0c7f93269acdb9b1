// Pure text helpers for the windows: times, name colours, message lines, addresses, counters.
// Nothing here touches the terminal, so all of it is tested without one.
import type { NetworkInterfaceInfo } from 'node:os';
import type { ChatMessage, RoomUser, ServerStats } from '../chat/types.ts';
import { foldName } from '../names.ts';
import { showControls, widthAtMost, wrapRows } from '../visible-text.ts';

/** Readable foreground colours on dark and light backgrounds, as blessed hex tags. */
const NAME_COLOURS = [
  '#e06c75', '#98c379', '#d19a66', '#61afef', '#c678dd', '#56b6c2',
  '#e5c07b', '#ff8700', '#5fafff', '#af87ff', '#5fd787', '#ff5f87',
];

/** Shown in the mark column (after the time) of an encrypted message. No name or text can hold it there. */
export const LOCK_MARK = '🔒';
/** Between the sender and the recipient of a direct message, in its own colour; no name can hold it. */
export const DIRECT_MARK = '→';
/** The mark column, two cells wide (🔒 is a wide character): blank for plain messages. */
const NO_MARK = '  ';
/** Indent of the later lines of a message: under its text, past the time and the mark column. */
const CONTINUATION_INDENT = ' '.repeat('HH:MM '.length + NO_MARK.length + 1);
/** Shown after an own message once the server stored it. */
export const DELIVERED_MARK = '✓';
/** Shown after an own message the server has not confirmed yet. */
export const PENDING_MARK = '…';

/** Escapes blessed tags so text from peers is shown as typed, never interpreted. */
export function escapeTags(text: string): string {
  return text.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

/** The visible text of a blessed tag string (for measuring). */
export function stripTags(text: string): string {
  return text.replace(/\{(open|close)\}|\{\/?[\w\-,;!#]*\}/g, (_m, brace?: string) => (brace === 'open' ? '{' : brace === 'close' ? '}' : ''));
}

/** Removes control characters (terminal escapes from a peer) except newline and tab. */
export function stripControls(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '');
}

/**
 * A name from a peer as blessed tag text on one line that shows exactly what was sent and does nothing
 * else: tags escaped, every control character shown as a symbol (␛ ␍ ␉ ␡, "<U+202E>"), newlines as ⏎.
 */
export function peerName(name: string): string {
  return escapeTags(showControls(name));
}

/** Cells kept free at the end of a row for the delivery mark (" ✓", measured generously). */
const MARK_ROOM = 3;
/** Fewer cells than this left after the sender: the text starts on the next row. */
const MIN_FIRST_ROW = 10;

/**
 * `text` from a peer as blessed tag text whose later lines are indented under the first. With `width`
 * (cells in a row of the pane), long lines are wrapped here, every row after the first indented, so the
 * pane never wraps one itself: a text padded to wrap just before a forged "09:30 alice:" cannot make
 * that start a row. `prefix` is how many cells the line has before the text.
 */
function indentedText(text: string, prefix: number, width?: number): string {
  const lines = showControls(text.replace(/\t/g, '    '), 'keep').split('\n');
  if (width === undefined) return lines.map(escapeTags).join(`\n${CONTINUATION_INDENT}`);
  const rest = width - CONTINUATION_INDENT.length - MARK_ROOM;
  let first = width - prefix - MARK_ROOM;
  const rows: string[] = first < MIN_FIRST_ROW ? [''] : [];
  if (first < MIN_FIRST_ROW) first = rest;
  for (const line of lines) {
    rows.push(...wrapRows(line, rows.length === 0 ? first : rest, rest));
  }
  return rows.map(escapeTags).join(`\n${CONTINUATION_INDENT}`);
}

/** "HH:MM" in local time for a time in ms since the epoch. */
export function clockHM(ts: number): string {
  const d = new Date(ts);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** "HH:MM:SS" in local time for a time in ms since the epoch. */
export function clockHMS(ts: number): string {
  const d = new Date(ts);
  return `${clockHM(ts)}:${String(d.getSeconds()).padStart(2, '0')}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The local calendar day of a time, as a comparable key. */
export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** A separator line for the messages of another day: "── Tue 24 Nov 2026 ──" (blessed tag text). */
export function formatDay(ts: number): string {
  const d = new Date(ts);
  return `{gray-fg}── ${DAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ──{/gray-fg}`;
}

/** A colour for a user name that is the same in every window and every run (FNV-1a of the name's key, lib/names.ts foldName). */
export function nameColour(name: string): string {
  let h = 0x811c9dc5;
  for (const ch of foldName(name)) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return NAME_COLOURS[h % NAME_COLOURS.length]!;
}

/** A user name in its colour, as a blessed tag string. */
export function colouredName(name: string): string {
  const colour = nameColour(name);
  return `{${colour}-fg}{bold}${peerName(name)}{/bold}{/${colour}-fg}`;
}

/** How an own message stands: not own, waiting for the server, or stored. */
export type Delivery = 'none' | 'pending' | 'delivered';

/**
 * One message as blessed tag text: "HH:MM 🔒 name: text ✓", wrapped to `width` cells when given. The lock sits in a column of its own between
 * the time and the name (blank for a plain message) and a direct message's "→ bob" or "→ you" is drawn in
 * cyan, not bold: names hold only letters, digits, spaces and `_ - .` (lib/names.ts), so no name or text
 * can draw either mark where it means something. Later lines of a multi-line text are indented under the
 * first, past the time, so none of them can pass for a message of its own.
 */
export function formatMessage(m: ChatMessage, me: string, delivery: Delivery, width?: number): string {
  const lock = m.encrypted ? `{yellow-fg}${LOCK_MARK}{/yellow-fg}` : NO_MARK;
  const to = m.to === undefined ? ''
    : foldName(m.to) === foldName(me) ? ` {cyan-fg}${DIRECT_MARK} you{/cyan-fg}` : ` {cyan-fg}${DIRECT_MARK}{/cyan-fg} ${colouredName(m.to)}`;
  const who = `${clockHM(m.ts)} ${m.encrypted ? LOCK_MARK : NO_MARK} ${stripTags(colouredName(m.from) + to)}: `;
  let text = indentedText(m.text, widthAtMost(who), width);
  if (m.notice) text = `{gray-fg}${text}{/gray-fg}`;
  const mark = delivery === 'delivered' ? ` {green-fg}${DELIVERED_MARK}{/green-fg}`
    : delivery === 'pending' ? ` {gray-fg}${PENDING_MARK}{/gray-fg}` : '';
  return `{gray-fg}${clockHM(m.ts)}{/gray-fg} ${lock} ${colouredName(m.from)}${to}: ${text}${mark}`;
}

/** A system line (joins, leaves, reconnects, errors) as blessed tag text. */
export function formatSystem(line: string, ts: number, level: 'info' | 'error' = 'info', width?: number): string {
  const colour = level === 'error' ? 'red' : 'gray';
  // The dash sits in the mark column, so system texts line up with the names of messages.
  return `{gray-fg}${clockHM(ts)}{/gray-fg} {${colour}-fg}—  ${indentedText(line, CONTINUATION_INDENT.length, width)}{/${colour}-fg}`;
}

/** A fingerprint cut to `chars` characters with an ellipsis, for narrow places; the full one is shown on trust. */
export function shortFingerprint(fp: string, chars = 20): string {
  return fp.length <= chars ? fp : `${fp.slice(0, chars - 1)}…`;
}

/**
 * The addresses clients should type to reach a server bound to `host`: for 0.0.0.0 (or ::) every non-internal
 * IPv4 address of this machine, else the bound address itself. Falls back to 127.0.0.1 when there is no LAN.
 */
export function connectAddresses(
  host: string,
  port: number,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
): string[] {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return [`${host}:${port}`];
  const out: string[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family === 'IPv4' && !info.internal) out.push(`${info.address}:${port}  (${name})`);
    }
  }
  return out.length ? out : [`127.0.0.1:${port}  (this machine only: no LAN interface is up)`];
}

/** Server counters as lines for the counters pane. */
export function formatStats(s: ServerStats): string[] {
  const lines = [
    `users ${s.users}  connections ${s.connections}  messages ${s.messages}`,
    `datagrams in ${s.datagramsIn}  out ${s.datagramsOut}`,
  ];
  const dropped = Object.entries(s.dropped).filter(([, n]) => n > 0);
  const total = dropped.reduce((n, [, c]) => n + c, 0);
  lines.push(total ? `dropped ${total}: ${dropped.map(([k, n]) => `${k} ${n}`).join(', ')}` : 'dropped 0');
  return lines;
}

/** What was dropped since `before`, as "unauthenticated 3, replay 1", or '' when nothing new. */
export function droppedSince(before: Record<string, number>, now: Record<string, number>): string {
  const parts: string[] = [];
  for (const [reason, n] of Object.entries(now)) {
    const delta = n - (before[reason] ?? 0);
    if (delta > 0) parts.push(`${reason} ${delta}`);
  }
  return parts.join(', ');
}

/** One row of the server's users pane: "name  ip:port  since HH:MM", the name padded to `nameWidth`. */
export function formatRoomUser(u: RoomUser, nameWidth = 0): string {
  const since = u.since !== undefined ? `  since ${clockHM(u.since)}` : '';
  return `${showControls(u.name).padEnd(nameWidth)}  ${u.address ?? ''}${since}`;
}

/** Parses a port typed by a person; undefined unless a whole number 1–65535 (0 too with `allowZero`: any free port). */
export function parsePort(text: string, allowZero = false): number | undefined {
  if (!/^\d{1,5}$/.test(text.trim())) return undefined;
  const port = Number(text.trim());
  return (port >= 1 || (allowZero && port === 0)) && port <= 65535 ? port : undefined;
}
