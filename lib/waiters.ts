// Promises for "the next message that matches": a reply to a request, in the order requests were made.
import { ChatError } from './errors.ts';

interface Waiter<T> { match: (m: T) => boolean; resolve: (m: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; promise?: Promise<T> }

export class Waiters<T> {
  private readonly list: Array<Waiter<T>> = [];

  /** Resolves with the first later offered message that `match`es; rejects ChatError('timeout') after `timeoutMs`. */
  wait(match: (m: T) => boolean, timeoutMs = 10_000): Promise<T> {
    let waiter!: Waiter<T>;
    const promise = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.remove(waiter);
        reject(new ChatError('timeout', 'the server did not answer in time'));
      }, timeoutMs);
      waiter = { match, resolve, reject, timer };
    });
    waiter.promise = promise;
    this.list.push(waiter);
    return promise;
  }

  /** Gives `m` to the oldest waiter it matches. Returns true if one took it. */
  offer(m: T): boolean {
    const w = this.list.find((x) => x.match(m));
    if (!w) return false;
    this.remove(w);
    w.resolve(m);
    return true;
  }

  /** Stops waiting for the given promise (it never settles). */
  cancel(p: Promise<T>): void {
    const w = this.list.find((x) => x.promise === p);
    if (w) this.remove(w);
  }

  /** Rejects every waiter with `err`. */
  cancelAll(err: Error): void {
    for (const w of this.list.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private remove(w: Waiter<T>): void {
    clearTimeout(w.timer);
    const i = this.list.indexOf(w);
    if (i >= 0) this.list.splice(i, 1);
  }
}
