// The room: members, room order, history, fan-out, replay, flood control and idempotent resends.
// A message is stamped with the next room sequence number, appended to history, and only then
// acknowledged to its sender ("delivered" means stored) and sent to everyone else. Joins and leaves are
// announced in batches (lib/chat/room-presence.ts).
import { FLOOD_BURST, FLOOD_RATE_PER_S, MAX_MESSAGE_BYTES, REPLAY_MAX } from '../constants.ts';
import type { ChatMessage } from './types.ts';
import type { RoomHistory, StoredMessage } from '../history/room.ts';
import { encodeMessage, encodePlainRoomMessage, type ServerMessage, type WireChat, type WireUser } from './messages.ts';
import { Announcements } from './room-presence.ts';
import { TokenBucket } from '../rate-limit.ts';
import { foldName } from '../names.ts';

/** Most queued (flood-delayed) messages per user before new ones are refused. */
const FLOOD_QUEUE_MAX = 1_000;
/** Client message ids remembered for idempotent resends. */
const DEDUP_MAX = 100_000;
/** Target size of one replay chunk, in bytes of JSON (below the channel's 64 KiB message limit). */
const REPLAY_CHUNK_BYTES = 48 * 1024;

export interface Member {
  name: string;
  /** Case-folded name: the uniqueness key. */
  key: string;
  address: string;
  since: number;
  keys?: { enc: string; sig: string };
  keysFp: string;
  /** False until replay is sent: live fan-out skips it meanwhile. */
  ready: boolean;
  /** When it became ready, on the room's announcement clock. */
  readyAt: number;
  /** Queues a message on the member's connection; `bulk` (file chunks) goes after chat queued meanwhile. */
  send: (m: ServerMessage | Buffer, bulk?: boolean) => void;
  /** Calls `cb` once when fewer than `bytes` are queued or in flight on its connection (the file relay's pace). */
  whenBelow?: (bytes: number, cb: () => void) => void;
  bucket: TokenBucket;
  /** Messages flood control holds, oldest first, each with its client id. */
  queue: Array<{ id: string; stamp: () => Promise<void> }>;
  draining: boolean;
  warnedFlood: boolean;
  /** The last queued job's promise: a direct message waits for the room messages sent before it. */
  lastJob?: Promise<void>;
}

export interface RoomEvents {
  message: (m: ChatMessage) => void;
  log: (line: string) => void;
}

export class Room {
  readonly members = new Map<string, Member>();
  /** When a room message was last fanned out (performance.now() ms): relayed files yield to chat meanwhile. */
  lastChatAt = -Infinity;
  private storedSeq: number;
  private nextSeq: number;
  private readonly dedup = new Map<string, number>();
  /** Joins, leaves and keys given, announced in batches (lib/chat/room-presence.ts). */
  private readonly presence: Announcements;
  /** Send Encrypted: the ready members lacking `sender`'s key of the envelope's epoch (issue 15). */
  missingKeys: ((sender: Member, env: unknown) => { epoch: number; missing: string[] }) | undefined;

  constructor(
    private readonly history: RoomHistory,
    private readonly on: RoomEvents,
    private readonly flood = { ratePerS: FLOOD_RATE_PER_S, burst: FLOOD_BURST },
    private readonly now: () => number = Date.now,
  ) {
    this.storedSeq = history.lastSeq;
    this.nextSeq = history.lastSeq + 1;
    this.presence = new Announcements(this.members, now);
  }

  /** Remembers recent (sender, id) pairs from history so a resend after a server restart is not stored twice; resolves with the senders. */
  async loadRecentIds(): Promise<string[]> {
    const { messages } = await this.history.since(0, REPLAY_MAX);
    for (const m of messages) this.remember(m.from, m.id, m.seq);
    return messages.map((m) => m.from);
  }

  get lastSeq(): number { return this.storedSeq; }

  userList(): WireUser[] {
    return [...this.members.values()].filter((m) => m.ready).map((m) => ({ name: m.name, keys: m.keysFp }));
  }

