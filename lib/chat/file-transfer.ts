// The client's file transfers (issue 19): /send offers a file to one member (or one offer per member for the
// whole room), then sends its chunks as the recipient acknowledges them — at most FILE_WINDOW_CHUNKS ahead,
// and only while little is queued on our own connection, so our chat goes first. Receiving is in
// lib/chat/file-receive.ts. A transfer interrupted by a lost connection is offered again when both ends are
// back and continues from the recipient's last verified chunk. Events: file_offer, file_progress, file_done,
// file_failed (payloads in docs/PROTOCOL.md "## Files").
import { open } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { FILE_CHUNK_BYTES, FILE_MAX_BYTES, FILE_PROGRESS_MS, FILE_SEND_BUFFER_BYTES, FILE_SWEEP_MS, FILE_WINDOW_CHUNKS } from '../constants.ts';
import { chunkCount, chunkKey, FILE_CHUNK_KIND, makeOffer, openOffer, sealChunk } from '../e2e/file-crypto.ts';
import type { ClientKeys, UserKeys } from '../e2e/keys.ts';
import { ChatError } from '../errors.ts';
import { MarkingHold } from '../gc.ts';
import type { FileMessage } from './file-messages.ts';
import { fileSize, hashFile, readChunk, type Outgoing } from './file-outgoing.ts';
import { FileReceiver } from './file-receive.ts';
import { defaultTiming, StateClock, type FileTiming } from './file-timeouts.ts';
import { loadOut, outRecord, removeQuiet, saveJson, type SavedOut } from './file-saved.ts';
import type { KeyState } from './key-directory.ts';
import type { ClientMessage } from './messages.ts';

/** What file transfers need from their client (read when used: they change at each login). */
export interface FileDeps {
  me(): string;
  room(): string;
  keys(): ClientKeys | undefined;
  /** Checked public keys of `name`, or undefined. */
  userKeys(name: string): Promise<UserKeys | undefined>;
  keyState(name: string): KeyState;
  /** The present spelling of a name in the room, or undefined. */
  find(name: string): string | undefined;
  present(): string[];
  send(m: ClientMessage): void;
  /** Sends a chunk message (bulk: our chat goes first); false when not connected. */
  sendChunk(buf: Buffer): boolean;
  /** Bytes queued or in flight on our connection. */
  buffered(): number;
  /** Calls `cb` once when fewer than `bytes` are queued or in flight on our connection (at once if so now; never if it is lost). */
  whenBelow(bytes: number, cb: () => void): void;
  emit(event: 'file_offer' | 'file_progress' | 'file_done' | 'file_failed', payload: Record<string, unknown>): void;
  warn(line: string): void;
  downloads(): string;
  maxFile(): number;
  /** Where what we were sending is kept across a restart (the history folder); none: not kept. */
  stateDir?(): string;
  /** Holds V8's incremental marking while file data flows (default lib/gc.ts holdIncrementalMarking; tests count). */
  holdMarking?: () => () => void;
}

export class FileTransfers {
  private readonly outgoing = new Map<string, Outgoing>();
  readonly receiver: FileReceiver;
  /** The clock and limits of the timeouts (lib/chat/file-timeouts.ts); tests change its fields. */
  readonly timing: FileTiming = defaultTiming();
  private readonly clock = new StateClock(this.timing);
  private readonly sweeper: NodeJS.Timeout;
  /** Transfers an earlier run was sending (lib/chat/file-saved.ts), waiting for their recipient to be present. */
  private waiting: Array<SavedOut & { file: string }> = [];
  private savedLoaded = false;
  /** Held while file data flows either way: the same marking every 60–150 ms as on the server (lib/gc.ts). */
  private readonly marking: MarkingHold;

  constructor(private readonly d: FileDeps) {
    // A received file's end (saved or failed) gives the hold back at once.
    this.receiver = new FileReceiver({ ...d, emit: (e, p) => { d.emit(e, p); if (e === 'file_done' || e === 'file_failed') this.settleMarking(); } });
    this.marking = new MarkingHold(d.holdMarking);
    this.sweeper = setInterval(() => void this.sweep(), FILE_SWEEP_MS).unref();
  }

