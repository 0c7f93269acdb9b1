// User names: the one rule for what a name may hold, the one folding that decides when two names are the
// same name, and the skeleton that decides when two names look alike. Every layer that compares names
// (server, client, key pins, history files, the windows) uses these and nothing else.
import { NAME_MAX_MARKS_IN_ROW, USERNAME_MAX_CHARS } from './constants.ts';
import { LOOKALIKE_PAIRS, LOOKALIKES } from './name-lookalikes.ts';

/** Longest raw input looked at, in UTF-16 units; longer is refused before normalising (cheap, and bounds the work). */
const MAX_RAW_UNITS = 1024;

/** Everything a name may hold: letters, decimal digits, combining marks, the plain space, `_ - .`. */
const ALLOWED = /^[\p{L}\p{Nd}\p{M} _.\-]*$/u;
/**
 * Characters that draw as nothing (or as a blank) although some are letters: default-ignorables (zero-width
 * spaces and joiners, bidi controls, variation selectors, the Hangul fillers U+115F U+1160 U+3164 U+FFA0,
 * Khmer U+17B4 U+17B5…), plus the blank braille pattern U+2800 and the object replacement U+FFFC.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\u2800\uFFFC]/u;
/** Letters drawn like punctuation a line is read by: colons (ː ˑ ꞉), the equals-like ꞊, and the click letters ǀ ǁ ǂ ǃ. */
const PUNCTUATION_LIKE = /[\u01C0-\u01C3\u02D0\u02D1\uA789\uA78A]/u;
/** Any space-like character other than the plain space (NFKC already maps most, e.g. U+00A0 and U+3000). */
const ODD_SPACE = /(?! )[\s\p{Zs}]/u;
/** A combining mark with nothing to sit on: at the start, or after a space or `_ - .`. */
const LONE_MARK = /(?:^|[ _.\-])\p{M}/u;
const MARK_RUN = new RegExp(`\\p{M}{${NAME_MAX_MARKS_IN_ROW + 1}}`, 'u');
const MARK = /\p{M}/gu;

/** The outcome of checkName: the name to show and its key, or a reason for a person. */
export type NameCheck = { ok: true; name: string; key: string } | { ok: false; code: 'bad_name'; reason: string };

function refuse(reason: string): NameCheck {
  return { ok: false, code: 'bad_name', reason };
}

/** "U+3164" for a character, to name one that cannot be shown. */
export function codePointLabel(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The key of a name: two names are the same name exactly when their keys are equal. NFKC, then the
 * dotless ı and the dotted İ become a plain i (so "Alı", "ALİ" and "Ali" are one name, whatever language
 * the person typed in), then a full case fold (lower, upper, lower: ß and SS, final and medial sigma fold
 * alike), then NFKC again. Idempotent: foldName(foldName(x)) === foldName(x).
 */
export function foldName(name: string): string {
  return name.normalize('NFKC').replace(/[\u0130\u0131]/g, 'i').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
}

function skeletonOf(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFKC').normalize('NFD').replace(MARK, '')) {
    // Capital I looks like l, not like i: look the character up before folding it, then again after.
    const first = LOOKALIKES.get(ch) ?? foldName(ch);
    out += LOOKALIKES.get(first) ?? first;
  }
  for (const [pair, proto] of LOOKALIKE_PAIRS) out = out.replace(pair, proto);
  return out;
}

/**
 * The skeletons of a name (the idea of UTS #39, with our own table in name-lookalikes.ts): accents and other
 * marks dropped, look-alike letters and digits replaced by the Latin letter they pass for ("аlice" with a
 * Cyrillic а, "a1ice", "AIice" and "alice" share one). Two: of the name as written and of its key, since
 * case changes what a letter looks like (capital I is drawn like l). Names look alike when they share one.
 */
export function nameSkeletons(name: string): string[] {
  const a = skeletonOf(name);
  const b = skeletonOf(foldName(name));
  return a === b ? [a] : [a, b];
}

/**
 * Checks a name typed by a person or sent by a peer: NFKC, trimmed, 1..USERNAME_MAX_CHARS characters (code
 * points) of letters, decimal digits, combining marks (at most NAME_MAX_MARKS_IN_ROW in a row, never on
 * nothing), single plain spaces and `_ - .`; no symbols or emoji, no control, format, bidi, private-use or
 * blank-looking characters. Never throws.
 */
export function checkName(raw: string): NameCheck {
  if (typeof raw !== 'string') return refuse('A name must be text.');
  if (raw.length > MAX_RAW_UNITS) return refuse(`A name can be at most ${USERNAME_MAX_CHARS} characters long.`);
  const name = raw.normalize('NFKC').replace(/^ +| +$/g, '');
  const chars = [...name];
  if (chars.length === 0 || chars.every((c) => INVISIBLE.test(c) || ODD_SPACE.test(c))) return refuse('Please choose a name: it cannot be empty.');
  if (chars.length > USERNAME_MAX_CHARS) return refuse(`A name can be at most ${USERNAME_MAX_CHARS} characters long; this one has ${chars.length}.`);
  const hidden = chars.find((c) => INVISIBLE.test(c));
  if (hidden) return refuse(`A name cannot contain invisible, blank or control characters, or line breaks (it holds ${codePointLabel(hidden)}).`);
  if (ODD_SPACE.test(name)) return refuse('A name can only use plain spaces between words.');
  if (name.includes('  ')) return refuse('A name cannot contain two spaces in a row.');
  const odd = chars.find((c) => !ALLOWED.test(c));
  if (odd) return refuse(`A name can only hold letters, digits, spaces and _ - . ("${odd}", ${codePointLabel(odd)}, is not allowed).`);
  const fake = chars.find((c) => PUNCTUATION_LIKE.test(c));
  if (fake) return refuse(`A name cannot hold letters drawn like punctuation ("${fake}", ${codePointLabel(fake)}).`);
  if (!/[\p{L}\p{Nd}]/u.test(name)) return refuse('A name needs at least one letter or a digit.');
  if (LONE_MARK.test(name)) return refuse('A name cannot have an accent or other mark on nothing, at its start or after a space or _ - .');
  if (MARK_RUN.test(name)) return refuse(`A name can stack at most ${NAME_MAX_MARKS_IN_ROW} accents or marks on one letter.`);
  return { ok: true, name, key: foldName(name) };
}
