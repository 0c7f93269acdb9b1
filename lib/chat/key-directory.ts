// The client's view of other users' end-to-end keys: the fingerprints the server lists, the bundles
// fetched on demand, and the "keys of budi changed" warning (trust on first use, per user).
import { bundleFingerprint, parseBundle, type PublicBundle, type UserKeys } from '../e2e/keys.ts';
import type { UserKeyStore } from '../history/memory.ts';
import { foldName } from '../names.ts';
import type { WireUser } from './messages.ts';

export class KeyDirectory {
  /** Fingerprint the server lists for each user now online (folded name, foldName → fingerprint). */
  private readonly listed = new Map<string, string>();
  private readonly cache = new Map<string, { fp: string; keys: UserKeys }>();

  constructor(
    private readonly known: UserKeyStore,
    private readonly fetch: (names: string[]) => Promise<Record<string, PublicBundle>>,
    private readonly warn: (line: string) => void,
  ) {}

  /** Records a user's listed fingerprint; warns when it differs from the one seen before. */
  async saw(u: WireUser, now = Date.now()): Promise<void> {
    if (!u.keys) return;
    const k = foldName(u.name);
    this.listed.set(k, u.keys);
    const before = this.known.get(k);
    if (before && before.keys !== u.keys) {
      this.cache.delete(k);
      this.warn(`keys of ${u.name} changed since ${new Date(before.since).toISOString().slice(0, 16).replace('T', ' ')} — if ${u.name} did not reinstall Obrolan, someone may be pretending to be them`);
    }
    if (!before || before.keys !== u.keys) await this.known.set(k, u.keys, now);
  }

  /** Keys of the named users (fetched from the server when not cached); users whose keys are unknown or do not match their fingerprint are left out. */
  async get(names: string[]): Promise<Map<string, UserKeys>> {
    const out = new Map<string, UserKeys>();
    const missing = names.filter((n) => !this.cache.has(foldName(n)));
    if (missing.length) {
      const bundles = await this.fetch(missing);
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
    const expected = this.listed.get(k) ?? this.known.get(k)?.keys;
    if (expected && expected !== fp) return this.warn(`the keys the server sent for ${name} do not match their fingerprint — not using them`);
    this.cache.set(k, { fp, keys });
  }
}
