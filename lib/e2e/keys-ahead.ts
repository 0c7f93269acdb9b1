// End-to-end keys made ahead: the client starts making its two RSA key pairs (OAEP and PSS) in memory as
// soon as it starts, while the person types into the login form (or while the line client connects and
// proves the password), because the username, and so the folder the keys belong in, is known only at join.
// At join, loadOrCreateUserKeys takes a pair from here for a key file that does not exist yet and saves it
// there; a key file already on disk always wins and the pair made ahead stays unused.
import { CLIENT_RSA_BITS } from '../constants.ts';
import { generateRsaKeyPair, type RsaKeyPair } from '../keyfile.ts';
import { userHasKeys } from './keys.ts';

/** Which of the two pairs: `enc` for RSA-OAEP, `sig` for RSA-PSS. */
export type KeyRole = 'enc' | 'sig';

/** Two RSA key pairs being made (on libuv's thread pool) before anyone knows whose they are. */
export class KeysAhead {
  private readonly pairs = new Map<KeyRole, Promise<RsaKeyPair>>();
  private made = 0;
  /** Both pairs are made (so taking them costs no wait). */
  get ready(): boolean { return this.made === 2; }

  private started = false;

  /**
   * Makes both pairs of `bits` bits (default CLIENT_RSA_BITS) by `make` (tests watch it): now, or with
   * `now` false at the first take(), i.e. once joined without keys (the line client: nobody types, and
   * on two cores the key work would slow down its start).
   */
  constructor(readonly bits: number = CLIENT_RSA_BITS, private readonly make: (bits: number) => Promise<RsaKeyPair> = generateRsaKeyPair, now = true) {
    this.joinFirst = !now;
    if (now) this.start();
  }

  /**
   * Made only once joined (`now` false): the client joins without keys and gives them later (`mykeys`);
   * encrypted messages others send until then cannot be read by it. Started now, a join waits for them.
   */
  readonly joinFirst: boolean;

  private start(): void {
    if (this.started) return;
    this.started = true;
    for (const role of ['enc', 'sig'] as const) {
      const p = this.make(this.bits);
      p.then(() => { this.made++; }, () => {}); // a failure surfaces to whoever takes the pair; none if nobody does
      this.pairs.set(role, p);
    }
  }

  /**
   * The pair made for `role`, once: a second call (another name, or a file that already existed) gets
   * undefined and must make its own, so one key pair never serves two identities. Undefined too when `bits` differs.
   */
  take(role: KeyRole, bits: number): Promise<RsaKeyPair> | undefined {
    if (bits !== this.bits) return undefined;
    this.start();
    const p = this.pairs.get(role);
    this.pairs.delete(role);
    return p;
  }

  /** Whether the pair for `role` is still here to take. */
  has(role: KeyRole): boolean { return !this.started || this.pairs.has(role); }
}

/**
 * Starts making keys ahead for a client of history folder `dir`, unless `username` (given before the form,
 * e.g. on the command line) already has keys there; the window may still be told another name, whose keys
 * are then made at join as before. With `now` false they are made only once joined without them (see KeysAhead).
 */
export function keysAheadFor(dir: string, username: string | undefined, bits: number = CLIENT_RSA_BITS, now = true): KeysAhead | undefined {
  return username !== undefined && userHasKeys(dir, username) ? undefined : new KeysAhead(bits, generateRsaKeyPair, now);
}
