// Which users' keys a person has verified (compared the safety number): <dir>/client/<server>/verified_users.db.
// One document per user: the fingerprint that was verified and when. A changed key is simply not equal.
import { join, resolve } from 'node:path';
import type { Warn } from './lines.ts';
import { defaultWarn, NedbFile, safeName, serverKey, userKey } from './store.ts';

const open = new Map<string, Promise<VerifiedUsers>>();

/** Verified key fingerprints per user of one server. */
export class VerifiedUsers {
  #users = new Map<string, string>();

  private constructor(private readonly file: NedbFile) {}

  /** Opens (creating) the file; one instance per file in a process. Throws on I/O errors only. */
  static open(dir: string, server: string, onWarning?: Warn): Promise<VerifiedUsers> {
    const path = resolve(join(dir, 'client', safeName(serverKey(server)), 'verified_users.db'));
    let p = open.get(path);
    if (!p) {
      p = VerifiedUsers.load(path, onWarning ?? defaultWarn);
      open.set(path, p);
      p.catch(() => open.delete(path));
    }
    return p;
  }

  private static async load(path: string, warn: Warn): Promise<VerifiedUsers> {
    const { file, docs } = await NedbFile.open(path, warn);
    const v = new VerifiedUsers(file);
    for (const d of docs) if (typeof d._id === 'string' && typeof d.keys === 'string') v.#users.set(d._id, d.keys);
    return v;
  }

  /** The fingerprint verified for `user`, if any. */
  get(user: string): string | undefined { return this.#users.get(userKey(user)); }

  /** Records that a person verified `keys` for `user`; resolves when written. Throws on I/O errors. */
  async set(user: string, keys: string, now = Date.now()): Promise<void> {
    const key = userKey(user);
    await this.file.put(key, { user, keys, verifiedAt: now });
    this.#users.set(key, keys);
  }
}

/** In memory, for clients that keep nothing on disk. */
export class MemoryVerifiedUsers {
  readonly #users = new Map<string, string>();
  get(user: string): string | undefined { return this.#users.get(userKey(user)); }
  async set(user: string, keys: string): Promise<void> { this.#users.set(userKey(user), keys); }
}

export type VerifiedStore = Pick<VerifiedUsers, 'get' | 'set'>;