  /** Ends, on both sides, offers nobody answered and paused transfers that waited too long (reason 'timeout'). */
  async sweep(): Promise<void> {
    const states: Array<[string, string]> = [...this.outgoing.values()].map((o) => [`out ${o.offer.id}`, o.state]);
    for (const [id, state] of this.receiver.states()) states.push([`in ${id}`, state]);
    for (const r of this.waiting) states.push([`wait ${r.id}`, 'paused']);
    for (const key of this.clock.check(states)) {
      const [dir, id] = key.split(' ') as [string, string];
      const out = dir === 'out' ? this.outgoing.get(id) : undefined;
      if (out) { this.d.send({ t: 'fcancel', id, reason: 'timeout' }); await this.end(out, 'timeout'); }
      else if (dir === 'in') await this.receiver.expire(id);
      else if (dir === 'wait') await this.unwait(id, 'timeout');
    }
    this.settleMarking();
  }

  /**
   * Takes or gives back the hold on incremental marking: held while a transfer is being sent or received
   * (not while offered or paused). Looked at after each file message, chunk, command, sweep and received
   * file's end.
   */
  private settleMarking(): void {
    let flowing = this.receiver.receiving;
    for (const o of this.outgoing.values()) if (o.state === 'sending') flowing = true;
    this.marking.set(flowing);
  }

  /**
   * Offers the file at `path` to `to` (its present spelling), or to everyone else present when `to` is
   * undefined; returns the transfer ids. Throws ChatError (no_such_user, too_large, bad_arguments, verify_failed).
   */
  async send(to: string | undefined, path: string): Promise<string[]> {
    const names = to === undefined ? this.d.present().filter((n) => n !== this.d.me()) : [this.d.find(to) ?? ''];
    if (to !== undefined && !names[0]) throw new ChatError('no_such_user', `${to} is not in the room`);
    if (!names.length) throw new ChatError('no_such_user', 'nobody else is in the room');
    const size = await fileSize(path);
    if (size > this.d.maxFile()) throw new ChatError('too_large', `${path} is ${size} bytes: the limit is ${this.d.maxFile()} (--max-file)`);
    const sender = this.d.keys();
    if (!sender) throw new ChatError('not_logged_in', 'join the room first');
    const sha256 = await hashFile(path);
    const ids: string[] = [];
    for (const name of names) {
      if (this.d.keyState(name) === 'changed') throw new ChatError('key_changed', `the keys of ${name} changed — compare them with /verify ${name} before sending a file`);
      const recipient = await this.d.userKeys(name);
      if (!recipient) throw new ChatError('verify_failed', `no usable keys for ${name}: a file cannot be encrypted for them`);
      const { offer, key } = makeOffer({ from: this.d.me(), to: name, room: this.d.room(), name: basename(path), size, sha256, chunk: FILE_CHUNK_BYTES, sender, recipient });
      const fh = await open(path, 'r');
      this.outgoing.set(offer.id, { offer, path, key: chunkKey(key, offer.id), chunks: chunkCount(size, FILE_CHUNK_BYTES), fh, next: 0, acked: 0, state: 'offered', pumping: false, lastProgress: 0 });
      key.fill(0);
      this.d.send({ t: 'foffer', offer });
      ids.push(offer.id);
      const dir = this.d.stateDir?.();
      if (dir) await saveJson(outRecord(dir, offer.id), { id: offer.id, path: resolve(path), to: name, name: offer.name, size, sha256 }).catch(() => {});
    }
    return ids;
  }

  /** Ids of the transfers going on (both directions). */
  ids(): string[] { return [...this.outgoing.keys(), ...this.receiver.ids()]; }
  /** Ids of the offers made to us that wait for an answer. */
  offers(): string[] { return this.receiver.waiting(); }

  /** Transfers still running: ours being sent or offered, and accepted ones being received. */
  get busy(): number { return this.outgoing.size + this.receiver.active; }

