// The recipient's side of a file transfer (issue 19): a checked offer waits for the person (nothing is
// written before /accept); then each chunk must be the next one of this transfer and open under its key, is
// hashed and written to a temporary file in the downloads folder, acknowledged every few chunks, and the
// file gets its (safe, never overwriting) name only when the whole file's SHA-256 matched the signed offer.
import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FILE_ACK_EVERY, FILE_DISK_MARGIN_BYTES, FILE_PROGRESS_MS } from '../constants.ts';
import { sizeText } from './file-commands.ts';
import { chunkCount, chunkHead, chunkKey, openChunk, type FileOffer } from '../e2e/file-crypto.ts';
import { placeFile, safeFileName, TEMP_FLAGS } from './file-names.ts';
import { inRecord, loadIn, removeQuiet, reopenPart, saveJson, type SavedIn } from './file-saved.ts';
import type { FileDeps } from './file-transfer.ts';

interface Incoming {
  offer: FileOffer;
  key: Buffer;
  chunks: number;
  name: string;
  state: 'offered' | 'receiving' | 'paused' | 'finishing';
  fh?: FileHandle;
  temp?: string;
  hash?: Hash;
  /** Chunks verified and hashed (the next one expected). */
  next: number;
  bytes: number;
  writing: Promise<void>;
  /** Verified chunks not yet written: the next write takes them all at once (one writev). */
  pending: Array<{ plain: Buffer; at: number; next: number }>;
  lastProgress: number;
}

/** A transfer's record; `part` is a temporary file already written up to chunk `next` (kept by an earlier run). */
function newIncoming(offer: FileOffer, key: Buffer, state: Incoming['state'], part?: { fh: FileHandle; temp: string; hash: Hash; next: number }): Incoming {
  const next = part?.next ?? 0;
  return { offer, key, chunks: chunkCount(offer.size, offer.chunk), name: safeFileName(offer.name), state, ...part, next, bytes: next * offer.chunk,
    writing: Promise.resolve(), pending: [], lastProgress: 0 };
}

/** Whether two offers are of the same file: sender, name, size and SHA-256. */
function sameFile(a: { from: string; name: string; size: number; sha256: string }, b: FileOffer): boolean {
  return a.from === b.from && a.name === b.name && a.size === b.size && a.sha256 === b.sha256;
}

/** /accept refused for lack of disk space; `reason` is what the sender is told. */
class NoRoom extends Error {
  readonly reason = 'not enough free disk space at the recipient';
}

export class FileReceiver {
  private readonly incoming = new Map<string, Incoming>();
  /** Chunks refused: unknown or unaccepted transfer, replayed or out of order, altered, wrong length. */
  refused = 0;
  /** Free bytes for us on the file system of `dir` (tests replace it). */
  freeBytes = async (dir: string): Promise<number> => { const s = await statfs(dir); return s.bavail * s.bsize; };

  /** Partial files kept by an earlier run (lib/chat/file-saved.ts), loaded at the first login. */
  private saved: Array<SavedIn & { file: string }> = [];
  private savedLoad: Promise<void> | undefined;

  constructor(private readonly d: FileDeps) {}

  ids(): string[] { return [...this.incoming.keys()]; }
  /** Ids of the offers waiting for /accept or /decline. */
  waiting(): string[] { return [...this.incoming.values()].filter((i) => i.state === 'offered').map((i) => i.offer.id); }

  /** Accepted transfers not finished. */
  get active(): number { let n = 0; for (const i of this.incoming.values()) if (i.state !== 'offered') n++; return n; }
  /** True while a file is arriving or being checked and saved (not offered, not paused). */
  get receiving(): boolean { for (const i of this.incoming.values()) if (i.state === 'receiving' || i.state === 'finishing') return true; return false; }

