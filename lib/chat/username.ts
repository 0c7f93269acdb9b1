// Username rules: what a name may contain, and the key that makes names unique regardless of case and width.
import { USERNAME_MAX_CHARS } from '../constants.ts';

/** Names nobody may take, compared by key: the UI uses them for its own lines. */
const RESERVED_KEYS = new Set(['server', 'system']);
/** Longest raw input looked at, in UTF-16 units; longer is refused before normalising (cheap, and bounds the work). */
const MAX_RAW_UNITS = 1024;

// Control (Cc), format (Cf: zero-width joiners, bidi overrides…), surrogate (Cs), private use (Co),
// line and paragraph separators (Zl, Zp). Cc already covers \n, \r and \t; lone surrogates survive NFKC, so Cs catches them.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/u;
/** Space separators other than the plain space (NFKC already maps most, e.g. U+00A0 and U+3000, to it). */
const ODD_SPACE = /(?! )[\s\p{Zs}]/u;
const SPACE_RUN = / {2}/;
const LEADING_MARK = /^\p{M}/u;

/** The outcome of checkUsername: the name to show and its uniqueness key, or a reason for a person. */
export type NameCheck = { ok: true; name: string; key: string } | { ok: false; code: 'bad_name'; reason: string };

function refuse(reason: string): NameCheck {
  return { ok: false, code: 'bad_name', reason };
}

/**
 * The uniqueness key of an already normalised name: case-folded, so "Budi", "BUDI" and fullwidth
 * "ｂｕｄｉ" share one key. Upper-then-lower folds ß/SS and final sigma the same way every time.
 */
export function usernameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * Checks a username typed by a person or sent by a client. NFKC-normalises and trims it, then requires
 * 1..USERNAME_MAX_CHARS characters (code points), printable ones only (no control, format, surrogate
 * or private-use characters, no line breaks), plain single spaces, and not a reserved name
 * ("server", "system", in any case or width). Never throws.
 */
export function checkUsername(raw: string): NameCheck {
  if (typeof raw !== 'string') return refuse('A name must be text.');
  if (raw.length > MAX_RAW_UNITS) return refuse(`A name can be at most ${USERNAME_MAX_CHARS} characters long.`);
  const name = raw.normalize('NFKC').trim();
  const chars = [...name].length;
  if (chars === 0) return refuse('Please choose a name: it cannot be empty.');
  if (chars > USERNAME_MAX_CHARS) return refuse(`A name can be at most ${USERNAME_MAX_CHARS} characters long; this one has ${chars}.`);
  if (UNPRINTABLE.test(name)) return refuse('A name cannot contain invisible or control characters, or line breaks.');
  if (ODD_SPACE.test(name)) return refuse('A name can only use plain spaces between words.');
  if (SPACE_RUN.test(name)) return refuse('A name cannot contain two spaces in a row.');
  if (LEADING_MARK.test(name)) return refuse('A name cannot start with a combining mark.');
  const key = usernameKey(name);
  if (RESERVED_KEYS.has(key)) return refuse(`"${name}" is reserved; please choose another name.`);
  return { ok: true, name, key };
}
