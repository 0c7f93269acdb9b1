// Names held across a server restart: who was online, and a hash of each one's resume token, kept in
// <history>/online.json. After a restart those names wait IDLE_TIMEOUT_MS for their owners (who prove
// themselves with the token), then are free for anyone.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IDLE_TIMEOUT_MS } from '../constants.ts';

const hash = (token: Buffer): Buffer => createHash('sha256').update(token).digest();
/** Length of a stored token hash (SHA-256), in bytes. */
const HASH_BYTES = 32;

/** One online member as saved: its name key, and its connection to reset after a restart. */
export interface Member { key: string; conn?: string; address?: string }

export class Reservations {
  /** Live names → hash of their current resume token. */
  private readonly tokens = new Map<string, Buffer>();
  /** Names held from before a restart → hash and the time they are freed (ms since epoch). */
  private readonly held = new Map<string, { hash: Buffer; until: number }>();
  /** Connections live at the last save: a restarted server resets them, so their clients come back at once. */
  readonly lastSessions: Array<{ connId: Buffer; address: string }> = [];
  private writing: Promise<void> = Promise.resolve();
  /** A saveSoon() write is waiting for the running one. */
  private queued = false;

  private constructor(private readonly path: string) {}

  /** Reads the names that were online when the server last ran; a missing or unreadable file holds none. */
  static async load(path: string, now = Date.now()): Promise<Reservations> {
    const r = new Reservations(path);
    try {
      const data = JSON.parse(await readFile(path, 'utf8')) as { online?: Array<{ key: string; hash: string; until?: unknown; conn?: unknown; address?: unknown }> };
      for (const e of data.online ?? []) {
        const h = typeof e.hash === 'string' ? Buffer.from(e.hash, 'base64') : undefined;
        // A name still waiting from an earlier restart keeps its deadline; a name online at the stop gets a full one.
        const until = typeof e.until === 'number' && Number.isFinite(e.until) ? Math.min(e.until, now + IDLE_TIMEOUT_MS) : now + IDLE_TIMEOUT_MS;
        // A damaged hash (not a SHA-256) holds nobody: comparing it would throw.
        if (typeof e.key === 'string' && h?.length === HASH_BYTES && until > now) r.held.set(e.key, { hash: h, until });
        if (typeof e.conn === 'string' && /^[0-9a-f]{16}$/.test(e.conn) && typeof e.address === 'string') r.lastSessions.push({ connId: Buffer.from(e.conn, 'hex'), address: e.address });
      }
    } catch { /* first start, or a damaged file: nobody is held */ }
    return r;
  }

  /** A new resume token for a name that just joined. */
  issue(key: string): Buffer {
    const token = randomBytes(16);
    this.tokens.set(key, hash(token));
    return token;
  }

  /** True if `token` is the live resume token of `key`. */
  matches(key: string, token: Buffer): boolean {
    const h = this.tokens.get(key);
    return h !== undefined && timingSafeEqual(h, hash(token));
  }

  /** May someone without a live holder take `key` now? Held names need their token until they expire. */
  admits(key: string, token: Buffer | undefined, now: number): boolean {
    const h = this.held.get(key);
    if (!h) return true;
    if (h.until <= now || (token && timingSafeEqual(h.hash, hash(token)))) {
      this.held.delete(key);
      return true;
    }
    return false;
  }

  /**
   * Writes who is online now, and the names still held for owners who have not come back since the last
   * restart (so a second crash does not free them early). Written to a temporary file and renamed; writes
   * never overlap.
   */
  save(members: Iterable<Member>, now = Date.now()): Promise<void> {
    const body = this.body(members, now);
    return this.enqueue(() => body);
  }

  /**
   * Saves soon, for bursts of joins and leaves (each save costs O(users)): at once when no write is
   * running, else all changes made meanwhile go in one next write, which takes `snapshot()` as it starts.
   */
  saveSoon(snapshot: () => Iterable<Member>, onError: (err: Error) => void): void {
    if (this.queued) return;
    this.queued = true;
    this.enqueue(() => { this.queued = false; return this.body(snapshot(), Date.now()); }).catch(onError);
  }

  private body(members: Iterable<Member>, now: number): string {
    const online: Array<Record<string, string | number>> = [...members].flatMap((m) => {
      const h = this.tokens.get(m.key);
      return h ? [{ key: m.key, hash: h.toString('base64'), ...(m.conn && m.address ? { conn: m.conn, address: m.address } : {}) }] : [];
    });
    const live = new Set(online.map((e) => e.key));
    for (const [key, h] of this.held) {
      if (h.until > now && !live.has(key)) online.push({ key, hash: h.hash.toString('base64'), until: h.until });
    }
    return JSON.stringify({ online, savedAt: now });
  }

  private enqueue(body: () => string): Promise<void> {
    this.writing = this.writing.catch(() => {}).then(async () => {
      const text = body();
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.path);
    });
    return this.writing;
  }
}
