// What asks for the person's attention: their name in a message (highlighted, a bell), a direct message,
// and the terminal title with the room and the unread mentions. Pure helpers; the window does the drawing.

const fold = (s: string) => s.normalize('NFKC').toLowerCase();
const NOT_WORD = '[^\\p{L}\\p{M}\\p{N}_]';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The pattern of `name` as a whole word, any case (names fold case everywhere in Obrolan). */
function namePattern(name: string, flags = 'iu'): RegExp {
  return new RegExp(`(?<=^|${NOT_WORD})${escapeRegExp(name)}(?=$|${NOT_WORD})`, flags);
}

/** True when `text` names `me` as a word ("budi: hi", "hi Budi!"), not inside another word ("budiman"). */
export function mentions(text: string, me: string): boolean {
  if (!me) return false;
  return namePattern(me).test(text.normalize('NFKC')) || namePattern(fold(me)).test(fold(text));
}

/**
 * Wraps every whole-word `me` in blessed tag text `tagged` in a highlight. Only the text between tags is
 * searched, so colour tags and the sender's coloured name are left alone.
 */
export function highlightMentions(tagged: string, me: string): string {
  if (!me) return tagged;
  const re = namePattern(me, 'giu');
  return tagged.replace(/(\{[^{}]*\})|([^{}]+)/g, (whole, tag: string | undefined, text: string | undefined) =>
    tag !== undefined ? tag : text!.replace(re, (n) => `{black-fg}{yellow-bg}${n}{/yellow-bg}{/black-fg}`));
}

/** The terminal title: the room, and the unread mentions when there are some. */
export function windowTitle(room: string, unreadMentions: number): string {
  const clean = room.replace(/[\x00-\x1f\x7f]/g, '');
  return unreadMentions > 0 ? `(${unreadMentions}) Obrolan — ${clean}` : `Obrolan — ${clean}`;
}

/** The escape sequence that sets the terminal title (OSC 2, ended by BEL). */
export function titleSequence(title: string): string {
  return `\x1b]2;${title.replace(/[\x00-\x1f\x7f]/g, '')}\x07`;
}
