// Username rules at the chat layer: the one rule and folding of lib/names.ts, plus the names the windows
// use for their own lines, which nobody may take (nor any name that looks like them).
import { checkName, foldName, nameSkeletons, type NameCheck } from '../names.ts';

export type { NameCheck } from '../names.ts';

/** Names nobody may take, nor look-alikes of them: the windows use them for their own lines ("→ you"). */
const RESERVED = ['server', 'system', 'you'];
const RESERVED_SKELETONS = new Set(RESERVED.flatMap(nameSkeletons));

/** The uniqueness key of a name (lib/names.ts foldName): the one folding used everywhere. */
export function usernameKey(name: string): string {
  return foldName(name);
}

/**
 * Checks a username typed by a person or sent by a client (lib/names.ts checkName), and refuses the
 * reserved names "server", "system" and "you" in any case, width or look-alike spelling. Never throws.
 */
export function checkUsername(raw: string): NameCheck {
  const check = checkName(raw);
  if (check.ok && nameSkeletons(check.name).some((s) => RESERVED_SKELETONS.has(s))) {
    return { ok: false, code: 'bad_name', reason: `"${check.name}" is reserved; please choose another name.` };
  }
  return check;
}
