// A peer that speaks the wire protocol by hand, for tests (and the benchmark's attackers) that play a
// hostile client: handshakes it never finishes with a login, fragments it holds back, cookies it reuses.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { CONNECTION_ID_BYTES } from '../../lib/constants.ts';
import { decodePacket, encodeFrames, encodePacket, type Frame, type Packet } from '../../lib/wire.ts';
import { deriveSessionKeys, helloTranscript, makeEphemeral } from '../../lib/session/keys.ts';
import { PacketOpener, PacketSealer } from '../../lib/session/protector.ts';
import type { RsaKeyPair } from '../../lib/keyfile.ts';
import type { Connection } from '../../lib/net/connection.ts';
import { ServerEndpoint } from '../../lib/net/server-endpoint.ts';
import type { AdmissionLimits } from '../../lib/net/admission.ts';

/** One handshake's outcome: a session, or the RETRY that refused it (with the cookie it carried). */
export type Outcome =
  | { ok: true; connId: Buffer; clientPub: Buffer; cookie: Buffer; sealer: PacketSealer; opener: PacketOpener }
  | { ok: false; connId: Buffer; clientPub: Buffer; cookie: Buffer; why: 'retry' | 'timeout' };

type Listener = (p: Packet, raw: Buffer) => void;

export class RawPeer {
  /** Every packet received, by type. */
  readonly received: Record<string, number> = {};
  private readonly listeners = new Map<string, Listener>();

  private constructor(readonly socket: dgram.Socket, readonly host: string, readonly port: number) {
    socket.on('message', (buf) => {
      let p: Packet;
      try { p = decodePacket(buf); } catch { return; }
      this.received[p.type] = (this.received[p.type] ?? 0) + 1;
      this.listeners.get(p.connId.toString('hex'))?.(p, buf);
    });
    socket.on('error', () => {});
  }

  /** A socket bound to `bindHost` (default 127.0.0.1), talking to the server at host:port. */
  static async open(port: number, host = '127.0.0.1', bindHost = '127.0.0.1'): Promise<RawPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, bindHost, resolve));
    return new RawPeer(socket, host, port);
  }

  send(d: Buffer): void { this.socket.send(d, this.port, this.host); }

  /** Calls `fn` for every packet of this connection id (replacing an earlier listener). */
  on(connId: Buffer, fn: Listener): void { this.listeners.set(connId.toString('hex'), fn); }

  hello(connId: Buffer, clientPub: Buffer, cookie: Buffer = Buffer.alloc(0)): void {
    this.send(encodePacket({ type: 'hello', connId, pn: 0, clientPub, cookie }));
  }

  /** Waits for the next packet of `connId` matching `pred`, or undefined after `ms`. */
  next(connId: Buffer, pred: (p: Packet) => boolean, ms: number): Promise<Packet | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.listeners.delete(connId.toString('hex')); resolve(undefined); }, ms);
      this.on(connId, (p) => { if (!pred(p)) return; clearTimeout(timer); this.listeners.delete(connId.toString('hex')); resolve(p); });
    });
  }

  /**
   * HELLO, RETRY, HELLO with the cookie, then SERVER_HELLO (a session) or a RETRY (refused). `cookie` skips
   * the first round trip (a cookie reused on purpose); `connId` picks the id.
   */
  async handshake(o: { connId?: Buffer; cookie?: Buffer | undefined; ms?: number; eph?: ReturnType<typeof makeEphemeral> } = {}): Promise<Outcome> {
    const connId = o.connId ?? randomBytes(CONNECTION_ID_BYTES);
    const eph = o.eph ?? makeEphemeral();
    const ms = o.ms ?? 3_000;
    let cookie: Buffer | undefined = o.cookie;
    if (!cookie) {
      const retry = this.next(connId, (p) => p.type === 'retry', ms);
      this.hello(connId, eph.publicRaw);
      const r = await retry;
      if (r?.type !== 'retry') return { ok: false, connId, clientPub: eph.publicRaw, cookie: Buffer.alloc(0), why: 'timeout' };
      cookie = Buffer.from(r.cookie);
    }
    const answer = this.next(connId, (p) => p.type === 'retry' || p.type === 'server_hello', ms);
    this.hello(connId, eph.publicRaw, cookie);
    const a = await answer;
    if (a?.type !== 'server_hello') return { ok: false, connId, clientPub: eph.publicRaw, cookie, why: a ? 'retry' : 'timeout' };
    const transcript = helloTranscript(connId, eph.publicRaw, a.serverPub, a.serverKey);
    const keys = deriveSessionKeys(eph.privateKey, a.serverPub, transcript);
    return {
      ok: true, connId, clientPub: eph.publicRaw, cookie,
      sealer: new PacketSealer(keys.clientToServer, connId), opener: new PacketOpener(keys.serverToClient, connId),
    };
  }

  /** Seals `frames` into one datagram of session `s` and sends it. */
  sendFrames(s: Extract<Outcome, { ok: true }>, frames: Frame[]): void {
    this.send(s.sealer.seal(encodeFrames(frames)));
  }

  close(): void { try { this.socket.close(); } catch { /* closed */ } }
}

/**
 * A ServerEndpoint on 127.0.0.1 (port 0) whose deadlines follow `now`, and a RawPeer aimed at it; both are
 * pushed on `open` for the test to close. `conns` collects the connections the endpoint announces.
 */
export async function endpointWithPeer(identity: RsaKeyPair, now: () => number, open: Array<{ close(): unknown }>,
  admission: Partial<AdmissionLimits> = {}): Promise<{ ep: ServerEndpoint; peer: RawPeer; conns: Connection[] }> {
  const ep = new ServerEndpoint({ identity, now, admission });
  const conns: Connection[] = [];
  ep.on('connection', (c: Connection) => conns.push(c));
  const { port } = await ep.bind('127.0.0.1', 0);
  const peer = await RawPeer.open(port);
  open.push(peer, ep);
  return { ep, peer, conns };
}
