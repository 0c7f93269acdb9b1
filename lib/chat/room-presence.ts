// The room's presence announcements (lib/chat/room.ts): joins, leaves and keys given go out in batches as
// `presence` messages, each to the members that were in the room before it.
import { encodeMessage, PRESENCE_PER_MESSAGE, type PresenceEvent } from './messages.ts';
import type { Member } from './room.ts';

/** Joins and leaves are announced in batches this far apart, in ms. */
const ANNOUNCE_BATCH_MS = 50;

export class Announcements {
  private pending: Array<{ event: PresenceEvent; about: Member; at: number }> = [];
  /** Cancels the pending announcement flush, if one is scheduled. */
  private cancelAnnounce: (() => void) | undefined;
  private lastAnnounced = -Infinity;
  /** Orders announcements against the moment each member became ready. */
  private clock = 0;

  constructor(private readonly members: ReadonlyMap<string, Member>, private readonly now: () => number) {}

  /** The next tick of the announcement clock: a member that becomes ready now hears what is announced after it. */
  tick(): number { return ++this.clock; }

  // Joins and leaves are announced at the end of this event-loop turn, and at most once every
  // ANNOUNCE_BATCH_MS: a lone join goes out at once, but when a class logs in together each member gets
  // one datagram per batch instead of one per join. Before any chat message goes out the batch is
  // flushed, so nobody sees a message from someone not yet announced.
  announce(event: PresenceEvent, about: Member): void {
    this.pending.push({ event, about, at: ++this.clock });
    if (this.cancelAnnounce) return;
    const flush = (): void => this.flush();
    // Capped, so a wall clock set back cannot hold announcements longer than one batch.
    const wait = Math.min(ANNOUNCE_BATCH_MS, this.lastAnnounced + ANNOUNCE_BATCH_MS - this.now());
    if (wait > 0) {
      const timer = setTimeout(flush, wait).unref();
      this.cancelAnnounce = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(flush);
      this.cancelAnnounce = () => clearImmediate(immediate);
    }
  }

  /**
   * Sends pending join/leave announcements now, each to the members that were in the room before it, as
   * `presence` messages: everyone who was here before the batch gets the same encoded message(s); only
   * those who joined during it get their own (the part after their join, without it).
   */
  flush(): void {
    this.cancelAnnounce?.();
    this.cancelAnnounce = undefined;
    const batch = this.pending;
    if (!batch.length) return;
    this.pending = [];
    this.lastAnnounced = this.now();
    const firstAt = batch[0]!.at;
    const about = new Set(batch.map((a) => a.about));
    let shared: Buffer[] | undefined;
    for (const member of this.members.values()) {
      if (!member.ready) continue;
      if (member.readyAt < firstAt && !about.has(member)) {
        shared ??= presenceMessages(batch.map((a) => a.event));
        for (const buf of shared) member.send(buf);
        continue;
      }
      const mine = batch.filter((a) => a.about !== member && member.readyAt < a.at).map((a) => a.event);
      for (const buf of presenceMessages(mine)) member.send(buf);
    }
  }
}

/** Encoded `presence` messages for `events`, at most PRESENCE_PER_MESSAGE each; none for no events. */
function presenceMessages(events: PresenceEvent[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < events.length; i += PRESENCE_PER_MESSAGE) out.push(encodeMessage({ t: 'presence', events: events.slice(i, i + PRESENCE_PER_MESSAGE) }));
  return out;
}
