// What the client keeps for the name it joins with on one server: its end-to-end keys, its copy of the room
// (with the file of messages not yet sent beside it), the directory of other users' keys (known and verified)
// and the server's resume token for the name. On disk under historyDir, or in memory with persist: false.
import type { ClientKeys } from '../e2e/keys.ts';
import { loadOrCreateUserKeys, userHasKeys } from '../e2e/keys.ts';
import { CLIENT_RSA_BITS } from '../constants.ts';
import { ClientHistory, KnownUsers } from '../history/room.ts';
import { MemoryHistory, MemoryKnownUsers, type MessageStore } from '../history/memory.ts';
import { PendingFile } from '../history/pending.ts';
import { MemoryVerifiedUsers, VerifiedUsers } from '../history/trust.ts';
import { foldName } from '../names.ts';
import { KeyDirectory } from './key-directory.ts';
import type { Bundle } from './key-requests.ts';
import type { Outbox } from './outbox.ts';
import type { ChatClientOptions } from './types.ts';

/** The client's keys and stores, opened at join and kept across reconnects. */
export class ClientStores {
  /** Our end-to-end keys: from the options, else loaded (or made) at the first join. */
  keys: ClientKeys | undefined;
  /** Our copy of the room; undefined before the first join and after close. */
  store: MessageStore | undefined;
  /** Other users' keys and their trust, opened at the first join. */
  directory: KeyDirectory | undefined;
  /** The server's token that lets our name take over its own stale session; dropped with a new name's store. */
  resume: string | undefined;

  constructor(
    private readonly opts: ChatClientOptions,
    /** "host:port": the stores are per server. */
    private readonly server: string,
    /** Gets the unsent-messages file of each name's store. */
    private readonly outbox: Outbox,
    /** Asks the server for users' key bundles (the directory fetches on demand). */
    private readonly fetchKeys: (names: string[]) => Promise<Record<string, Bundle>>,
    private readonly warn: (line: string) => void,
  ) {}

  /** Our keys being made after a join without them (see withoutKeys); settled once given to the server. */
  pending: Promise<unknown> | undefined;

  /**
   * Whether to join as `username` without keys, giving them later (`mykeys`): only on the first start of a
   * name (no keys on disk, none given) with keys to be made once joined (lib/e2e/keys-ahead.ts, joinFirst).
   */
  withoutKeys(username: string): boolean {
    const ahead = this.opts.keysAhead;
    return !this.keys && !this.opts.keys && ahead !== undefined && ahead.joinFirst && !ahead.ready && !userHasKeys(this.opts.historyDir, username);
  }

  /** Our keys, loaded or made for `username` the first time (a few seconds) unless the options gave them. */
  async loadKeys(username: string): Promise<ClientKeys> {
    return this.keys ??= this.opts.keys ?? await loadOrCreateUserKeys(this.opts.historyDir, username,
      () => this.opts.onProgress?.('making your encryption keys (first time only, a few seconds)…'), CLIENT_RSA_BITS, this.opts.keysAhead);
  }

  /**
   * The store for `username` (a new one, and the unsent messages of that name, when `current`, the name of the
   * open store, differs once folded) and the key directory (opened the first time).
   */
  async open(username: string, current: string | undefined): Promise<{ store: MessageStore; directory: KeyDirectory }> {
    if (!this.store || foldName(current ?? '') !== foldName(username)) {
      await this.store?.close();
      this.store = this.opts.persist === false ? new MemoryHistory()
        : await ClientHistory.open(this.opts.historyDir, this.server, username, { onWarning: (w: string) => this.warn(w) });
      this.resume = undefined;
      if (this.opts.persist !== false) this.outbox.attach(await PendingFile.open(this.opts.historyDir, this.server, username, (w) => this.warn(w)));
    }
    if (!this.directory) {
      const [known, verified] = this.opts.persist === false ? [new MemoryKnownUsers(), new MemoryVerifiedUsers()]
        : await Promise.all([KnownUsers.open(this.opts.historyDir, this.server), VerifiedUsers.open(this.opts.historyDir, this.server)]);
      this.directory = new KeyDirectory(known, verified, this.fetchKeys, this.warn);
    }
    return { store: this.store, directory: this.directory };
  }

  /** Closes the store and writes out the unsent messages (a failure is only warned about). */
  async close(): Promise<void> {
    await this.store?.close();
    await this.outbox.store?.flush().catch((err: Error) => this.warn(`could not keep the unsent messages: ${err.message}`));
    this.store = undefined;
  }
}
