// The stateless start of the server's handshake (lib/net/server-endpoint.ts): a HELLO without a valid cookie
// gets a RETRY with one, never more bytes than its address sent until that address is validated
// (anti-amplification), and a HELLO refused for a limit gets its own cookie back.
import type { AmplificationGuard } from '../session/amplification.ts';
import { CookieJar } from '../session/cookie.ts';
import { encodePacket } from '../wire.ts';
import type { Hello } from './server-handshake.ts';

export class HelloCookies {
  readonly jar: CookieJar;

  /** `guard`: the endpoint's AmplificationGuard, read at each use (a test installs a smaller one). */
  constructor(now: number, private readonly guard: () => AmplificationGuard, private readonly sendTo: (buf: Buffer, ip: string, port: number) => void,
    private readonly count: (reason: string) => void) {
    this.jar = new CookieJar(now);
  }

  /** A HELLO of `size` bytes from `address`: true if its cookie is valid (the address is then validated), else it got a RETRY. */
  valid(p: Hello, size: number, address: string, ip: string, port: number, now: number): boolean {
    this.guard().received(address, size);
    if (p.cookie.length === 0 || !this.jar.verify(p.cookie, address, p.clientPub, p.connId, now)) {
      if (p.cookie.length > 0) this.count('bad_cookie');
      this.retry(p, address, ip, port, now);
      return false;
    }
    this.guard().validate(address);
    return true;
  }

  // The HELLO's own cookie is valid (checked): it goes back as it is, which saves making it again. Beyond the
  // newcomers' shared rate (a flood from many addresses) nothing is sent: the client resends on its timer
  // either way, and a flood loses the answer that paced it.
  refuse(reason: string, p: Hello, ip: string, port: number): void {
    this.count(reason);
    if (reason !== 'newcomer_rate') this.sendTo(encodePacket({ type: 'retry', connId: p.connId, pn: 0, cookie: p.cookie }), ip, port);
  }

  // A RETRY with the cookie for this address, client key and connection id (the same one within a slot,
  // so a client whose HELLO was refused for its rate sees its own cookie again and keeps its resend timer).
  private retry(p: Hello, address: string, ip: string, port: number, now: number): void {
    const retry = encodePacket({ type: 'retry', connId: p.connId, pn: 0, cookie: this.jar.make(address, p.clientPub, p.connId, now) });
    if (this.guard().trySend(address, retry.length)) this.sendTo(retry, ip, port);
    else this.count('amplification');
  }
}
