// The client's view of other users' end-to-end keys: the fingerprints the server lists, the bundles
// fetched on demand, and each user's trust state. First sight pins the keys ("new"); a person who compared
// the safety number marks them "verified"; keys that differ from the pinned ones are "changed" until the
// person accepts them (/verify NAME yes or /trust NAME) — they are never pinned silently.
import { bundleFingerprint, parseBundle, type PublicBundle, type UserKeys } from '../e2e/keys.ts';
import type { UserKeyStore } from '../history/memory.ts';
import type { VerifiedStore } from '../history/trust.ts';
import { ChatError } from '../errors.ts';
import { KEYS_MAX_NAMES } from '../constants.ts';
import { foldName } from '../names.ts';
import type { WireUser } from './messages.ts';

/** What a person knows of a user's keys: first seen, compared by a person, or different from before. */
export type KeyState = 'new' | 'verified' | 'changed' | 'unknown';

export class KeyDirectory {
  /** Fingerprint the server lists for each user now online (folded name, foldName → fingerprint). */
  private readonly listed = new Map<string, string>();
  private readonly cache = new Map<string, { fp: string; keys: UserKeys }>();
  /** Changed fingerprints already warned about, so a list refresh does not warn again. */
  private readonly warned = new Set<string>();
  /** Folded names whose listed keys differ from the pinned ones: kept so a send checks them, not the whole room. */
  private readonly changedNow = new Set<string>();

  constructor(
    private readonly known: UserKeyStore,
    private readonly verified: VerifiedStore,
    private readonly fetch: (names: string[]) => Promise<Record<string, PublicBundle>>,
    private readonly warn: (line: string) => void,
  ) {}

  /** Records a user's listed fingerprint: pins it on first sight, warns when it differs from the pinned one. */
  async saw(u: WireUser, now = Date.now()): Promise<void> {
    if (!u.keys) return;
    const k = foldName(u.name);
    if (this.listed.get(k) !== u.keys) this.cache.delete(k);
    this.listed.set(k, u.keys);
    const before = this.known.get(k);
    if (!before) return this.known.set(k, u.keys, now);
    if (before.keys === u.keys) { this.changedNow.delete(k); return; }
    this.changedNow.add(k);
    if (this.warned.has(`${k} ${u.keys}`)) return;
    this.warned.add(`${k} ${u.keys}`);
    this.warn(`keys of ${u.name} changed since ${new Date(before.since).toISOString().slice(0, 16).replace('T', ' ')} — if ${u.name} did not reinstall Obrolan, someone may be pretending to be them; compare with /verify ${u.name}, then /verify ${u.name} yes or /trust ${u.name}`);
  }

  /** The fingerprint listed for `name` now (or pinned before), or undefined. */
  fingerprint(name: string): string | undefined {
    const k = foldName(name);
    return this.listed.get(k) ?? this.known.get(k)?.keys;
  }

  /** Folded names of users whose keys changed (some may have left since). */
  changed(): string[] { return [...this.changedNow]; }

  /** new, verified, changed (differs from the pinned keys), or unknown (no keys listed). */
  state(name: string): KeyState {
    const k = foldName(name);
    const fp = this.fingerprint(k);
    if (!fp) return 'unknown';
    const pinned = this.known.get(k)?.keys;
    if (pinned !== undefined && pinned !== fp) return 'changed';
    return this.verified.get(k) === fp ? 'verified' : 'new';
  }

  /** Accepts the keys listed now for `name` (pins them); `verified` records that a person compared them. Throws ChatError no_such_user. */
  async accept(name: string, verified: boolean, now = Date.now()): Promise<void> {
    const k = foldName(name);
    const fp = this.fingerprint(k);
    if (!fp) throw new ChatError('no_such_user', `no keys are known for ${name}`);
    await this.known.set(k, fp, now);
    this.changedNow.delete(k);
    if (verified) await this.verified.set(k, fp);
  }

  /** Keys of the named users (fetched from the server when not cached); users whose keys are unknown or do not match their fingerprint are left out. */
  async get(names: string[]): Promise<Map<string, UserKeys>> {
    const out = new Map<string, UserKeys>();
    const missing = names.filter((n) => !this.cache.has(foldName(n)));
    // In chunks, one after the other: a reply for a whole room would not fit in one message.
    for (let i = 0; i < missing.length; i += KEYS_MAX_NAMES) {
      const bundles = await this.fetch(missing.slice(i, i + KEYS_MAX_NAMES));
      for (const [name, b] of Object.entries(bundles)) this.add(name, b);
    }
    for (const n of names) {
      const c = this.cache.get(foldName(n));
      if (c) out.set(n, c.keys);
    }
    return out;
  }

  private add(name: string, b: PublicBundle): void {
    const k = foldName(name);
    let keys: UserKeys;
    try { keys = parseBundle(b); } catch { return this.warn(`the server sent unusable keys for ${name}`); }
    const fp = bundleFingerprint(b);
    const expected = this.fingerprint(k);
    if (expected && expected !== fp) return this.warn(`the keys the server sent for ${name} do not match their fingerprint — not using them`);
    this.cache.set(k, { fp, keys });
  }
}