  /** A checked offer (lib/e2e/file-crypto.ts openOffer). A repeated offer of a paused transfer resumes it. */
  async offered(offer: FileOffer, fileKey: Buffer): Promise<void> {
    const known = this.incoming.get(offer.id);
    if (known) {
      if (known.offer.sig !== offer.sig) return this.d.send({ t: 'fcancel', id: offer.id, reason: 'transfer id in use' });
      if (known.state === 'receiving' || known.state === 'paused') {
        known.state = 'receiving';
        this.d.send({ t: 'fack', id: offer.id, next: known.next });
      }
      return;
    }
    if (await this.takeUp(offer, fileKey)) return;
    this.incoming.set(offer.id, newIncoming(offer, chunkKey(fileKey, offer.id), 'offered'));
    fileKey.fill(0);
    this.d.emit('file_offer', { id: offer.id, from: offer.from, name: safeFileName(offer.name), size: offer.size, sha256: offer.sha256, keys: this.d.keyState(offer.from) });
  }

  /**
   * A new offer of the same file (sender, name, size, SHA-256) as one this side accepted and was receiving
   * when the sender restarted (paused here) or this program did (kept on disk): it goes on where it stopped.
   */
  private async takeUp(offer: FileOffer, fileKey: Buffer): Promise<boolean> {
    if (this.d.keyState(offer.from) === 'changed') return false; // keys changed since: the person decides again
    const inc = this.takePaused(offer) ?? await this.reopenSaved(offer);
    if (!inc) return false;
    Object.assign(inc, { offer, key: chunkKey(fileKey, offer.id), chunks: chunkCount(offer.size, offer.chunk), state: 'receiving' });
    fileKey.fill(0);
    this.incoming.set(offer.id, inc);
    this.d.warn(`${offer.from} offered ${inc.name} again: going on at ${sizeText(inc.next * offer.chunk)} of ${sizeText(offer.size)} (${offer.id.slice(0, 8)})`);
    this.d.send({ t: 'fack', id: offer.id, next: inc.next });
    return true;
  }

  /** The paused transfer of the same file as `offer`, taken out of the map (its old key wiped); undefined if none. */
  private takePaused(offer: FileOffer): Incoming | undefined {
    const inc = [...this.incoming.values()].find((i) => i.state === 'paused' && sameFile(i.offer, offer));
    if (!inc) return undefined;
    this.incoming.delete(inc.offer.id);
    inc.key.fill(0);
    return inc;
  }

  /**
   * The partial file of the same file as `offer` that an earlier run kept, renamed for this transfer id and
   * reopened; undefined if there is none or it could not be reopened (then its files are removed).
   */
  private async reopenSaved(offer: FileOffer): Promise<Incoming | undefined> {
    await this.loadSaved();
    const saved = this.saved.find((r) => sameFile(r, offer));
    if (!saved) return undefined;
    this.saved.splice(this.saved.indexOf(saved), 1);
    const dir = this.d.downloads();
    const temp = join(dir, `.obrolan-${offer.id}.part`);
    try {
      if (saved.temp !== basename(temp)) { await rename(join(dir, saved.temp), temp); await removeQuiet(saved.file); }
      const { fh, hash, next } = await reopenPart(temp, offer.chunk, chunkCount(offer.size, offer.chunk));
      await saveJson(inRecord(temp), { ...saved, id: offer.id, temp: basename(temp), file: undefined });
      return newIncoming(offer, Buffer.alloc(0), 'receiving', { fh, temp, hash, next });
    } catch {
      for (const f of [temp, inRecord(temp), join(dir, saved.temp), saved.file]) await removeQuiet(f);
      return undefined;
    }
  }

  /** Reads the partial files an earlier run kept (once). */
  loadSaved(): Promise<void> {
    return (this.savedLoad ??= loadIn(this.d.downloads()).then((l) => { this.saved = l.filter((r) => !this.incoming.has(r.id)); }));
  }

