// What the server checks of Send Encrypted without reading anything: who holds each sender's current key
// (it forwards the key messages, so it knows), and the shape and context of each envelope it routes.
import { parseKeyEnvelope, parseMessageEnvelope } from '../e2e/sk-envelope.ts';
import { TokenBucket } from '../rate-limit.ts';
import { REKEY_NAMES_MAX } from './sk-messages.ts';

/** The part of a room member this module needs. */
interface Holder { name: string; ready: boolean }

/** What became of one sender key message: forward it, or drop it (already held, or epochs started too fast). */
export type Given = 'new' | 'duplicate' | 'flood';

/**
 * Per sender: the epoch of its newest key and the members it was given to (in this session). A key message
 * is forwarded once per (sender, recipient, epoch), and a sender may start new epochs only as fast as it
 * may send messages (`epochs` per s, `burst`), so nobody can fill another member's link with key messages.
 */
export class KeyHolders {
  private readonly state = new WeakMap<Holder, { epoch: number; holders: WeakMap<Holder, number>; bucket: TokenBucket }>();
  /** Per recipient: bumped when it gets keys after its join (forget), so what it was given before no longer counts. */
  private readonly version = new WeakMap<Holder, number>();

  constructor(private readonly epochs = { ratePerS: 5, burst: 10 }, private readonly now: () => number = Date.now) {}

  /** `from` gives (or says it cannot give) its key of `epoch` to `to`. A new epoch starts a new set. */
  given(from: Holder, to: Holder, epoch: number): Given {
    let s = this.state.get(from);
    if (!s) {
      s = { epoch, holders: new WeakMap(), bucket: new TokenBucket(this.epochs.ratePerS, this.epochs.burst, this.now()) };
      this.state.set(from, s);
      s.bucket.take(this.now());
    } else if (s.epoch !== epoch) {
      if (s.bucket.take(this.now(), 0) > 0) return 'flood';
      s.epoch = epoch;
      s.holders = new WeakMap();
    }
    const v = this.version.get(to) ?? 0;
    if (s.holders.get(to) === v) return 'duplicate';
    s.holders.set(to, v);
    return 'new';
  }

  /** `to` has keys now (it joined without): every sender's key, given to it before as "cannot", is owed again. */
  forget(to: Holder): void {
    this.version.set(to, (this.version.get(to) ?? 0) + 1);
  }

  /** Names of the ready members other than `from` that were not given its key of `epoch` (at most REKEY_NAMES_MAX). */
  missing(from: Holder, epoch: number, members: Iterable<Holder>): string[] {
    const s = this.state.get(from);
    const out: string[] = [];
    for (const m of members) {
      if (m === from || !m.ready || (s?.epoch === epoch && s.holders.get(m) === (this.version.get(m) ?? 0))) continue;
      out.push(m.name);
      if (out.length >= REKEY_NAMES_MAX) break;
    }
    return out;
  }
}

/**
 * Why the server refuses to route an envelope from `from` as message `id`, or undefined when it may:
 * the shape is checked, the sender, id, context (room or direct, and to whom) and the room's identity must
 * be what this server sees. Never throws.
 */
export function envelopeProblem(env: unknown, a: { from: string; id: string; room: string; to?: string }): string | undefined {
  let e;
  try { e = parseMessageEnvelope(env); } catch (err) { return `malformed encrypted message (${(err as Error).message})`; }
  if (e.from !== a.from || e.id !== a.id) return 'encrypted message with another sender or id than its own';
  if (e.room !== a.room) return 'encrypted message sealed for another room';
  if (a.to === undefined ? e.ctx !== 'room' : e.ctx !== 'dm' || e.to !== a.to) return 'encrypted message sealed for another context (room or direct, or another recipient)';
  return undefined;
}

/** The epoch of a room envelope already checked by envelopeProblem. */
export function envelopeEpoch(env: unknown): number {
  return (env as { epoch: number }).epoch;
}

/** Why a sender key message is refused, or undefined. Never throws. */
export function keyProblem(env: unknown, a: { from: string; to: string; epoch: number; room: string }): string | undefined {
  let k;
  try { k = parseKeyEnvelope(env); } catch (err) { return `malformed sender key (${(err as Error).message})`; }
  if (k.from !== a.from || k.to !== a.to || k.epoch !== a.epoch || k.room !== a.room) return 'sender key with another sender, recipient, epoch or room';
  return undefined;
}

/**
 * A sender key message from `from` for `to` (undefined: not in the room, e.g. it left: the sender hears the
 * leave): checks it, records that `to` holds the key, and forwards it once. Returns the error to answer.
 */
export function forwardSenderKey(holders: KeyHolders, room: string, from: Holder, to: (Holder & { send(m: unknown): void }) | undefined,
  m: { epoch: number; env?: unknown }): { code: 'bad_message' | 'flood'; message: string } | undefined {
  if (!to) return undefined;
  const problem = m.env === undefined ? undefined : keyProblem(m.env, { from: from.name, to: to.name, epoch: m.epoch, room });
  if (problem !== undefined) return { code: 'bad_message', message: problem };
  const given = holders.given(from, to, m.epoch);
  if (given === 'flood') return { code: 'flood', message: 'new encryption keys too fast; slow down' };
  if (given === 'new') to.send(m.env === undefined ? { t: 'skey', from: from.name, epoch: m.epoch } : { t: 'skey', from: from.name, epoch: m.epoch, env: m.env });
  return undefined;
}
