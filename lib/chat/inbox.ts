// The client's incoming side: messages from the server handled one at a time, in order (an encrypted
// one may first need its sender's keys), each decrypted and verified, stored, then shown once.
import type { ChatMessage } from './types.ts';
import type { ReplayGuard } from '../e2e/seal.ts';
import { foldName } from '../names.ts';
import { STORED, type MessageStore } from '../history/memory.ts';
import type { E2EClient } from './e2e-client.ts';
import type { WireChat } from './messages.ts';
import type { ServerSenderKey } from './sk-messages.ts';

/** What the inbox needs from its client. */
export interface InboxOwner {
  emit(event: 'message', m: ChatMessage): boolean;
  emit(event: 'warning', line: string): boolean;
  onOwnReplayed(id: string, seq: number): boolean;
}

export class Inbox {
  /** Our name in the room, as the server spells it. */
  get me(): string { return this.myName; }
  set me(name: string) { this.myName = name; this.myKey = foldName(name); }
  private myName = '';
  /** `me` folded (foldName), kept so that each received message costs one fold, not two. */
  private myKey = '';
  private chain: Promise<void> = Promise.resolve();
  /** Jobs in the chain not finished yet. */
  private queued = 0;
  private lastSeq: number;
  /** False while the join's replay is handled: an unreadable message then was sent before we joined. */
  private live = false;

  constructor(
    private readonly store: MessageStore,
    private readonly e2e: E2EClient,
    private readonly owner: InboxOwner,
    /** (sender, message id) pairs already opened: kept by the client across reconnects, so a replay stays one. */
    private readonly seen: ReplayGuard,
  ) {
    this.lastSeq = store.lastSeq;
  }

  /** Queues one message from the server; they are shown in the order received. */
  receive(w: WireChat): void {
    // A plain message with nothing waiting before it is shown at once: no promise per message for the
    // common case. Anything behind an encrypted one (which may wait for its sender's keys) queues.
    if (this.queued === 0 && w.env === undefined) {
      try {
        const m = this.accept(w);
        if (m) this.show(m);
      } catch (err) {
        this.warnShow(err as Error);
      }
      return;
    }
    this.later(() => this.handle(w));
  }

  /** Runs `job` after everything queued before it, counting it as queued meanwhile. */
  private later(job: () => void | Promise<void>): void {
    this.queued++;
    this.chain = this.chain.then(job).catch((err: Error) => this.warnShow(err)).then(() => { this.queued--; });
  }

  private readonly warnSave = (err: Error): void => { this.owner.emit('warning', `could not save a message to your history: ${err.message}`); };

  private warnShow(err: Error): void {
    this.owner.emit('warning', `could not show a message: ${err.message}`);
  }

  /** Resolves when every queued message has been handled. */
  idle(): Promise<void> { return this.chain; }

  /** Stores our own message once the server has it (ack = stored). */
  storeOwn(m: ChatMessage): void {
    // After anything received before it, so the dedup point never skips an earlier message.
    const store = (): void => {
      if (m.seq > this.lastSeq) this.lastSeq = m.seq;
      this.store.append(m).catch((err: Error) => this.owner.emit('warning', `could not save your message to your history: ${err.message}`));
    };
    if (this.queued === 0) store(); else this.later(store);
  }

  /** A sender key, taken in order with the messages (those after it may need it). */
  receiveKey(m: ServerSenderKey): void {
    this.later(() => this.e2e.onKey(m));
  }

  /** The join's replay is done: from here on, messages arrive live. */
  goLive(): void {
    this.later(() => { this.live = true; });
  }

  private async handle(w: WireChat): Promise<void> {
    const m = this.accept(w);
    if (!m) return;
    if (w.env !== undefined) {
      const opened = await this.open(w);
      if (opened === undefined) return;
      m.text = opened.text;
      if (opened.notice) m.notice = true;
    }
    this.show(m);
  }

  /** The message to show for `w`, or undefined when it is already held or is our own (delivered by it). */
  private accept(w: WireChat): ChatMessage | undefined {
    if (w.seq > 0 && w.seq <= this.lastSeq) return undefined; // already held (a replay overlapping what we had)
    if (w.seq > 0) this.lastSeq = w.seq;
    if (foldName(w.from) === this.myKey && this.owner.onOwnReplayed(w.id, w.seq)) return undefined;
    const m: ChatMessage = { id: w.id, seq: w.seq, from: w.from, ts: w.ts, text: w.text ?? '', encrypted: w.env !== undefined };
    if (w.to) m.to = w.to;
    return m;
  }

  // Shown at once; the copy on disk follows in the store's next batch (one write for everything that
  // came meanwhile). Until it lands, the store's lastSeq stays behind, so a crash only means the server
  // replays those messages at the next join.
  private show(m: ChatMessage): void {
    const stored = this.store.append(m);
    if (stored !== STORED) stored.catch(this.warnSave); // an in-memory store has nothing to report
    this.owner.emit('message', m);
  }

  // The replay guard: an envelope already held (in this session, or in the history on disk from an earlier
  // one) is not shown again. Checked first, since after a restart the sender key of an old room message is
  // gone; recorded only once opened, so a forgery cannot use up the id of the real message.
  private async open(w: WireChat): Promise<{ text: string; notice?: boolean } | undefined> {
    if (this.store.has(w.from, w.id)) return this.replayed(w);
    const r = await this.e2e.open(w, this.live);
    if (r === undefined || r.notice) return r;
    return this.seen.seen(w.from, w.id) ? this.replayed(w) : r;
  }

  private replayed(w: WireChat): undefined {
    this.owner.emit('warning', `ignored a repeated message from ${w.from.slice(0, 32)} (replay)`);
    return undefined;
  }
}