  newMember(fields: Pick<Member, 'name' | 'key' | 'address' | 'keys' | 'keysFp' | 'send' | 'whenBelow'>): Member {
    return { ...fields, since: this.now(), ready: false, readyAt: Infinity, bucket: new TokenBucket(this.flood.ratePerS, this.flood.burst, this.now()), queue: [], draining: false, warnedFlood: false };
  }

  /**
   * Sends the member what it missed since `lastSeq` (newest REPLAY_MAX, gap-free), then makes it live and
   * announces it. The name must already be claimed in `members` (synchronously, so racing joins see it).
   */
  async admit(member: Member, lastSeq: number): Promise<void> {
    let after = Math.min(lastSeq, this.storedSeq);
    let first = true;
    // Loop until no message was stored during an await: then going live is gap-free.
    while (first || this.storedSeq > after) {
      const { messages, missed } = await this.history.since(after, REPLAY_MAX);
      if (this.members.get(member.key) !== member) return;
      this.sendReplay(member, messages, first ? missed : 0);
      after = messages.length ? messages[messages.length - 1]!.seq : this.storedSeq;
      first = false;
    }
    member.send({ t: 'replay', messages: [], missed: 0, done: true });
    member.ready = true;
    member.readyAt = this.presence.tick();
    this.presence.announce({ t: 'join', user: { name: member.name, keys: member.keysFp } }, member);
    this.on.log(`${member.name} joined from ${member.address}`);
  }

  private sendReplay(member: Member, messages: StoredMessage[], missed: number): void {
    let chunk: WireChat[] = [];
    let size = 0;
    for (const s of messages) {
      const w = this.toWire(s);
      const n = JSON.stringify(w).length;
      if (chunk.length && size + n > REPLAY_CHUNK_BYTES) {
        member.send({ t: 'replay', messages: chunk, missed, done: false });
        chunk = [];
        size = 0;
        missed = 0;
      }
      chunk.push(w);
      size += n;
    }
    if (chunk.length || missed) member.send({ t: 'replay', messages: chunk, missed, done: false });
  }

  /** A member that joined without keys gave them (`mykeys`): the others hear its fingerprint (its join does, if not yet announced). */
  keysGiven(member: Member): void {
    if (member.ready) this.presence.announce({ t: 'keys', user: { name: member.name, keys: member.keysFp } }, member);
  }

  remove(member: Member, reason: string): void {
    if (this.members.get(member.key) !== member) return;
    this.members.delete(member.key);
    // What flood control still held is dropped unstored: forget the ids, so the client's resend is stored.
    for (const q of member.queue) this.dedup.delete(this.dedupKey(member.name, q.id));
    member.queue.length = 0;
    if (member.ready) this.presence.announce({ t: 'leave', user: member.name }, member);
    this.on.log(`${member.name} left (${reason})`);
  }

  /** A plain or encrypted room message from `member`. Flood control delays it; a resend is answered, not stored again. */
  submit(member: Member, id: string, body: { text: string } | { env: unknown }): void {
    const seq = this.dedup.get(this.dedupKey(member.name, id));
    if (seq !== undefined) {
      if (seq > 0) member.send({ t: 'delivered', id, seq });
      return;
    }
    const size = encodeMessage({ t: 'msg', m: { seq: 1e15, id, from: member.name, ts: 1e13, ...body } }).length;
    if (size > MAX_MESSAGE_BYTES - 64) {
      member.send({ t: 'error', code: 'too_large', message: 'message too large', id });
      return;
    }
    if (member.queue.length >= FLOOD_QUEUE_MAX) {
      member.send({ t: 'error', code: 'flood', message: 'too many messages queued; slow down', id });
      return;
    }
    this.remember(member.name, id, -1);
    member.queue.push({ id, stamp: () => this.stamp(member, id, body) });
    this.drain(member);
  }

  private drain(member: Member): void {
    if (member.draining) return;
    if (!member.queue.length) { member.warnedFlood = false; return; }
    const wait = member.bucket.take(this.now());
    if (wait > 0 && !member.warnedFlood) {
      member.warnedFlood = true;
      member.send({ t: 'notice', text: `you are sending fast: your messages are delayed (${this.flood.ratePerS}/s)` });
    }
    member.draining = true;
    // Stamping is synchronous and appends keep their order, so the next message need not wait for storage.
    // The job stays queued until it runs, so remove() sees (and forgets) it while it waits.
    const run = (): void => {
      member.draining = false;
      if (this.members.get(member.key) !== member) return;
      member.lastJob = member.queue.shift()!.stamp().catch((err: Error) => this.on.log(`could not store a message from ${member.name}: ${err.message}`));
      this.drain(member);
    };
    if (wait > 0) setTimeout(run, wait).unref();
    else run();
  }

