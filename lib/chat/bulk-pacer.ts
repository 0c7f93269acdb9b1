// Relayed file data yields to chat. On a machine that relays a transfer at full speed, the relay's work (open
// and seal 32 KiB chunks, send them) and the two file ends' own work take the cores the room's chat needs:
// measured on 2 cores, 50 members at 100 msg/s had a chat p99 of 8–12 ms alone and 21–25 ms beside a
// transfer at 50 MB/s. So while the room chats (a message fanned out within the last CHAT_ACTIVE_MS) the
// server hands on file data at most FILE_RELAY_RATE_WHILE_CHAT bytes a second, for all transfers together;
// a quiet room relays at full speed. The senders slow down by themselves: the relay holds at most a window
// of chunks per transfer, so their acks come later. Like a scavenger class of traffic (LEDBAT): bulk data
// takes what interactive traffic leaves.
import { CHAT_ACTIVE_MS, FILE_RELAY_BURST_BYTES, FILE_RELAY_RATE_WHILE_CHAT } from '../constants.ts';
import { TokenBucket } from '../rate-limit.ts';

export interface BulkPacerOptions {
  /** Bytes per second while chat is active. */
  rate?: number;
  /** Bytes that may go at once after a pause. */
  burst?: number;
  /** When a chat message was last fanned out (ms on `now`'s clock; -Infinity: never). */
  lastChatAt: () => number;
  now?: () => number;
}

/** A byte bucket (lib/rate-limit.ts TokenBucket) that only exists while the room chats: it starts full each time. */
export class BulkPacer {
  private readonly rate: number;
  private readonly burst: number;
  private readonly lastChatAt: () => number;
  private readonly now: () => number;
  private bucket: TokenBucket | undefined;

  /** Throws RangeError on a rate or burst that is not positive. */
  constructor(o: BulkPacerOptions) {
    this.rate = o.rate ?? FILE_RELAY_RATE_WHILE_CHAT;
    this.burst = o.burst ?? FILE_RELAY_BURST_BYTES;
    if (!(this.rate > 0 && this.burst > 0)) throw new RangeError('BulkPacer needs a positive rate and burst');
    this.lastChatAt = o.lastChatAt;
    this.now = o.now ?? (() => performance.now());
  }

  /**
   * 0 when `bytes` may go now (they are counted); otherwise the ms to wait before asking again (nothing is
   * reserved meanwhile). Bytes larger than the burst go once the bucket is full.
   */
  delay(bytes: number): number {
    const now = this.now();
    if (now - this.lastChatAt() >= CHAT_ACTIVE_MS) {
      this.bucket = undefined;
      return 0;
    }
    this.bucket ??= new TokenBucket(this.rate, this.burst, now);
    return this.bucket.take(now, 0, Math.min(bytes, this.burst));
  }
}
