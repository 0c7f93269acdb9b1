// A UDP relay on 127.0.0.1 with a gate: while closed, datagrams from the clients are dropped, as if
// they could not reach the server (what the server sends still gets through). One upstream socket per
// client address, so the server sees each client as its own address (a reconnecting client gets a new
// one, like a real client would). It keeps the latest client datagrams and can send more as a client.
import dgram from 'node:dgram';

/** Client datagrams kept in `captured`. */
const CAPTURE_MAX = 1_000;

export class GateRelay {
  open = true;
  /** Datagrams from clients dropped while the gate was closed. */
  dropped = 0;
  /** The latest client datagrams (at most CAPTURE_MAX), with the client's address "ip:port". */
  readonly captured: Array<{ from: string; datagram: Buffer }> = [];
  private readonly front = dgram.createSocket('udp4');
  private readonly upstreams = new Map<string, dgram.Socket>();

  private constructor(private readonly serverPort: number) {
    this.front.on('message', (buf, from) => this.fromClient(buf, from.address, from.port));
    this.front.on('error', () => {}); // a client that went away: nothing to do
  }

  /** Starts a relay in front of 127.0.0.1:serverPort; resolves with it once bound. */
  static async start(serverPort: number): Promise<GateRelay> {
    const relay = new GateRelay(serverPort);
    await new Promise<void>((resolve) => relay.front.bind(0, '127.0.0.1', resolve));
    return relay;
  }

  /** The port clients should connect to. */
  get port(): number { return this.front.address().port; }

  private fromClient(buf: Buffer, ip: string, port: number): void {
    if (!this.open) { this.dropped++; return; }
    const key = `${ip}:${port}`;
    this.captured.push({ from: key, datagram: Buffer.from(buf) });
    if (this.captured.length > CAPTURE_MAX) this.captured.shift();
    let up = this.upstreams.get(key);
    if (!up) {
      up = dgram.createSocket('udp4');
      up.on('message', (back) => this.front.send(back, port, ip));
      // The server may be down: ICMP errors on the upstream socket are expected, not fatal.
      up.on('error', () => {});
      up.bind(0, '127.0.0.1');
      this.upstreams.set(key, up);
    }
    up.send(buf, this.serverPort, '127.0.0.1');
  }

  /** Sends `datagram` to the server from the upstream socket of client `from` ("ip:port"), as if that client sent it. */
  sendAs(from: string, datagram: Buffer): void {
    const up = this.upstreams.get(from);
    if (!up) throw new Error(`no client ${from} behind this relay`);
    up.send(datagram, this.serverPort, '127.0.0.1');
  }

  /** Closes every socket. */
  close(): void {
    for (const s of this.upstreams.values()) s.close();
    this.upstreams.clear();
    this.front.close();
  }
}
