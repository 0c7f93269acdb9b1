// The client's side of Send Encrypted with sender keys: its own sending key (a new epoch at each session
// and after anyone leaves), given once to each member (on their join, before our next message, or when the
// server says they lack it), the keys others gave us, opening what arrives, and key trust a person decides.
import { SENDER_KEY_RESEND_MAX } from '../constants.ts';
import type { ClientKeys } from '../e2e/keys.ts';
import { ownUserKeys } from '../e2e/keys.ts';
import { safetyNumber } from '../e2e/safety-number.ts';
import {
  describeOpenFailure, firstEpoch, newEpochSigner, newSenderKey, openMessage, openSenderKey, sealDirect, sealRoom, wrapSenderKey,
  type MessageEnvelope, type SenderKey,
} from '../e2e/sender-key.ts';
import { ChatError, type ChatErrorCode } from '../errors.ts';
import type { RsaKeyPair } from '../keyfile.ts';
import type { Outbox } from './outbox.ts';
import type { KeyDirectory, KeyState } from './key-directory.ts';
import { KeyRing } from './key-ring.ts';
import type { ClientMessage, WireChat } from './messages.ts';
import type { ServerRekey, ServerSenderKey } from './sk-messages.ts';
import { foldName } from '../names.ts';

/** What the end-to-end side needs from its client; read when used (they change at each login). */
export interface E2EDeps {
  keys(): ClientKeys | undefined;
  me(): string;
  /** The room's identity: the server key fingerprint. */
  room(): string;
  /** Names in the room now (ours included): folded name → the name as spelt (read at once, not kept). */
  present(): ReadonlyMap<string, string>;
  /** The present spelling of a name in the room, or undefined. */
  find(name: string): string | undefined;
  directory(): KeyDirectory | undefined;
  send(m: ClientMessage): void;
  warn(line: string): void;
  /** Messages sent and not yet stored: a refused one is sealed again in place. */
  outbox: Outbox;
  error(e: { code: ChatErrorCode; message: string }): void;
}

/** What a person compares with /verify: both fingerprints and the safety number made of them. */
export interface Safety { mine: string; theirs: string; number: string; state: KeyState }

export class E2EClient {
  private own: SenderKey | undefined;
  /** Folded names given our current epoch in this session. */
  private readonly given = new Set<string>();
  private rotate = false;
  private serial: Promise<unknown> = Promise.resolve();
  private readonly resends = new Map<string, number>();
  /** The next epoch's signing key, made in the background as soon as an epoch starts (so no send waits for it). */
  private spare: Promise<RsaKeyPair> | undefined;
  /** Sender keys received (and our own), kept across reconnects. */
  readonly ring = new KeyRing();

  constructor(private readonly d: E2EDeps) {}

  /** A new session on the server: it knows nothing of our keys, so the next message starts a new epoch. */
  session(): void {
    this.rotate = true;
    this.given.clear();
  }

  /** Someone joined: an active sender gives them its current key at once. */
  joined(name: string): void {
    if (!this.own || this.rotate || this.isMe(name)) return;
    void this.locked(() => this.give([name], true)).catch((err: Error) => this.d.warn(`could not give your key to ${name}: ${err.message}`));
  }

  /** Someone who joined without keys gave them: an active sender gives them its current key now. */
  keysArrived(name: string): void {
    this.given.delete(foldName(name));
    this.joined(name);
  }

  /** Someone left: our next message uses a new key, so they cannot read it. */
  left(name: string): void {
    this.given.delete(foldName(name));
    if (this.own) this.rotate = true;
  }

  /** Seals a room message for everyone present. Throws ChatError key_changed, not_logged_in, too_large. */
  sealRoom(id: string, text: string): Promise<MessageEnvelope> {
    return this.locked(async () => {
      const changed = this.dir().changed().flatMap((k) => this.d.find(k) ?? []).filter((n) => this.state(n) === 'changed');
      if (changed.length) throw keyChanged(changed);
      const sk = await this.current([]);
      return sealRoom(sk, { id, from: this.d.me(), room: this.d.room(), text });
    });
  }

  /** Seals a direct message for `to`. Throws ChatError key_changed or verify_failed (no usable keys). */
  async sealDirect(id: string, to: string, text: string): Promise<MessageEnvelope> {
    if (this.state(to) === 'changed') throw keyChanged([to]);
    const recipient = (await this.dir().get([to])).get(to);
    if (!recipient) throw new ChatError('verify_failed', `no usable keys for ${to}: a direct message cannot be encrypted for them`);
    return sealDirect({ id, from: this.d.me(), to, room: this.d.room(), text, sender: this.mine(), recipient });
  }

