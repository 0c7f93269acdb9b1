// The server's answer to a `keys` request: the public key bundles of the named users, bounded so that no
// request, however written, makes the server build a reply larger than the channel carries.
import { KEYS_MAX_NAMES, MAX_MESSAGE_BYTES } from '../constants.ts';
import { checkUsername } from './username.ts';

export interface Bundle { enc: string; sig: string }

/** Bytes of `{"t":"keys","bundles":{}}`, with room to spare. */
const REPLY_FRAME_BYTES = 64;

/**
 * The bundles of `names` from `bundles` (keyed by the folded name, as checkUsername folds): each user once
 * however the name is written (case variants, NFKC forms), under the first spelling asked; at most the first
 * KEYS_MAX_NAMES names are looked at, and users whose bundle would take the encoded reply over `maxBytes`
 * are left out (the client treats them as unknown and may ask again).
 */
export function keysReply(names: readonly string[], bundles: ReadonlyMap<string, Bundle>, maxBytes = MAX_MESSAGE_BYTES): Record<string, Bundle> {
  const out: Record<string, Bundle> = {};
  const seen = new Set<string>();
  let bytes = REPLY_FRAME_BYTES;
  for (const name of names.slice(0, KEYS_MAX_NAMES)) {
    const c = checkUsername(name);
    if (!c.ok || seen.has(c.key)) continue;
    seen.add(c.key);
    const b = bundles.get(c.key);
    if (!b) continue;
    // "name":{"enc":"…","sig":"…"}, plus the comma.
    const entry = Buffer.byteLength(JSON.stringify(name)) + Buffer.byteLength(JSON.stringify(b)) + 2;
    if (bytes + entry > maxBytes) continue;
    bytes += entry;
    out[name] = b;
  }
  return out;
}
