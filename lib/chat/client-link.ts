// ChatClient's connection to the server (the base class of lib/chat/client.ts): the secure handshake, the
// password proof that pins a new server's key, sending raw messages, and the client's state and its events.
import { EventEmitter } from 'node:events';
import { HANDSHAKE_TIMEOUT_MS } from '../constants.ts';
import { ChatError, type ChatErrorCode, ProtocolError } from '../errors.ts';
import type { SecureLink } from '../net/client-endpoint.ts';
import { Waiters } from '../waiters.ts';
import { provePassword, type Requester } from './client-requests.ts';
import { encodeMessage, type ClientMessage, type ServerMessage } from './messages.ts';
import { connectTrusted } from './trusted-connect.ts';
import type { ChatClientOptions, ClientState } from './types.ts';

export abstract class ClientLink extends EventEmitter {
  serverFingerprint = '';
  state: ClientState = 'closed';
  readonly server: string;
  protected link: SecureLink | undefined;
  /** How the server key was trusted at the last login: pinned now by the PAKE proof, or known before. */
  verified: 'password' | 'pinned' | undefined;
  private serverShare: Buffer | undefined; // the server's CPace message for the next login attempt
  private pinOnProof: (() => Promise<void>) | undefined; // first contact: pins the key once the server proved the password
  protected password: string | undefined;
  protected readonly waiters = new Waiters<ServerMessage>();
  /** How the password proof and keys requests reach the server (lib/chat/client-requests.ts). */
  protected readonly requester: Requester = { waiters: this.waiters, send: (m) => this.sendRaw(m) };
  protected closing = false;
  protected reconnecting = false;

  constructor(protected readonly opts: ChatClientOptions) {
    super();
    this.server = `${opts.host}:${opts.port}`;
  }

  /** Runs the secure handshake (a new server's key is pinned only by the login's proof). Rejects ChatError: server_key_changed, timeout, server_gone. */
  async connect(): Promise<void> {
    this.closing = false;
    this.setState(this.reconnecting ? 'reconnecting' : 'connecting');
    const { link, known, pin } = await connectTrusted(this.opts);
    this.link = link;
    this.pinOnProof = known ? undefined : pin;
    this.serverFingerprint = link.fingerprint;
    const hello = this.waiters.wait((m) => m.t === 'hello', HANDSHAKE_TIMEOUT_MS);
    link.conn.on('message', (buf: Buffer) => this.onData(buf));
    link.conn.once('gone', (reason: string, detail: string) => this.onGone(link, reason, detail));
    const h = await hello as Extract<ServerMessage, { t: 'hello' }>;
    link.setResetToken(Buffer.from(h.reset, 'base64'));
    this.serverShare = Buffer.from(h.pake, 'base64');
  }

  /**
   * Proves the password by CPace (lib/chat/pake.ts), checks the server's proof, then pins a new server's key.
   * Rejects ChatError wrong_password (or a server that does not know it: nothing pinned) or rate_limited. May be called again.
   */
  async authenticate(password: string): Promise<void> {
    const link = this.link;
    if (!link || !this.serverShare) throw new ChatError('not_logged_in', 'not connected: call connect() first');
    await provePassword(this.requester, link, password, this.serverShare, (share) => (this.serverShare = share));
    this.verified = this.pinOnProof ? 'password' : 'pinned';
    await this.pinOnProof?.();
    this.pinOnProof = undefined;
    this.password = password;
  }

  /** A message (or a binary chunk) from the server. */
  protected abstract onData(buf: Buffer): void;

  /** The connection `link` was lost. */
  protected abstract onGone(link: SecureLink, reason: string, detail: string): void;

  /** Sends a message (or a binary file chunk); false when it could not be queued. */
  protected sendRaw(m: ClientMessage | Buffer, bulk = false): boolean {
    try {
      this.link?.conn.send(Buffer.isBuffer(m) ? m : encodeMessage(m), bulk);
      return this.link !== undefined;
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return false; // not_open: the reconnect loop resends what is pending.
    }
  }

  /** An 'error' event with no listener would throw (EventEmitter's rule); a headless user may not listen. */
  protected emitError(e: { code: ChatErrorCode; message: string }): void { if (this.listenerCount('error') > 0) this.emit('error', e); }

  protected setState(s: ClientState): void { if (this.state !== s) { this.state = s; this.emit('state', s); } }
}