  /** /accept ID. Throws ChatError bad_arguments. */
  async accept(id: string): Promise<void> {
    try { await this.receiver.accept(id); } catch (err) { throw new ChatError('bad_arguments', (err as Error).message); } finally { this.settleMarking(); }
  }

  /** /decline ID. Throws ChatError bad_arguments. */
  decline(id: string): void {
    if (!this.receiver.decline(id)) throw new ChatError('bad_arguments', `no file offer ${id}`);
  }

  /** /cancel ID, either side. Throws ChatError bad_arguments. */
  async cancel(id: string): Promise<void> {
    const out = this.outgoing.get(id);
    try {
      if (out) { this.d.send({ t: 'fcancel', id, reason: 'cancelled' }); return await this.end(out, 'cancelled'); }
      if (!this.receiver.cancel(id)) throw new ChatError('bad_arguments', `no file transfer ${id}`);
    } finally { this.settleMarking(); }
  }

  /** A binary message from the server (FILE_CHUNK_KIND). */
  chunk(buf: Buffer): void {
    if (buf[0] === FILE_CHUNK_KIND) this.receiver.chunk(buf);
    this.settleMarking();
  }

  /** A file message from the server. */
  async message(m: FileMessage): Promise<void> {
    try { await this.onMessage(m); } finally { this.settleMarking(); }
  }

  private async onMessage(m: FileMessage): Promise<void> {
    if (m.t === 'foffer') return this.onOffer(m.offer);
    const out = this.outgoing.get(m.id);
    if (m.t === 'fcancel') {
      if (!out) { this.receiver.cancelled(m.id, m.reason); return; }
      if (m.reason === 'gone' || (m.reason === 'absent' && out.state === 'paused')) { out.state = 'paused'; return; }
      return this.end(out, m.reason === 'absent' ? `${out.offer.to} is not in the room` : m.reason);
    }
    if (!out || m.next > out.chunks) return;
    if (out.state !== 'sending') { out.state = 'sending'; out.next = m.next; }
    out.acked = Math.max(out.acked, m.next);
    if (out.acked >= out.chunks) {
      this.d.emit('file_done', { id: m.id, path: out.path, sha256: out.offer.sha256, direction: 'out' });
      return this.end(out, undefined);
    }
    void this.pump(out);
  }

  /** We are in the room again (after a lost connection or a server restart): offer what was going on again. */
  rejoined(): void {
    this.receiver.reconnected();
    for (const out of this.outgoing.values()) { out.state = 'paused'; this.d.send({ t: 'foffer', offer: out.offer }); }
    void this.resumeSaved();
  }

  /** At the first login, what an earlier run was sending is offered again (new id and key) to each recipient present. */
  private async resumeSaved(): Promise<void> {
    const dir = this.d.stateDir?.();
    if (!this.savedLoaded && dir) {
      this.savedLoaded = true;
      this.waiting = (await loadOut(dir)).filter((r) => !this.outgoing.has(r.id));
    }
    for (const r of [...this.waiting]) if (this.d.find(r.to)) await this.resend(r);
  }

  private async resend(r: SavedOut & { file: string }): Promise<void> {
    if (!(await this.unwait(r.id, undefined))) return;
    try {
      const [id] = await this.send(r.to, r.path);
      this.d.warn(`offering ${r.name} to ${r.to} again, to go on where it stopped before this program restarted (${id!.slice(0, 8)})`);
    } catch (err) {
      this.d.emit('file_failed', { id: r.id, reason: `could not offer ${r.path} again: ${(err as Error).message}` });
    }
  }

  /** Forgets a waiting transfer of an earlier run; `reason` set: it failed. False if there was none. */
  private async unwait(id: string, reason: string | undefined): Promise<boolean> {
    const r = this.waiting.find((w) => w.id === id);
    if (!r) return false;
    this.waiting.splice(this.waiting.indexOf(r), 1);
    await removeQuiet(r.file);
    if (reason !== undefined) this.d.emit('file_failed', { id, reason });
    return true;
  }

