// The client's incoming side: messages from the server handled one at a time, in order (an encrypted
// one may first need its sender's keys), each decrypted and verified, stored, then shown once.
import type { ChatMessage } from './types.ts';
import { describeFailure, openEnvelope, ReplayGuard, sealEnvelope, type Envelope } from '../e2e/seal.ts';
import { ownUserKeys, type ClientKeys } from '../e2e/keys.ts';
import { ChatError } from '../errors.ts';
import { foldName } from '../names.ts';
import { STORED, type MessageStore } from '../history/memory.ts';
import type { KeyDirectory } from './key-directory.ts';
import type { WireChat } from './messages.ts';

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

  constructor(
    private readonly store: MessageStore,
    private readonly directory: KeyDirectory,
    private readonly keys: ClientKeys,
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

  /** Encrypts `text` for `names` (and ourselves, so our own history can read it back). Throws ChatError. */
  async seal(id: string, text: string, names: string[]): Promise<Envelope> {
    const others = names.filter((n) => foldName(n) !== this.myKey);
    const recipients = await this.directory.get(others);
    const missing = others.filter((n) => !recipients.has(n));
    if (missing.length && recipients.size === 0 && others.length) throw new ChatError('verify_failed', `no usable keys for ${missing.join(', ')}`);
    recipients.set(this.me, ownUserKeys(this.keys));
    return sealEnvelope({ id, from: this.me, text, recipients, sender: this.keys });
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

  private async open(w: WireChat): Promise<{ text: string; notice?: boolean } | undefined> {
    const claimed = (w.env as { from?: unknown }).from;
    if (claimed !== w.from) {
      this.owner.emit('warning', `could not verify a message from ${w.from.slice(0, 32)} (sender mismatch)`);
      return undefined;
    }
    const own = foldName(w.from) === this.myKey;
    const senderKeys = own ? ownUserKeys(this.keys) : (await this.directory.get([w.from])).get(w.from);
    const r = openEnvelope(w.env, { me: this.me, mine: this.keys, senderKeys, seen: this.seen });
    if (r.ok) return { text: r.text };
    if (r.reason === 'not_recipient') return { text: `🔒 an encrypted message you cannot read (it was sent before you joined)`, notice: true };
    this.owner.emit('warning', describeFailure(w.from, r));
    return undefined;
  }
}
