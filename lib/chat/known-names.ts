// The names this server has seen, kept in <history>/names.json, indexed by their look-alike skeletons
// (lib/names.ts) so that nobody can take a name that looks like one of them: not "аlice" (Cyrillic а)
// while alice is in the room, nor while she is away.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KNOWN_NAMES_MAX } from '../constants.ts';
import { checkName, foldName, nameSkeletons } from '../names.ts';

export class KnownNames {
  /** key → the name as last written; Map order is the order of last sight, oldest first. */
  private readonly byKey = new Map<string, string>();
  /** skeleton → key of the name it was seen on. */
  private readonly bySkeleton = new Map<string, string>();
  /**
   * Tells whether a key is in the room now: such a name is never forgotten, so nobody can push a member
   * out of the list by joining under many names and then take a look-alike of hers.
   */
  isPresent: (key: string) => boolean = () => false;
  private writing: Promise<void> = Promise.resolve();
  private queued = false;

  private constructor(private readonly path: string, private readonly max: number) {}

  /** Reads the names seen before; a missing or damaged file holds none. Entries that break today's name rule are skipped. */
  static async load(path: string, max = KNOWN_NAMES_MAX): Promise<KnownNames> {
    const k = new KnownNames(path, max);
    try {
      const data = JSON.parse(await readFile(path, 'utf8')) as { names?: unknown };
      if (Array.isArray(data.names)) k.learn(data.names.filter((n): n is string => typeof n === 'string'));
    } catch { /* first start, or a damaged file: nobody is known */ }
    return k;
  }

  /**
   * Adds names without saving and without making them more recent than they are: for the senders of recent
   * history, so a server upgraded from a version without names.json knows its regulars.
   */
  learn(names: Iterable<string>): void {
    for (const name of names) if (!this.byKey.has(foldName(name))) this.add(name);
  }

  /** How many names are known. */
  get size(): number { return this.byKey.size; }

  /**
   * The known name that `name` looks like but is not (same skeleton, another key), or undefined. A name
   * with the same key is the same name: whether it may be taken is the room's and reservations' call.
   */
  lookalike(name: string): string | undefined {
    const key = foldName(name);
    for (const s of nameSkeletons(name)) {
      const other = this.bySkeleton.get(s);
      if (other === undefined || other === key) continue;
      const shown = this.byKey.get(other);
      if (shown !== undefined) return shown;
      this.bySkeleton.delete(s); // left by a name forgotten since
    }
    return undefined;
  }

  /** Remembers `name` as seen now and saves soon; the oldest names go past KNOWN_NAMES_MAX. */
  remember(name: string, onError: (err: Error) => void): void {
    this.add(name);
    this.saveSoon(onError);
  }

  private add(raw: string): void {
    const check = checkName(raw);
    if (!check.ok) return;
    this.byKey.delete(check.key);
    this.byKey.set(check.key, check.name);
    for (const s of nameSkeletons(check.name)) if (!this.bySkeleton.has(s)) this.bySkeleton.set(s, check.key);
    while (this.byKey.size > this.max) this.forgetOldest();
  }

  private forgetOldest(): void {
    let oldest: [string, string] | undefined;
    for (const entry of this.byKey) {
      oldest ??= entry;
      if (!this.isPresent(entry[0])) { oldest = entry; break; }
    }
    const [oldKey, oldName] = oldest!;
    this.byKey.delete(oldKey);
    for (const s of nameSkeletons(oldName)) if (this.bySkeleton.get(s) === oldKey) this.bySkeleton.delete(s);
  }

  /** Writes the file now (temporary file, then rename); writes never overlap. */
  save(): Promise<void> {
    this.writing = this.writing.catch(() => {}).then(async () => {
      this.queued = false;
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.tmp`;
      await writeFile(tmp, JSON.stringify({ names: [...this.byKey.values()] }), { mode: 0o600 });
      await rename(tmp, this.path);
    });
    return this.writing;
  }

  // A burst of joins costs one write (each costs O(names)): changes made meanwhile go in the next one.
  private saveSoon(onError: (err: Error) => void): void {
    if (this.queued) return;
    this.queued = true;
    this.save().catch(onError);
  }
}