  /** /accept ID: opens the temporary file, then asks for the first chunk. Throws Error (no such offer, folder not writable). */
  async accept(id: string): Promise<void> {
    const inc = this.incoming.get(id);
    if (!inc || inc.state !== 'offered') throw new Error(`no file offer ${id}`);
    inc.state = 'finishing'; // until the file is open, chunks are refused
    const dir = this.d.downloads();
    try {
      await mkdir(dir, { recursive: true });
      await this.roomFor(inc, dir);
      inc.temp = join(dir, `.obrolan-${id}.part`);
      inc.fh = await open(inc.temp, TEMP_FLAGS, 0o600);
      const { from, name, size, sha256 } = inc.offer;
      await saveJson(inRecord(inc.temp), { id, from, name, size, sha256, temp: basename(inc.temp) });
    } catch (err) {
      this.incoming.delete(id);
      this.d.send({ t: 'fcancel', id, reason: err instanceof NoRoom ? err.reason : 'the recipient could not save the file' });
      throw err;
    }
    inc.hash = createHash('sha256');
    inc.state = 'receiving';
    this.d.send({ t: 'fack', id, next: 0 });
  }

  /** Throws NoRoom when the file system of `dir` has less free space than the file and a margin. */
  private async roomFor(inc: Incoming, dir: string): Promise<void> {
    const free = await this.freeBytes(dir).catch(() => Infinity); // a file system that cannot tell: try anyway
    const need = inc.offer.size + FILE_DISK_MARGIN_BYTES;
    if (free >= need) return;
    throw new NoRoom(`not enough free disk space for ${inc.name} in ${dir}: ${sizeText(free)} free, ${sizeText(inc.offer.size)} needed ` +
      `(+ ${sizeText(FILE_DISK_MARGIN_BYTES)} kept free); the offer was declined`);
  }

  /** /decline ID. Returns false if there is no such offer. */
  decline(id: string): boolean {
    const inc = this.incoming.get(id);
    if (!inc || inc.state !== 'offered') return false;
    this.incoming.delete(id);
    this.d.send({ t: 'fcancel', id, reason: 'declined' });
    return true;
  }

  /** A binary chunk from the server: refused (counted) unless it is the next chunk of an accepted transfer and opens. */
  chunk(buf: Buffer): void {
    const head = chunkHead(buf);
    const inc = head && this.incoming.get(head.id);
    if (!head || !inc || inc.state !== 'receiving' || head.index !== inc.next) { this.refused++; return; }
    const plain = openChunk(inc.key, head.id, head.index, inc.chunks, buf);
    const want = head.index < inc.chunks - 1 ? inc.offer.chunk : inc.offer.size - head.index * inc.offer.chunk;
    if (!plain || plain.length !== want) { this.refused++; return; }
    const at = head.index * inc.offer.chunk;
    inc.next++;
    inc.hash!.update(plain);
    inc.pending.push({ plain, at, next: inc.next });
    // Chunks that arrive while a write runs wait for the next one, which writes them together.
    if (inc.pending.length === 1) {
      inc.writing = inc.writing.then(() => this.writePending(inc)).catch((err: Error) => this.fail(inc, `could not write the file: ${err.message}`, true));
    }
  }

  // Writes every verified chunk waiting (consecutive, so one writev), then acknowledges and reports progress.
  private async writePending(inc: Incoming): Promise<void> {
    const batch = inc.pending.splice(0);
    if (!this.incoming.has(inc.offer.id) || batch.length === 0) return;
    await inc.fh!.writev(batch.map((c) => c.plain), batch[0]!.at);
    const last = batch[batch.length - 1]!;
    inc.bytes = last.at + last.plain.length;
    if (last.next === inc.chunks) return this.finish(inc);
    // Every FILE_ACK_EVERY chunks (a batch may cross several such points: one ack says it all).
    const acked = Math.floor((batch[0]!.next - 1) / FILE_ACK_EVERY) < Math.floor(last.next / FILE_ACK_EVERY);
    if (acked && inc.state === 'receiving') this.d.send({ t: 'fack', id: inc.offer.id, next: last.next });
    this.progress(inc);
  }

