// The stateless resets a server sends, and the connection ids whose reset token they revealed.
import { CONNECTION_ID_BYTES, RESET_REVEALED_MS } from '../constants.ts';
import { encodePacket } from '../wire.ts';
import { resetToken } from '../session/reset.ts';

/** Most stateless resets sent per second. */
const RESETS_PER_S = 200;

export class ResetSender {
  private budget = { second: 0, used: 0 };
  /** Connection ids (hex) whose token a RESET revealed, and until when they may not start a connection. */
  private readonly revealed = new Map<string, number>();

  /** `send` puts one datagram on the wire; `now` in ms. */
  constructor(
    private readonly resetKey: Buffer,
    private readonly now: () => number,
    private readonly send: (datagram: Buffer, ip: string, port: number) => void,
  ) {}

  /** The token of `connId`, handed to its client inside the session. */
  token(connId: Buffer): Buffer { return resetToken(this.resetKey, connId); }

  /**
   * Answers a sealed datagram of `size` bytes for an unknown connection id (e.g. we restarted) with a RESET
   * the client can verify: never larger than what came in, at most RESETS_PER_S. The id's token is then
   * known to whoever sent that datagram, so the id may not become a connection for RESET_REVEALED_MS.
   */
  answer(connId: Buffer, size: number, ip: string, port: number): void {
    const reset = encodePacket({ type: 'reset', connId, pn: 0, token: this.token(connId) });
    if (reset.length >= size) return;
    const now = this.now();
    const second = Math.floor(now / 1000);
    if (this.budget.second !== second) this.budget = { second, used: 0 };
    if (this.budget.used++ >= RESETS_PER_S) return;
    for (const [k, until] of this.revealed) { if (until > now) break; this.revealed.delete(k); }
    this.revealed.set(connId.toString('hex'), now + RESET_REVEALED_MS);
    this.send(reset, ip, port);
  }

  /** True while the id (hex) may not start a connection: its token was revealed. */
  wasRevealed(key: string): boolean { return (this.revealed.get(key) ?? 0) > this.now(); }

  /** A RESET for a connection of an earlier run (connId, "ip:port"), so its client reconnects at once. */
  restart(connId: Buffer, address: string): void {
    const i = address.lastIndexOf(':');
    const port = Number(address.slice(i + 1));
    if (connId.length !== CONNECTION_ID_BYTES || !Number.isInteger(port) || port < 1 || port > 65535) return;
    this.send(encodePacket({ type: 'reset', connId, pn: 0, token: this.token(connId) }), address.slice(0, i), port);
  }
}