  /**
   * The server refused room message `id`: members lack our key. Gives it to them and returns the message
   * sealed again (same id), or throws ChatError when it gave up (key_changed, or too many tries).
   */
  async onRekey(m: ServerRekey, text: string): Promise<MessageEnvelope> {
    const tries = (this.resends.get(m.id) ?? 0) + 1;
    this.resends.set(m.id, tries);
    if (tries > SENDER_KEY_RESEND_MAX) {
      this.resends.delete(m.id);
      throw new ChatError('verify_failed', `could not give your key to everyone in the room (${m.missing.slice(0, 5).join(', ')}…): message not sent`);
    }
    const changed = m.missing.filter((n) => this.state(n) === 'changed');
    if (changed.length) throw keyChanged(changed);
    return this.locked(async () => {
      const sk = await this.current(m.missing);
      return sealRoom(sk, { id: m.id, from: this.d.me(), room: this.d.room(), text });
    });
  }

  /** The server did not store room message `id`: some members lack our key. Give it, seal again, resend. */
  async rekey(m: ServerRekey): Promise<void> {
    const text = this.d.outbox.text(m.id);
    if (text === undefined) return;
    try {
      const env = await this.onRekey(m, text);
      if (!this.d.outbox.has(m.id)) return;
      this.d.outbox.replace(m.id, { t: 'enc', id: m.id, env });
      this.d.send({ t: 'enc', id: m.id, env });
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      this.d.outbox.drop(m.id);
      this.d.error({ code: err.code, message: err.message });
    }
  }

  /** A message was stored: forget its resend count. */
  done(id: string): void { this.resends.delete(id); }

  /** A sender key for us (in the inbox's order, before the messages that use it). */
  async onKey(m: ServerSenderKey): Promise<void> {
    if (m.env === undefined || !this.d.keys()) return this.ring.set(m.from, m.epoch, null);
    const senderKeys = (await this.dir().get([m.from])).get(m.from);
    const r = openSenderKey(m.env, { me: this.d.me(), room: this.d.room(), mine: this.mine(), senderKeys });
    if (!r.ok) return this.d.warn(`could not take the key of ${m.from.slice(0, 32)} (${r.reason})`);
    if (r.from !== m.from || r.epoch !== m.epoch) return this.d.warn(`could not take the key of ${m.from.slice(0, 32)} (sender mismatch)`);
    this.ring.set(m.from, m.epoch, { key: r.key, spk: r.spk });
  }

  /**
   * Opens a room or direct message as delivered (`live` false for a replay before our join completed).
   * Returns the text, a notice to show instead, or undefined after warning (refused). Replays are the inbox's check.
   */
  async open(w: WireChat, live: boolean): Promise<{ text: string; notice?: boolean } | undefined> {
    if (!this.d.keys()) return { text: '🔒 an encrypted message you cannot read: it came while your keys were being made', notice: true };
    const own = this.isMe(w.from);
    const senderKeys = own ? ownUserKeys(this.mine()) : (await this.dir().get([w.from])).get(w.from);
    const delivery = { me: this.d.me(), room: this.d.room(), ctx: w.to === undefined ? 'room' as const : 'dm' as const, from: w.from, stamp: w.ts };
    const r = openMessage(w.env, delivery, { mine: this.mine(), senderKeys, roomKey: (e) => this.ring.get(w.from, e) ?? undefined });
    if (r.ok) {
      if (!own && this.state(w.from) === 'changed') this.d.warn(`the message from ${w.from} is signed with keys that changed — compare with /verify ${w.from}`);
      return { text: r.text };
    }
    if (r.reason !== 'no_key') {
      this.d.warn(describeOpenFailure(w.from, r.reason));
      return undefined;
    }
    const epoch = (w.env as { epoch?: unknown }).epoch;
    if (typeof epoch === 'number' && this.ring.get(w.from, epoch) === null) return { text: `🔒 ${w.from} could not give you its key (your keys were not usable), so you cannot read this message`, notice: true };
    if (!live) return { text: '🔒 an encrypted message you cannot read: it was sent before you joined', notice: true };
    return { text: `🔒 an encrypted message you cannot read: the key of ${w.from} did not reach you`, notice: true };
  }