  /** The sender or the server ended it; 'gone' (someone's connection was lost) pauses it until offered again. */
  cancelled(id: string, reason: string): boolean {
    const inc = this.incoming.get(id);
    if (!inc) return false;
    if (reason === 'gone' && inc.state !== 'finishing') {
      if (inc.state === 'receiving') inc.state = 'paused';
      return true;
    }
    void this.fail(inc, reason, false);
    return true;
  }

  /** /cancel ID on this side. */
  cancel(id: string): boolean {
    const inc = this.incoming.get(id);
    if (!inc) return false;
    void this.fail(inc, 'cancelled', true);
    return true;
  }

  /** Our own connection was lost: the server forgot the transfers; each sender offers its own again. */
  reconnected(): void {
    void this.loadSaved();
    for (const inc of this.incoming.values()) if (inc.state === 'receiving') inc.state = 'paused';
  }

  /** Every transfer's id and state, for the timeouts (lib/chat/file-timeouts.ts). */
  states(): Array<[string, string]> {
    return [...[...this.incoming.values()].map((i): [string, string] => [i.offer.id, i.state]), ...this.saved.map((r): [string, string] => [r.id, 'paused'])];
  }

  /** An offer not answered, or a paused transfer, waited too long: it ends on both sides and its temporary file goes. */
  async expire(id: string): Promise<void> {
    const inc = this.incoming.get(id);
    if (inc && (inc.state === 'offered' || inc.state === 'paused')) return this.fail(inc, 'timeout', true);
    const saved = this.saved.find((r) => r.id === id);
    if (!saved) return;
    this.saved.splice(this.saved.indexOf(saved), 1);
    for (const f of [join(this.d.downloads(), saved.temp), saved.file]) await removeQuiet(f);
    this.d.emit('file_failed', { id, reason: 'timeout' });
  }

  /** Closes every temporary file (the client closes): offers go; partial files are kept to go on after a restart. */
  async close(): Promise<void> {
    for (const inc of [...this.incoming.values()]) {
      if (!inc.temp || (inc.state !== 'receiving' && inc.state !== 'paused')) { await this.discard(inc); continue; }
      await inc.writing.catch(() => {});
      this.incoming.delete(inc.offer.id);
      inc.key.fill(0);
      await inc.fh?.close().catch(() => {});
    }
  }

  private progress(inc: Incoming): void {
    const now = Date.now();
    if (now - inc.lastProgress < FILE_PROGRESS_MS) return;
    inc.lastProgress = now;
    this.d.emit('file_progress', { id: inc.offer.id, bytes: inc.bytes, size: inc.offer.size, direction: 'in' });
  }

  private async finish(inc: Incoming): Promise<void> {
    const id = inc.offer.id;
    inc.state = 'finishing';
    const sha256 = inc.hash!.digest('hex');
    if (sha256 !== inc.offer.sha256) return this.fail(inc, 'the file did not match its SHA-256', true);
    await inc.fh!.sync();
    await inc.fh!.close();
    inc.fh = undefined;
    const path = await placeFile(inc.temp!, this.d.downloads(), inc.name);
    await removeQuiet(inRecord(inc.temp!));
    this.incoming.delete(id);
    this.d.send({ t: 'fack', id, next: inc.chunks });
    this.d.emit('file_done', { id, path, sha256, direction: 'in' });
  }

  private async fail(inc: Incoming, reason: string, tell: boolean): Promise<void> {
    if (!this.incoming.has(inc.offer.id)) return;
    if (tell) this.d.send({ t: 'fcancel', id: inc.offer.id, reason });
    await this.discard(inc);
    this.d.emit('file_failed', { id: inc.offer.id, reason });
  }

  private async discard(inc: Incoming): Promise<void> {
    this.incoming.delete(inc.offer.id);
    inc.key.fill(0);
    const fh = inc.fh;
    inc.fh = undefined;
    await fh?.close().catch(() => {});
    if (inc.temp) { await unlink(inc.temp).catch(() => {}); await removeQuiet(inRecord(inc.temp)); }
  }
}