  /** Someone joined: a transfer to them that was paused is offered again. */
  joined(name: string): void {
    for (const out of this.outgoing.values()) if (out.state === 'paused' && out.offer.to === name) this.d.send({ t: 'foffer', offer: out.offer });
    for (const r of [...this.waiting]) if (r.to === name) void this.resend(r);
  }

  /** Closes every file (the client closes); transfers end. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const out of [...this.outgoing.values()]) await this.end(out, undefined, true);
    await this.receiver.close();
    this.marking.set(false);
  }

  private async onOffer(x: unknown): Promise<void> {
    const mine = this.d.keys();
    const from = (x as { from?: unknown }).from;
    if (!mine || typeof from !== 'string') return;
    const r = openOffer(x, { me: this.d.me(), room: this.d.room(), mine, senderKeys: await this.d.userKeys(from) });
    if (!r.ok) {
      const id = (x as { id?: unknown }).id;
      this.d.warn(`refused a file offer from ${from.slice(0, 32)} (${r.reason})`);
      if (typeof id === 'string' && /^[0-9a-f]{32}$/.test(id)) this.d.send({ t: 'fcancel', id, reason: `offer refused (${r.reason})` });
      return;
    }
    if (r.offer.chunk !== FILE_CHUNK_BYTES) return this.d.send({ t: 'fcancel', id: r.offer.id, reason: `chunks must be ${FILE_CHUNK_BYTES} bytes` });
    if (r.offer.size > this.d.maxFile()) {
      this.d.send({ t: 'fcancel', id: r.offer.id, reason: 'file too large for the recipient' });
      this.d.warn(`refused a file of ${r.offer.size} bytes from ${from}: larger than --max-file`);
      return;
    }
    await this.receiver.offered(r.offer, r.key);
  }

  // Sends chunks while the window allows and our connection has room; one pump at a time per transfer.
  private async pump(out: Outgoing): Promise<void> {
    if (out.pumping) return;
    out.pumping = true;
    try {
      while (out.state === 'sending' && out.next < out.chunks && out.next < out.acked + FILE_WINDOW_CHUNKS && this.outgoing.has(out.offer.id)) {
        if (this.d.buffered() >= FILE_SEND_BUFFER_BYTES) {
          if (!out.draining) { out.draining = true; this.d.whenBelow(FILE_SEND_BUFFER_BYTES, () => { out.draining = false; void this.pump(out); }); }
          break;
        }
        const index = out.next;
        const plain = await readChunk(out, index);
        if (out.state !== 'sending' || out.next !== index) continue;
        if (!this.d.sendChunk(sealChunk(out.key, out.offer.id, index, out.chunks, plain))) { out.state = 'paused'; break; }
        out.next++;
        this.progress(out, Math.min(out.offer.size, out.next * FILE_CHUNK_BYTES));
      }
    } catch (err) {
      this.d.send({ t: 'fcancel', id: out.offer.id, reason: 'the sender could not read the file' });
      await this.end(out, `could not read ${out.path}: ${(err as Error).message}`);
    } finally {
      out.pumping = false;
    }
  }

  private progress(out: Outgoing, bytes: number): void {
    const now = Date.now();
    if (now - out.lastProgress < FILE_PROGRESS_MS) return;
    out.lastProgress = now;
    this.d.emit('file_progress', { id: out.offer.id, bytes, size: out.offer.size, direction: 'out' });
  }

  /** Ends a sending transfer; `reason` set: it failed (file_failed); `keep`: kept on disk to go on after a restart. */
  private async end(out: Outgoing, reason: string | undefined, keep = false): Promise<void> {
    if (!this.outgoing.delete(out.offer.id)) return;
    const dir = this.d.stateDir?.();
    if (dir && !keep) await removeQuiet(outRecord(dir, out.offer.id));
    out.key.fill(0);
    await out.fh.close().catch(() => {});
    if (reason !== undefined) this.d.emit('file_failed', { id: out.offer.id, reason });
  }
}

/** The largest file accepted or offered by default. */
export const DEFAULT_MAX_FILE = FILE_MAX_BYTES;
