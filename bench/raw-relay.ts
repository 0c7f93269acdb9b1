// The machine's limit for fan-out: a bare UDP relay with no session, no encryption, no acks and no
// history. It receives a datagram and sends a copy to every other registered address, one datagram
// per copy. The load generator drives it exactly as it drives the chat server.
//   'R'…  register the sender's address (answered with 'K')
//   'M'…  relay this datagram to every registered address except the sender's
//   'C'   forget every registered address
// Prints {"type":"listening","port":P,"pid":N} once; SIGTERM/SIGINT close it.
// Usage: node --import tsx bench/raw-relay.ts
import dgram from 'node:dgram';

/** Kernel buffer sizes, in bytes: the same as the chat server's socket (lib/net/server-endpoint.ts). */
const SOCKET_BUFFER_BYTES = 4 << 20;
/** Datagram kinds, first byte. */
export const RAW_REGISTER = 0x52; // 'R'
export const RAW_REGISTERED = 0x4b; // 'K'
export const RAW_MESSAGE = 0x4d; // 'M'
export const RAW_CLEAR = 0x43; // 'C'

interface Peer { address: string; port: number; key: string }

function main(): void {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
  let peers: Peer[] = [];
  const known = new Set<string>();
  let sendErrors = 0;
  const onSent = (err: Error | null): void => { if (err) sendErrors++; };
  socket.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    const kind = msg[0];
    if (kind === RAW_MESSAGE) {
      for (const p of peers) if (p.key !== key) socket.send(msg, p.port, p.address, onSent);
    } else if (kind === RAW_REGISTER) {
      if (!known.has(key)) {
        known.add(key);
        peers.push({ address: rinfo.address, port: rinfo.port, key });
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
