// The server's part of file transfers (issue 19): it routes an offer to its one recipient, then relays that
// transfer's chunks, unread (it has no key) and unstored (only the transfer's metadata, in memory, while it
// runs). It enforces what it can see: who may send on a transfer, chunks in order and within the recipient's
// window, a size limit and a few transfers per member. Relayed chunks wait in a per-recipient queue and go to
// the connection, as bulk messages (chat queued later still goes first), while less than
// FILE_RELAY_BUFFER_BYTES is queued or in flight there; acks that free room send the next ones.
import { FILE_CHUNK_BYTES, FILE_MAX_BYTES, FILE_MAX_CONCURRENT, FILE_RELAY_BUFFER_BYTES, FILE_WINDOW_CHUNKS } from '../constants.ts';
import { chunkCount, chunkHead, maxChunkMessage, parseOffer } from '../e2e/file-crypto.ts';
import { MarkingHold, minorCollection } from '../gc.ts';
import { BulkPacer } from './bulk-pacer.ts';
import type { FileMessage } from './file-messages.ts';
import type { Member } from './room.ts';

interface Transfer { id: string; from: Member; to: Member; chunks: number; accepted: boolean; next: number; acked: number }

/** Relayed chunks between two young-generation collections (4 MiB: the dead Buffers they leave stay few). */
const RELAY_SCAVENGE_EVERY = 128;

export interface FileRelayDeps {
  /** Present, ready member by name, or undefined. */
  member(name: string): Member | undefined;
  /** The room's identity (offers must name it). */
  room: string;
  /** Calls `cb` once when fewer than `bytes` are queued or in flight on the member's connection (at once if so now). */
  whenBelow(m: Member, bytes: number, cb: () => void): void;
  /** When the room last fanned out a chat message (performance.now() ms): file data yields to chat (lib/chat/bulk-pacer.ts). */
  lastChatAt?: () => number;
  /** The pacer itself (tests: smaller rates); default one at FILE_RELAY_RATE_WHILE_CHAT on lastChatAt. */
  pacer?: BulkPacer;
  /** Holds V8's incremental marking while accepted transfers flow (default lib/gc.ts holdIncrementalMarking); returns its release. */
  holdMarking?: () => () => void;
  /** Counts a dropped chunk or refused file message by reason. */
  drop(reason: string): void;
  maxFile?: number;
}

export class FileRelay {
  private readonly transfers = new Map<string, Transfer>();
  private readonly queues = new Map<Member, { bufs: Buffer[]; waiting: boolean }>();
  /** Chunks relayed so far (a test's or the window's counter). */
  relayed = 0;
  /** Test hook: sees every chunk message relayed, as the server sees it. */
  tap: ((buf: Buffer) => void) | undefined;

  private readonly pacer: BulkPacer;
  /** Held while an accepted transfer is in flight (lib/gc.ts). */
  private readonly marking: MarkingHold;

  constructor(private readonly d: FileRelayDeps) {
    this.pacer = d.pacer ?? new BulkPacer({ lastChatAt: d.lastChatAt ?? (() => -Infinity) });
    this.marking = new MarkingHold(d.holdMarking);
  }

  /** Transfers in flight (metadata only). */
  get size(): number { return this.transfers.size; }

  /** A file message from `m`. */
  message(m: Member, msg: FileMessage): void {
    if (msg.t === 'foffer') return this.offer(m, msg.offer);
    const t = this.transfers.get(msg.id);
    if (!t || (t.from !== m && t.to !== m)) return this.d.drop('file_unknown');
    if (msg.t === 'fcancel') {
      this.end(t);
      return (t.from === m ? t.to : t.from).send({ t: 'fcancel', id: t.id, reason: msg.reason });
    }
    if (t.to !== m || msg.next > t.chunks || (t.accepted && (msg.next > t.next || msg.next < t.acked))) return this.d.drop('file_bad_ack');
    if (!t.accepted) { t.accepted = true; t.next = msg.next; this.settleMarking(); }
    t.acked = msg.next;
    if (msg.next === t.chunks) this.end(t); // the recipient has it all and checked its hash
    t.from.send({ t: 'fack', id: t.id, next: msg.next });
  }

