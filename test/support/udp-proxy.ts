// A UDP relay between clients and a server on 127.0.0.1, for tests that watch or attack the wire.
// Each client address gets its own upstream socket, so the server sees one distinct address per client.
// Every relayed datagram is captured; a hook may drop or replace it; a test may inject datagrams from a
// client's own upstream socket (same source address as the live client) or from a fresh socket.
import dgram from 'node:dgram';

const HOST = '127.0.0.1';

/** 'up': client → server; 'down': server → client. */
export type Direction = 'up' | 'down';

/** One relayed datagram as it arrived at the proxy (before any hook changed it). */
export interface Captured { dir: Direction; client: string; data: Buffer; at: number }

/** Decides the fate of one datagram: undefined forwards it unchanged, null drops it, a Buffer is sent instead. */
export type ProxyHook = (d: { dir: Direction; client: string; data: Buffer }) => Buffer | null | undefined;

function bindSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  // ICMP port-unreachable (server restarting) surfaces as an error event; a relay just carries on.
  socket.on('error', () => {});
  return new Promise((resolve) => socket.bind(0, HOST, () => resolve(socket)));
}

// Resolves once the OS has taken the datagram; a socket closed meanwhile just drops it.
function send(socket: dgram.Socket, data: Buffer, port: number): Promise<void> {
  return new Promise((resolve) => {
    try { socket.send(data, port, HOST, () => resolve()); } catch { resolve(); }
  });
}

/** A plain socket on its own address, sending to one port and recording what comes back. */
export class RawPeer {
  readonly received: Buffer[] = [];
  bytesSent = 0;
  bytesReceived = 0;

  private constructor(private readonly socket: dgram.Socket, private readonly target: number) {
    socket.on('message', (msg) => {
      this.received.push(msg);
      this.bytesReceived += msg.length;
    });
  }

  /** Binds a fresh socket on 127.0.0.1 (a new source port) that sends to `targetPort`. */
  static async open(targetPort: number): Promise<RawPeer> {
    return new RawPeer(await bindSocket(), targetPort);
  }

  /** "127.0.0.1:PORT" this peer sends from. */
  get address(): string { return `${HOST}:${this.socket.address().port}`; }

  /** Sends one datagram; resolves once the OS has taken it. */
  async send(data: Buffer): Promise<void> {
    this.bytesSent += data.length;
    await send(this.socket, data, this.target);
  }

  close(): void {
    try { this.socket.close(); } catch { /* already closed */ }
  }
}

interface Upstream { socket: dgram.Socket; client: string; clientPort: number }

/** The relay. Clients connect to `port`; datagrams go on to the server at `serverPort`. */
export class UdpProxy {
  readonly captured: Captured[] = [];
  /** Set to false to stop recording (e.g. during a flood of injected datagrams). */
  capturing = true;
  hook: ProxyHook | undefined;
  private readonly upstreams = new Map<string, Upstream>();
  private readonly opening = new Map<string, Promise<Upstream>>();
  private closed = false;

  private constructor(private readonly front: dgram.Socket, readonly serverPort: number) {
    front.on('message', (msg, rinfo) => void this.fromClient(msg, rinfo.port));
  }

  /** Starts a relay on 127.0.0.1 (a free port) in front of the server at 127.0.0.1:`serverPort`. */
  static async start(serverPort: number): Promise<UdpProxy> {
    return new UdpProxy(await bindSocket(), serverPort);
  }

  /** The port clients should connect to. */
  get port(): number { return this.front.address().port; }

  /** Client addresses ("127.0.0.1:PORT") seen so far, in order of first datagram. */
  clients(): string[] { return [...this.upstreams.keys()]; }

  /** The address the server sees for `client` (its upstream socket). */
  upstreamAddress(client: string): string {
    const u = this.upstreams.get(client);
    if (!u) throw new Error(`no upstream for ${client}`);
    return `${HOST}:${u.socket.address().port}`;
  }

  /** Sends `data` to the server from `client`'s upstream socket: the server sees the client's own address. */
  async sendUp(client: string, data: Buffer): Promise<void> {
    const u = this.upstreams.get(client);
    if (!u) throw new Error(`no upstream for ${client}`);
    await send(u.socket, data, this.serverPort);
  }

  /** Sends `data` to `client` from the relay, as if the server had sent it. */
  async sendDown(client: string, data: Buffer): Promise<void> {
    const u = this.upstreams.get(client);
    if (!u) throw new Error(`no upstream for ${client}`);
    await send(this.front, data, u.clientPort);
  }

  /** A fresh socket (another source address) that sends straight to the server; close it when done. */
  freshPeer(): Promise<RawPeer> {
    return RawPeer.open(this.serverPort);
  }

  /** Closes every socket of the relay. */
  close(): void {
    this.closed = true;
    for (const s of [this.front, ...[...this.upstreams.values()].map((u) => u.socket)]) {
      try { s.close(); } catch { /* already closed */ }
    }
    this.upstreams.clear();
  }

  private async fromClient(msg: Buffer, clientPort: number): Promise<void> {
    const client = `${HOST}:${clientPort}`;
    const u = this.upstreams.get(client) ?? await this.openUpstream(client, clientPort);
    const out = this.pass('up', client, msg);
    if (out && !this.closed) await send(u.socket, out, this.serverPort);
  }

  // The first datagram of a client opens its upstream socket; later ones arriving meanwhile wait for it.
  private openUpstream(client: string, clientPort: number): Promise<Upstream> {
    let p = this.opening.get(client);
    if (!p) {
      p = bindSocket().then((socket) => {
        const u: Upstream = { socket, client, clientPort };
        if (this.closed) socket.close();
        else this.upstreams.set(client, u);
        socket.on('message', (m) => {
          const out = this.pass('down', client, m);
          if (out && !this.closed) void send(this.front, out, clientPort);
        });
        return u;
      });
      this.opening.set(client, p);
    }
    return p;
  }

  private pass(dir: Direction, client: string, data: Buffer): Buffer | null {
    if (this.capturing) this.captured.push({ dir, client, data: Buffer.from(data), at: Date.now() });
    const verdict = this.hook?.({ dir, client, data });
    return verdict === undefined ? data : verdict;
  }
}
