// The client's view of who is in the room: names keyed by their folded form, updated by the server's
// user lists and presence events. It tells its owner what changed; it never talks to the network.
import type { PresenceEvent, ServerMessage, WireUser } from './messages.ts';
import { foldName } from '../names.ts';

/** What the roster tells its owner. */
export interface RosterEvents {
  /** A user's keys fingerprint was seen (a list entry or a join). */
  saw(user: WireUser): void;
  /** A present user who joined without keys gave them (its fingerprint was seen just before). */
  keys?(user: string): void;
  join(user: string): void;
  leave(user: string): void;
  /** The list changed: called once per list or batch, never once per name of a batch. */
  changed(): void;
}

/** Names in the room, as the server last said. */
export class Roster {
  private readonly names = new Map<string, string>();

  constructor(private readonly on: RosterEvents) {}

  /** The names, as their owners spell them. */
  list(): string[] { return [...this.names.values()]; }

  /** Folded name → the name as its owner spells it (live: read it, do not keep it). */
  byFolded(): ReadonlyMap<string, string> { return this.names; }

  /** The present spelling of `name` (compared without case), or undefined. */
  find(name: string): string | undefined { return this.names.get(foldName(name)); }

  /** Replaces the list (a welcome). */
  reset(names: string[]): void {
    this.names.clear();
    for (const n of names) this.names.set(foldName(n), n);
    this.on.changed();
  }

  /** Empties the list (disconnected: nobody is known to be there). */
  clear(): void {
    if (this.names.size === 0) return;
    this.names.clear();
    this.on.changed();
  }

  /** A 'users' message: the whole list, or a chunk appended to it. */
  users(m: Extract<ServerMessage, { t: 'users' }>): void {
    if (!m.append) this.names.clear();
    for (const u of m.users) { this.names.set(foldName(u.name), u.name); this.on.saw(u); }
    this.on.changed();
  }

  /** Joins and leaves: one event, or a batch that changes the list once. */
  presence(events: readonly PresenceEvent[]): void {
    for (const e of events) this.apply(e);
    this.on.changed();
  }

  private apply(e: PresenceEvent): void {
    if (e.t === 'join') {
      this.names.set(foldName(e.user.name), e.user.name);
      this.on.saw(e.user);
      this.on.join(e.user.name);
    } else if (e.t === 'keys') {
      if (!this.names.has(foldName(e.user.name))) return;
      this.on.saw(e.user);
      this.on.keys?.(e.user.name);
    } else {
      this.names.delete(foldName(e.user));
      this.on.leave(e.user);
    }
  }
}
