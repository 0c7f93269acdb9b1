// The client's secure handshake with its pinned-key store: asks on first contact, pins what the person
// trusted, and starts again when the answer came so late that the server may have given up.
import { connectSecure, type SecureLink } from '../net/client-endpoint.ts';
import { KnownServers } from '../history/room.ts';

/** A trust answer slower than this restarts the handshake, in ms (the server forgets a silent one after ~10 s). */
const TRUST_ANSWER_FRESH_MS = 3_000;

export interface TrustedConnectOptions {
  host: string;
  port: number;
  historyDir: string;
  /** Asked on first contact with a server; resolve true to trust (and pin) its key. Default: trust. */
  trust?: (fingerprint: string, server: string) => Promise<boolean>;
}

/** Runs the handshake against the key pinned for host:port. Rejects ChatError as connectSecure does. */
export async function connectTrusted(o: TrustedConnectOptions): Promise<SecureLink> {
  const server = `${o.host}:${o.port}`;
  const known = await KnownServers.open(o.historyDir);
  const trust = o.trust ?? (async () => true);
  let slowAnswer = false;
  const target = { host: o.host, port: o.port };
  const link = await connectSecure({
    ...target, pinned: known.get(server),
    trust: async (fp) => {
      const asked = Date.now();
      const ok = await trust(fp, server);
      if (ok) await known.pin(server, fp);
      slowAnswer = Date.now() - asked > TRUST_ANSWER_FRESH_MS;
      return ok;
    },
  });
  if (!slowAnswer) return link;
  // The person took a while to decide; the server may have given up on that handshake. The key is
  // pinned now, so a fresh handshake asks nothing.
  link.close();
  return connectSecure({ ...target, pinned: known.get(server), trust: async () => false });
}
