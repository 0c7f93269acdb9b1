// The sender keys this client holds: per sender (folded name), the newest few epochs, each a key with the
// epoch's signing key, or a note that the sender could not give us one. Kept across reconnects, in memory only.
import { SENDER_KEY_EPOCHS_KEPT } from '../constants.ts';
import type { HeldKey } from '../e2e/sender-key.ts';
import { foldName } from '../names.ts';

export class KeyRing {
  private readonly bySender = new Map<string, Map<number, HeldKey | null>>();

  /** Holds `key` (or null: the sender said it could not give us one) for `from`'s `epoch`. */
  set(from: string, epoch: number, key: HeldKey | null): void {
    const k = foldName(from);
    let epochs = this.bySender.get(k);
    if (!epochs) this.bySender.set(k, (epochs = new Map()));
    epochs.delete(epoch);
    epochs.set(epoch, key);
    // A Map iterates in insertion order: the first is the oldest received.
    while (epochs.size > SENDER_KEY_EPOCHS_KEPT) {
      const [oldest, old] = epochs.entries().next().value!;
      old?.key.fill(0);
      epochs.delete(oldest);
    }
  }

  /** The key of `from`'s `epoch`, null when it could not be given to us, undefined when never received. */
  get(from: string, epoch: number): HeldKey | null | undefined {
    return this.bySender.get(foldName(from))?.get(epoch);
  }

  /** Senders whose keys are held, for tests and the bench. */
  senders(): string[] { return [...this.bySender.keys()]; }
}
