// Messages waiting to be cut into fragments, in order, for the sending half of a channel.

/** Queued entries dropped from the front are compacted away once there are this many. */
const COMPACT_AFTER = 1024;
const EMPTY = Buffer.alloc(0);

export class MessageQueue {
  /** Bytes of messages not yet cut into fragments. */
  bytes = 0;
  private readonly queue: Buffer[] = [];
  private head = 0;
  /** Bytes of the head message already cut. */
  private offset = 0;

  /** Queues a whole message (not copied: the caller does not change it afterwards). */
  push(message: Buffer): void {
    this.queue.push(message);
    this.bytes += message.length;
  }

  get isEmpty(): boolean {
    return this.head >= this.queue.length;
  }

  /** Data bytes the next piece would carry if allowed `maxData` bytes (0 when empty). */
  nextLength(maxData: number): number {
    const message = this.queue[this.head];
    return message ? Math.min(maxData, message.length - this.offset) : 0;
  }

  /** Where the piece cut last lies in its message (fields, so that a cut allocates nothing). */
  cutFirst = false;
  cutLast = false;

  /**
   * Cuts the next piece (at most `maxData` bytes) off the head message and returns it; cutFirst and
   * cutLast then say where in its message it lies. A message that fits is its own piece: no view is
   * allocated. Call only when not empty.
   */
  cut(maxData: number): Buffer {
    const message = this.queue[this.head]!;
    const len = this.nextLength(maxData);
    this.cutFirst = this.offset === 0;
    const data = len === message.length ? message : message.subarray(this.offset, this.offset + len);
    this.offset += len;
    this.bytes -= len;
    this.cutLast = this.offset === message.length;
    if (this.cutLast) this.advance();
    return data;
  }

  private advance(): void {
    this.queue[this.head++] = EMPTY;
    this.offset = 0;
    // Compact now and then so a long-lived queue does not grow without bound.
    if (this.head > COMPACT_AFTER && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}

/**
 * Two lanes of messages: normal ones (chat, control) and bulk ones (file chunks). A normal message goes
 * before any bulk message not yet started; a bulk message already partly cut finishes first, since a
 * message's fragments must be consecutive. So chat waits behind at most one bulk message, never a queue of
 * them.
 */
export class LaneQueue {
  private readonly normal = new MessageQueue();
  private readonly bulk = new MessageQueue();
  /** A bulk message is partly cut: it goes on until its last piece. */
  private midBulk = false;
  cutFirst = false;
  cutLast = false;

  push(message: Buffer, bulk: boolean): void {
    (bulk ? this.bulk : this.normal).push(message);
  }

  /** Bytes of messages not yet cut, both lanes. */
  get bytes(): number {
    return this.normal.bytes + this.bulk.bytes;
  }

  get isEmpty(): boolean {
    return this.normal.isEmpty && this.bulk.isEmpty;
  }

  nextLength(maxData: number): number {
    return this.lane().nextLength(maxData);
  }

  /** As MessageQueue.cut, from the lane whose turn it is. Call only when not empty. */
  cut(maxData: number): Buffer {
    const q = this.lane();
    const data = q.cut(maxData);
    this.cutFirst = q.cutFirst;
    this.cutLast = q.cutLast;
    this.midBulk = q === this.bulk && !q.cutLast;
    return data;
  }

  private lane(): MessageQueue {
    return this.midBulk || this.normal.isEmpty ? this.bulk : this.normal;
  }
}
