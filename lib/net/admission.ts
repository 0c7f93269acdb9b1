// Who may start a handshake (an RSA signature), and how many connections may wait for their login: the
// server's defence against a peer that forces signatures or holds memory without knowing the password.
// Pure bookkeeping: it never reads the clock (`now`, ms, is passed in) and owns no timers.
import {
  ADMISSION_MAX_ADDRESSES, HANDSHAKE_BURST, HANDSHAKE_BUSY_QUEUE, HANDSHAKE_RATE_PER_S, NEWCOMER_HANDSHAKE_BURST,
  NEWCOMER_HANDSHAKES_PER_S, PRELOGIN_MAX_CONNECTIONS, PRELOGIN_MAX_PER_IP, RECENT_LOGIN_MS,
} from '../constants.ts';

export interface AdmissionLimits {
  /** Connections not yet logged in, in all; beyond it only addresses that logged in recently get one. */
  preLoginMax: number;
  /** Connections not yet logged in (handshakes being signed included) per IP address. */
  preLoginPerIp: number;
  /** New handshakes per IP address: tokens per second, and most tokens stored. */
  handshakeRatePerS: number;
  handshakeBurst: number;
  /** New handshakes of all addresses without a recent login together: tokens per second, and most stored. */
  newcomerRatePerS: number;
  newcomerBurst: number;
  /** Handshakes waiting for a signature beyond which only recently logged-in addresses are signed for. */
  busyQueue: number;
  /** How long a login gives its address priority, in ms. */
  recentLoginMs: number;
  /** Addresses remembered (buckets, recent logins); the least recently used are forgotten. */
  maxAddresses: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = {
  preLoginMax: PRELOGIN_MAX_CONNECTIONS, preLoginPerIp: PRELOGIN_MAX_PER_IP, handshakeRatePerS: HANDSHAKE_RATE_PER_S,
  handshakeBurst: HANDSHAKE_BURST, newcomerRatePerS: NEWCOMER_HANDSHAKES_PER_S, newcomerBurst: NEWCOMER_HANDSHAKE_BURST, busyQueue: HANDSHAKE_BUSY_QUEUE, recentLoginMs: RECENT_LOGIN_MS, maxAddresses: ADMISSION_MAX_ADDRESSES,
};

/** 'sign': start the handshake; any other answer is the reason it was not (the HELLO gets a RETRY instead). */
export type Verdict = 'sign' | 'handshake_rate' | 'newcomer_rate' | 'prelogin_per_ip' | 'prelogin_full' | 'signing_queue';

interface Bucket { tokens: number; last: number }

/** Moves `key` to the newest end of an LRU map, forgetting the oldest entries beyond `max`. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value!);
}

/** Per-address handshake rates, pre-login connection counts and recent logins of one server endpoint. */
export class Admission {
  readonly limits: AdmissionLimits;
  /** Connections (and handshakes being signed) not yet logged in. */
  preLogin = 0;
  private readonly perIp = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly recent = new Map<string, number>();
  private readonly exempt: Set<string>;
  /** The shared bucket of addresses without a recent login (made full at the first check). */
  private newcomers: Bucket | undefined;

  /** `exempt`: IP addresses free of the per-address limits (a benchmark's or a test's clients, all on one address). */
  constructor(limits: Partial<AdmissionLimits> = {}, exempt: Iterable<string> = []) {
    this.limits = { ...DEFAULT_ADMISSION, ...limits };
    this.exempt = new Set(exempt);
  }

  /**
   * Whether a HELLO from `ip` that echoed a valid cookie may start a handshake at `now`; `queued` is the
   * number of handshakes waiting for a signature. Takes a token from the address's bucket when it says 'sign'.
   */
  check(ip: string, now: number, queued: number): Verdict {
    const exempt = this.exempt.has(ip);
    const recent = this.isRecent(ip, now);
    if (!exempt && (this.perIp.get(ip) ?? 0) >= this.limits.preLoginPerIp) return 'prelogin_per_ip';
    if (!recent && !exempt && this.preLogin >= this.limits.preLoginMax) return 'prelogin_full';
    if (!recent && !exempt && queued >= this.limits.busyQueue) return 'signing_queue';
    const newcomer = !recent && !exempt;
    if (newcomer && this.refill(now) < 1) return 'newcomer_rate';
    if (!exempt && !this.take(ip, now)) return 'handshake_rate';
    if (newcomer) this.newcomers!.tokens -= 1;
    return 'sign';
  }

  /** A handshake started for `ip`: it counts as a connection before login until loggedIn or closed. */
  opened(ip: string): void {
    this.preLogin++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
  }

  /** A connection of `ip` that had not logged in ended (or its handshake failed). */
  closed(ip: string): void {
    this.preLogin = Math.max(0, this.preLogin - 1);
    const n = (this.perIp.get(ip) ?? 0) - 1;
    if (n > 0) this.perIp.set(ip, n); else this.perIp.delete(ip);
  }

  /** A connection of `ip` logged in: it no longer counts before login, its token comes back, its address gains priority. */
  loggedIn(ip: string, now: number): void {
    this.closed(ip);
    touch(this.recent, ip, now, this.limits.maxAddresses);
    const b = this.buckets.get(ip);
    if (b) b.tokens = Math.min(this.limits.handshakeBurst, b.tokens + 1);
  }

  /** Connections not yet logged in from `ip`. */
  preLoginOf(ip: string): number { return this.perIp.get(ip) ?? 0; }

  /** True when a client at `ip` logged in within recentLoginMs. */
  isRecent(ip: string, now: number): boolean {
    const at = this.recent.get(ip);
    return at !== undefined && now - at < this.limits.recentLoginMs;
  }

  // The newcomers' shared bucket: newcomerBurst at once, then newcomerRatePerS. Returns its tokens at `now`.
  private refill(now: number): number {
    const { newcomerRatePerS: rate, newcomerBurst: burst } = this.limits;
    const b = (this.newcomers ??= { tokens: burst, last: now });
    b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.last) * rate) / 1000);
    b.last = now;
    return b.tokens;
  }

  // Token bucket per address: handshakeBurst at once, then handshakeRatePerS.
  private take(ip: string, now: number): boolean {
    const { handshakeRatePerS: rate, handshakeBurst: burst } = this.limits;
    const b = this.buckets.get(ip) ?? { tokens: burst, last: now };
    b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.last) * rate) / 1000);
    b.last = now;
    touch(this.buckets, ip, b, this.limits.maxAddresses);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
