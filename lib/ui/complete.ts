// Tab completion of the chat input, pure: member names ("bu" → "budi: " at the start of a line, "budi "
// elsewhere), /commands at the start, names after /msg, the file path of /send (lib/ui/complete-path.ts,
// through the folder lister given), and transfer ids after /accept, /decline and /cancel. Repeated Tab cycles
// through the matches.
import { looksLikePath, pathChoices, sendPathAt, type ListDir } from './complete-path.ts';

/** What the completer may offer. */
export interface CompletionSource {
  /** Member names (yourself left out by the caller). */
  names: string[];
  /** Command words with their slash ("/msg", "/help"…). */
  commands: string[];
  /** Lists a folder, for the path of /send; without it paths are not completed. */
  listDir?: ListDir;
  /** Ids of the file offers waiting for an answer (after /accept, /decline) and of every transfer (after /cancel). */
  offers?: string[];
  transfers?: string[];
}

/** How many characters of a transfer id are offered (as the window shows them). */
const ID_CHARS = 8;
/** The commands whose argument is a transfer id, and which ids each takes. */
const ID_ARG = /^\/(accept|decline|cancel)\s+$/i;

/** A completion in progress: Tab again replaces `from`…cursor with the next choice. */
export interface Completion {
  /** Where the completed word starts (UTF-16 offset). */
  from: number;
  /** The text after the cursor, kept as it was. */
  after: string;
  /** The text before the word, kept as it was. */
  before: string;
  choices: string[];
  /** Index of the choice shown now. */
  index: number;
  /** The choices are file paths: inserted as they are, no blank after. */
  path?: boolean;
}

const fold = (s: string) => s.normalize('NFKC').toLowerCase();

/** The word before the cursor and where it starts (words end at blanks). */
function wordAt(text: string, cursor: number): { from: number; word: string } {
  let from = cursor;
  while (from > 0 && !/\s/u.test(text[from - 1]!)) from--;
  return { from, word: text.slice(from, cursor) };
}

/** The text a choice becomes: a name gets ": " at the start of a line, a blank elsewhere; a command a blank. */
function finish(choice: string, before: string): string {
  if (choice.startsWith('/')) return `${choice} `;
  return before.trim() === '' ? `${choice}: ` : `${choice} `;
}

/**
 * Starts a completion for `text` with the cursor at `cursor`; undefined when nothing matches.
 * Matching ignores case; choices are sorted.
 */
export function startCompletion(text: string, cursor: number, src: CompletionSource): Completion | undefined {
  const send = src.listDir ? sendPathAt(text.slice(0, cursor), src.names) : undefined;
  if (send?.kind === 'path') return pathCompletion(text, cursor, send.from, src.listDir!);
  const { from, word } = wordAt(text, cursor);
  if (send && looksLikePath(word)) return pathCompletion(text, cursor, send.from, src.listDir!);
  const before = text.slice(0, from);
  const idCommand = ID_ARG.exec(before)?.[1]?.toLowerCase();
  if (idCommand) return idCompletion(word, from, before, text.slice(cursor), (idCommand === 'cancel' ? src.transfers : src.offers) ?? []);
  const isCommand = before === '' && word.startsWith('/');
  const afterMsg = /^\/(msg|query|send)\s+$/i.test(before);
  if (!word && !afterMsg) return undefined;
  const pool = isCommand ? src.commands : src.names;
  const key = fold(word);
  const choices = [...new Set(pool)].filter((c) => fold(c).startsWith(key)).sort((a, b) => a.localeCompare(b));
  if (!choices.length) return send && word ? pathCompletion(text, cursor, send.from, src.listDir!) : undefined;
  return { from, before, after: text.slice(cursor), choices, index: 0 };
}

/** Completes a transfer id (its first ID_CHARS characters) after /accept, /decline or /cancel. */
function idCompletion(word: string, from: number, before: string, after: string, ids: string[]): Completion | undefined {
  const key = word.toLowerCase();
  const choices = [...new Set(ids.map((i) => i.slice(0, ID_CHARS)))].filter((i) => i.startsWith(key)).sort();
  return choices.length ? { from, before, after, choices, index: 0 } : undefined;
}

/** Completes text[from..cursor] as a file path. */
function pathCompletion(text: string, cursor: number, from: number, list: ListDir): Completion | undefined {
  const choices = pathChoices(text.slice(from, cursor), list);
  return choices.length ? { from, before: text.slice(0, from), after: text.slice(cursor), choices, index: 0, path: true } : undefined;
}

/** The line and cursor that show choice `c.index`. */
export function applyCompletion(c: Completion): { text: string; cursor: number } {
  const choice = c.choices[c.index]!;
  const afterMsg = /^\/(msg|query|send)\s+$/i.test(c.before);
  let inserted = c.path ? choice : afterMsg ? `${choice} ` : finish(choice, c.before);
  // Before a blank that is already there, no second one.
  if (/^\s/u.test(c.after) && inserted.endsWith(' ')) inserted = inserted.slice(0, -1);
  return { text: c.before + inserted + c.after, cursor: c.before.length + inserted.length };
}

/** The same completion moved to its next choice (wrapping). */
export function nextCompletion(c: Completion): Completion {
  return { ...c, index: (c.index + 1) % c.choices.length };
}