  private async stamp(member: Member, id: string, body: { text: string } | { env: unknown }): Promise<void> {
    if ('env' in body && this.refusedForKeys(member, id, body.env)) return;
    const seq = this.nextSeq++;
    const stored: StoredMessage = { seq, id, from: member.name, ts: this.now() };
    if ('text' in body) stored.text = body.text; else stored.envelope = body.env;
    try {
      await this.history.append(stored);
    } catch (err) {
      // The batch failed (disk full?): history now expects lastSeq + 1 again, so reuse the numbers.
      this.nextSeq = this.history.lastSeq + 1;
      this.dedup.delete(this.dedupKey(member.name, id));
      member.send({ t: 'error', code: 'store_failed', message: 'the server could not store your message — try again', id });
      throw err;
    }
    this.storedSeq = seq;
    this.remember(member.name, id, seq);
    member.send({ t: 'delivered', id, seq });
    this.fanOut(stored, member);
    this.on.message({ id, seq, from: member.name, ts: stored.ts, text: stored.text ?? '(encrypted)', encrypted: stored.envelope !== undefined });
  }

  // Plain: the binary layout; encrypted: JSON. Either way one encoding for everyone (broadcast flushes presence first).
  private fanOut(s: StoredMessage, sender: Member): void {
    this.lastChatAt = performance.now();
    this.broadcast(s.envelope === undefined ? encodePlainRoomMessage(this.toWire(s)) : { t: 'msg', m: this.toWire(s) }, sender);
  }

  /**
   * Sends a direct (encrypted) message to one member; not stored on the server. It queues behind the
   * sender's room messages, so it never overtakes them. Returns false if the user is not here.
   */
  direct(from: Member, id: string, to: Member | undefined, env: unknown): boolean {
    if (!to || !to.ready) return false;
    from.queue.push({ id, stamp: async () => {
      await from.lastJob;
      if (this.members.get(to.key) !== to) return from.send({ t: 'error', code: 'no_such_user', message: `${to.name} left the room`, id });
      this.flushAnnouncements();
      to.send({ t: 'msg', m: { seq: 0, id, from: from.name, ts: this.now(), to: to.name, env } });
      from.send({ t: 'delivered', id, seq: 0 });
    } });
    this.drain(from);
    return true;
  }

  /** The invariant of Send Encrypted: stored only if every ready member holds the sender's key. */
  private refusedForKeys(member: Member, id: string, env: unknown): boolean {
    const r = this.missingKeys?.(member, env);
    if (!r || r.missing.length === 0) return false;
    this.dedup.delete(this.dedupKey(member.name, id));
    member.send({ t: 'rekey', id, epoch: r.epoch, missing: r.missing });
    return true;
  }

  /** Sends pending join/leave announcements now (lib/chat/room-presence.ts). */
  flushAnnouncements(): void { this.presence.flush(); }

  broadcast(m: ServerMessage | Buffer, except?: Member): void {
    this.flushAnnouncements();
    const buf = Buffer.isBuffer(m) ? m : encodeMessage(m);
    for (const member of this.members.values()) if (member !== except && member.ready) member.send(buf);
  }

  private toWire(s: StoredMessage): WireChat {
    const w: WireChat = { seq: s.seq, id: s.id, from: s.from, ts: s.ts };
    if (s.text !== undefined) w.text = s.text;
    if (s.envelope !== undefined) w.env = s.envelope;
    return w;
  }

  private dedupKey(from: string, id: string): string { return `${foldName(from)}\u0000${id}`; }

  private remember(from: string, id: string, seq: number): void {
    const k = this.dedupKey(from, id);
    this.dedup.delete(k);
    this.dedup.set(k, seq);
    if (this.dedup.size > DEDUP_MAX) this.dedup.delete(this.dedup.keys().next().value!);
  }
}