  /** The key state of `name` (theirs as listed by the server, against what was pinned and verified). */
  state(name: string): KeyState {
    return this.isMe(name) ? 'verified' : (this.d.directory()?.state(name) ?? 'unknown');
  }

  /** Both fingerprints and the safety number to compare with `name`. Throws ChatError no_such_user. */
  safety(name: string): Safety {
    const theirs = this.d.directory()?.fingerprint(name);
    const mine = this.d.keys()?.fingerprint;
    if (!theirs || !mine) throw new ChatError('no_such_user', `no keys are known for ${name}`);
    return { mine, theirs, number: safetyNumber(mine, theirs), state: this.state(name) };
  }

  /** Accepts `name`'s present keys: `verified` when a person compared the safety number (/verify NAME yes), else /trust. */
  async accept(name: string, verified: boolean): Promise<void> {
    await this.dir().accept(name, verified);
  }

  // Runs jobs one at a time: two sends at once must not start two epochs or give a key twice.
  private locked<T>(job: () => Promise<T>): Promise<T> {
    const p = this.serial.then(job);
    this.serial = p.catch(() => {});
    return p;
  }

  /** Our current key, after giving it to everyone present who lacks it and to `extra` (the server says they do). */
  private async current(extra: string[]): Promise<SenderKey> {
    if (!this.own || this.rotate) {
      const sender = this.mine();
      const signer = await this.takeSigner();
      const epoch = this.own ? (this.own.epoch + 1) % 2 ** 32 : firstEpoch();
      this.own = newSenderKey({ from: this.d.me(), room: this.d.room(), epoch, sender, signer });
      this.given.clear();
      this.rotate = false;
      this.ring.set(this.d.me(), epoch, { key: this.own.key, spk: signer.publicKey });
      this.prepareSigner();
    }
    // Folded names come from the roster: folding 500 names on every send cost ~0.8 ms.
    const lacking: string[] = [];
    for (const [folded, name] of this.d.present()) if (!this.given.has(folded)) lacking.push(name);
    await this.give(extra.length ? [...new Set([...lacking, ...extra])] : lacking, false);
    return this.own;
  }

  /** The spare epoch signing key (or a new one, waited for: only before our first epoch). */
  private takeSigner(): Promise<RsaKeyPair> {
    const p = this.spare ?? newEpochSigner();
    this.spare = undefined;
    return p;
  }

  /** Starts making the next epoch's signing key in the background, off the event loop. */
  private prepareSigner(): void {
    if (this.spare) return;
    const p = newEpochSigner();
    p.catch(() => { if (this.spare === p) this.spare = undefined; });
    this.spare = p;
  }

  /** Wraps our current key for each name (once each); a name with no usable keys is told so, and named to us. */
  private async give(names: string[], skipChanged: boolean): Promise<void> {
    const sk = this.own;
    const others = names.filter((n) => !this.isMe(n) && !(skipChanged && this.state(n) === 'changed'));
    if (!sk || others.length === 0) return;
    const keys = await this.dir().get(others);
    const unusable: string[] = [];
    for (const to of others) {
      const recipient = keys.get(to);
      if (recipient) this.d.send({ t: 'skey', to, epoch: sk.epoch, env: wrapSenderKey(sk, { from: this.d.me(), to, room: this.d.room(), recipient }) });
      else { this.d.send({ t: 'skey', to, epoch: sk.epoch }); unusable.push(to); }
      this.given.add(foldName(to));
    }
    if (unusable.length) this.d.warn(`could not give your key to ${unusable.join(', ')}: no usable keys — they cannot read your encrypted messages`);
  }

  private isMe(name: string): boolean { return foldName(name) === foldName(this.d.me()); }

  private mine(): ClientKeys {
    const k = this.d.keys();
    if (!k) throw new ChatError('not_logged_in', 'join the room first');
    return k;
  }

  private dir(): KeyDirectory {
    const d = this.d.directory();
    if (!d) throw new ChatError('not_logged_in', 'join the room first');
    return d;
  }
}

function keyChanged(names: string[]): ChatError {
  const n = names[0]!;
  return new ChatError('key_changed', `the keys of ${names.join(', ')} changed — compare them with /verify ${n}, then /verify ${n} yes (or /trust ${n}) before sending encrypted`, { users: names });
}
