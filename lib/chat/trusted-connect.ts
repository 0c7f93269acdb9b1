// The client's secure handshake with its pinned-key store. A key pinned for host:port must match (else
// server_key_changed); a server seen for the first time is not asked about and not pinned here: the login
// pins its key once the server has proved it knows the room password (lib/chat/pake.ts), so a server that
// cannot prove it is never trusted.
import { connectSecure, type SecureLink } from '../net/client-endpoint.ts';
import { KnownServers } from '../history/room.ts';

export interface TrustedConnectOptions {
  host: string;
  port: number;
  historyDir: string;
}

/** A secure link, whether its key was pinned before, and how to pin it. */
export interface TrustedLink {
  link: SecureLink;
  /** True when host:port had this key pinned already. */
  known: boolean;
  /** Pins the link's key for host:port (call only after the server proved the password). */
  pin: () => Promise<void>;
}

/** Runs the handshake against the key pinned for host:port. Rejects ChatError as connectSecure does. */
export async function connectTrusted(o: TrustedConnectOptions): Promise<TrustedLink> {
  const server = `${o.host}:${o.port}`;
  const known = await KnownServers.open(o.historyDir);
  const pinned = known.get(server);
  // First contact: accepted for this session only; pinned after the password proof, or never.
  const link = await connectSecure({ host: o.host, port: o.port, pinned, trust: async () => true });
  return { link, known: pinned !== undefined, pin: () => known.pin(server, link.fingerprint) };
}
