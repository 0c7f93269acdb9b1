// The server's UDP socket (lib/net/server-endpoint.ts): opened with large buffers on a host and port, and a
// failure to listen explained for people.
import dgram from 'node:dgram';
import { literalLookup } from './literal-lookup.ts';

/** The socket, usable at once, and its binding. */
export interface ServerSocket {
  socket: dgram.Socket;
  /** Resolves with the bound address (later errors go to `onError`); rejects with a message for people. */
  bound: Promise<{ host: string; port: number }>;
}

/**
 * Opens a UDP socket (udp6 for an IPv6 host) on host:port; every datagram goes to `onMessage`. `reuseAddr`
 * only on the discovery port, shared with discovery responders (lib/net/discovery-socket.ts).
 */
export function bindServerSocket(host: string, port: number, reuseAddr: boolean, onMessage: (msg: Buffer, rinfo: dgram.RemoteInfo) => void,
  onError: () => void): ServerSocket {
  const type = host.includes(':') ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup: literalLookup, reuseAddr });
  const bound = new Promise<{ host: string; port: number }>((resolve, reject) => {
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? `port ${port} is already in use — pick another with --port`
        : err.code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine`
        : err.code === 'EACCES' ? `not allowed to use port ${port} — pick one above 1024` : err.message;
      reject(new Error(`cannot listen on ${host}:${port}: ${why}`));
    });
    socket.on('message', onMessage);
    socket.bind(port, host, () => {
      socket.removeAllListeners('error');
      socket.on('error', onError);
      const a = socket.address();
      resolve({ host: a.address, port: a.port });
    });
  });
  return { socket, bound };
}
