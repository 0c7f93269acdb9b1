// Gives memory back after an attack. What an attack makes the server touch (connections before login,
// their buffers, the objects of thousands of refused HELLOs) is garbage soon after it stops, but V8 keeps
// the old-space pages it grew into, fragmented, and frees the Buffers they hold only at its next full
// collection, which an idle server may not run for minutes: measured in the hostile benchmark, RSS stayed
// 12–20 MB above its figure before the attack, with heap used back where it was (docs/PERFORMANCE.md,
// "Under attack"). A plain full collection did not help (heap total and RSS stayed); a compacting one moves
// the survivors together and returns the emptied pages. So once an attack is seen to end, this runs one.
import { compactHeap } from './gc.ts';
import { ATTACK_COMPACT_GAP_MS, ATTACK_DROPS_PER_S, ATTACK_PRELOGIN, ATTACK_QUIET_S } from './constants.ts';

/** What the server counts: connections not logged in yet, and datagrams dropped so far (every reason). */
export interface AttackSigns { preLogin: number; dropped: number }

/**
 * Decides, one second at a time, when to compact. An attack is a second with ATTACK_DROPS_PER_S drops or
 * more, or ATTACK_PRELOGIN connections or more before login; it has ended after ATTACK_QUIET_S seconds with
 * fewer drops and no more connections before login than the second before. Then: compact (at most once per
 * ATTACK_COMPACT_GAP_MS), and once more when the connections the attack held before login are all gone
 * (their login deadline closes them within ~10 s).
 */
export class AttackWatch {
  private last: AttackSigns | undefined;
  private attacked = false;
  private quiet = 0;
  private held = false;
  private lastRun = -Infinity;

  /** The figures of one more second, at `now` (ms); true when a compaction should run now. */
  second(s: AttackSigns, now: number): boolean {
    const last = this.last ?? s;
    this.last = s;
    const dropping = s.dropped - last.dropped >= ATTACK_DROPS_PER_S;
    if (dropping || s.preLogin >= ATTACK_PRELOGIN) this.attacked = true;
    if (dropping || s.preLogin > last.preLogin) { this.quiet = 0; return false; }
    if (this.attacked && ++this.quiet >= ATTACK_QUIET_S && now - this.lastRun >= ATTACK_COMPACT_GAP_MS) {
      this.attacked = false;
      this.quiet = 0;
      this.held = s.preLogin > 0;
      this.lastRun = now;
      return true;
    }
    if (this.held && s.preLogin === 0) {
      this.held = false;
      return true;
    }
    return false;
  }
}

/**
 * Runs an AttackWatch on `signs()` every second, and compactHeap when it says so; `onCompact` hears each
 * run. Returns a function that stops watching.
 */
export function compactAfterAttacks(signs: () => AttackSigns, onCompact: () => void = () => {}): () => void {
  const watch = new AttackWatch();
  const timer = setInterval(() => {
    if (!watch.second(signs(), Date.now())) return;
    compactHeap();
    onCompact();
  }, 1_000);
  timer.unref();
  return () => clearInterval(timer);
}
