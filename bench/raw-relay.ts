// The machine's limit for fan-out: a bare UDP relay with no session, no encryption, no acks and no
// history. It receives a datagram and sends a copy to every other registered address, one datagram
// per copy; with --packed it packs up to PACK_MAX messages per datagram to each peer, as Obrolan's
// channel does (so the ratio against it is the cost of sealing, acks and history alone). The load
// generator drives it exactly as it drives the chat server.
//   'R'…  register the sender's address (answered with 'K')
//   'M'…  relay this datagram to every registered address except the sender's
//   'C'   forget every registered address
//   'P'…  (relay to peer, --packed) one or more messages, each a u16 big-endian length and its bytes
// Prints {"type":"listening","port":P,"pid":N} once; SIGTERM/SIGINT close it.
// Usage: node --import tsx bench/raw-relay.ts [--packed]
import dgram from 'node:dgram';

/** Kernel buffer sizes, in bytes: the same as the chat server's socket (lib/net/server-endpoint.ts). */
const SOCKET_BUFFER_BYTES = 4 << 20;
/** Datagram kinds, first byte. */
export const RAW_REGISTER = 0x52; // 'R'
export const RAW_REGISTERED = 0x4b; // 'K'
export const RAW_MESSAGE = 0x4d; // 'M'
export const RAW_CLEAR = 0x43; // 'C'
export const RAW_PACKED = 0x50; // 'P'
/** Messages per packed datagram at most: Obrolan's 131-byte records, 8 to a 1,200-byte datagram. */
export const PACK_MAX = 8;
/** A packed datagram's payload at most, in bytes (Obrolan's datagram size). */
const PACK_MAX_BYTES = 1_200;

interface Peer { address: string; port: number; key: string; queue: Buffer[]; bytes: number }

function main(): void {
  const packed = process.argv.includes('--packed');
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
  let peers: Peer[] = [];
  const known = new Set<string>();
  let sendErrors = 0;
  const onSent = (err: Error | null): void => { if (err) sendErrors++; };
  // Packed mode: what arrived in one event-loop turn leaves at its end, up to PACK_MAX messages a datagram.
  const waiting = new Set<Peer>();
  let flushQueued = false;
  const flushPeer = (p: Peer): void => {
    if (p.queue.length === 0) return;
    const out = Buffer.allocUnsafe(1 + p.bytes + 2 * p.queue.length);
    out[0] = RAW_PACKED;
    let at = 1;
    for (const m of p.queue) { out.writeUInt16BE(m.length, at); m.copy(out, at + 2); at += 2 + m.length; }
    p.queue = [];
    p.bytes = 0;
    socket.send(out, p.port, p.address, onSent);
  };
  const flushAll = (): void => { flushQueued = false; for (const p of waiting) flushPeer(p); waiting.clear(); };
  const enqueue = (p: Peer, m: Buffer): void => {
    if (p.queue.length >= PACK_MAX || 1 + p.bytes + 2 * (p.queue.length + 1) + m.length > PACK_MAX_BYTES) flushPeer(p);
    p.queue.push(m);
    p.bytes += m.length;
    waiting.add(p);
    if (!flushQueued) { flushQueued = true; setImmediate(flushAll); }
  };
  socket.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    const kind = msg[0];
    if (kind === RAW_MESSAGE) {
      if (packed) {
        const body = msg.subarray(1);
        for (const p of peers) if (p.key !== key) enqueue(p, body);
      } else {
        for (const p of peers) if (p.key !== key) socket.send(msg, p.port, p.address, onSent);
      }
    } else if (kind === RAW_REGISTER) {
      if (!known.has(key)) {
        known.add(key);
        peers.push({ address: rinfo.address, port: rinfo.port, key, queue: [], bytes: 0 });
      }
      socket.send(Buffer.from([RAW_REGISTERED]), rinfo.port, rinfo.address);
    } else if (kind === RAW_CLEAR) {
      peers = [];
      known.clear();
    }
  });
  socket.on('error', () => { sendErrors++; });
  socket.bind(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ type: 'listening', port: socket.address().port, pid: process.pid }) + '\n');
  });
  const stop = (): void => { socket.close(() => process.exit(0)); };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1]?.endsWith('raw-relay.ts')) main();