  /** A binary chunk from `m`: relayed to the recipient if it belongs to `m`'s accepted transfer, in order and within the window. */
  chunk(m: Member, buf: Buffer): void {
    const head = chunkHead(buf);
    const t = head && this.transfers.get(head.id);
    if (!head || !t || t.from !== m || !t.accepted) return this.d.drop('file_unknown');
    if (head.index !== t.next || head.index >= t.chunks || head.index >= t.acked + FILE_WINDOW_CHUNKS || buf.length > maxChunkMessage(FILE_CHUNK_BYTES)) return this.d.drop('file_bad_chunk');
    t.next++;
    this.relayed++;
    if (this.relayed % RELAY_SCAVENGE_EVERY === 0) minorCollection();
    this.tap?.(buf);
    let q = this.queues.get(t.to);
    if (!q) this.queues.set(t.to, (q = { bufs: [], waiting: false }));
    q.bufs.push(buf);
    this.pump(t.to);
  }

  /** A member left: its transfers end, the other side is told (it may offer again to resume). */
  left(m: Member): void {
    for (const t of [...this.transfers.values()]) {
      if (t.from !== m && t.to !== m) continue;
      this.end(t);
      (t.from === m ? t.to : t.from).send({ t: 'fcancel', id: t.id, reason: 'gone' });
    }
    this.queues.delete(m);
  }

  /** Forgets every transfer and queue (server stopping). */
  close(): void {
    this.queues.clear();
    this.transfers.clear();
    this.marking.set(false);
  }

  private offer(m: Member, x: unknown): void {
    const o = parseOffer(x);
    if (!o) return this.d.drop('file_bad_offer');
    const refuse = (reason: string): void => m.send({ t: 'fcancel', id: o.id, reason });
    const to = this.d.member(o.to);
    if (o.from !== m.name || o.room !== this.d.room) return refuse('offer names another sender or room');
    if (!to || to === m || to.name !== o.to) return refuse('absent');
    if (o.size > (this.d.maxFile ?? FILE_MAX_BYTES)) return refuse(`file too large for this server (${o.size} bytes)`);
    if (o.chunk !== FILE_CHUNK_BYTES) return refuse(`chunks must be ${FILE_CHUNK_BYTES} bytes`);
    const same = this.transfers.get(o.id);
    // The same offer again (its sender rejoined and the recipient came back meanwhile): already on its way.
    if (same && same.from === m && same.to === to && !same.accepted) return;
    if (same) return refuse('transfer id in use');
    let sending = 0;
    let receiving = 0;
    for (const t of this.transfers.values()) { if (t.from === m) sending++; if (t.to === to) receiving++; }
    if (sending >= FILE_MAX_CONCURRENT) return refuse(`at most ${FILE_MAX_CONCURRENT} files at once: wait for one to finish`);
    if (receiving >= FILE_MAX_CONCURRENT) return refuse(`${to.name} is already receiving ${FILE_MAX_CONCURRENT} files: try again later`);
    this.transfers.set(o.id, { id: o.id, from: m, to, chunks: chunkCount(o.size, o.chunk), accepted: false, next: 0, acked: 0 });
    to.send({ t: 'foffer', offer: x });
  }

  private end(t: Transfer): void {
    if (this.transfers.delete(t.id) && t.accepted) this.settleMarking();
  }

  private settleMarking(): void {
    let flowing = false;
    for (const t of this.transfers.values()) if (t.accepted) { flowing = true; break; }
    this.marking.set(flowing);
  }

  // Chunks go to the recipient's connection only while it holds less than FILE_RELAY_BUFFER_BYTES, which
  // bounds the server's memory per recipient; each waits for the acks that make room, and, while the room
  // chats, for the pacer.
  private pump(to: Member): void {
    const q = this.queues.get(to);
    if (!q || q.waiting) return;
    q.waiting = true;
    this.d.whenBelow(to, FILE_RELAY_BUFFER_BYTES, () => this.sendNext(to, q));
  }

  private sendNext(to: Member, q: { bufs: Buffer[]; waiting: boolean }): void {
    q.waiting = false;
    if (this.queues.get(to) !== q) return; // the member left meanwhile
    const wait = this.pacer.delay(q.bufs[0]!.length);
    if (wait > 0) {
      q.waiting = true;
      setTimeout(() => { q.waiting = false; this.pump(to); }, wait).unref();
      return;
    }
    to.send(q.bufs.shift()!, true);
    if (q.bufs.length === 0) this.queues.delete(to);
    else this.pump(to);
  }
}
