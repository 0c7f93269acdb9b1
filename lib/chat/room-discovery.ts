// The room's side of "rooms on this LAN": binding the room socket when it shares the discovery port,
// and the responder that answers queries with the room's name, port, key and member count.
import { DISCOVERY_PORT } from '../constants.ts';
import { DiscoveryResponder, roomPortIsFree, type ResponderStatus } from '../net/discovery-socket.ts';
import type { ServerEndpoint } from '../net/server-endpoint.ts';

export interface RoomDiscoveryOptions { host: string; port: number; enabled: boolean }

/**
 * Opens the room socket. On the discovery port it shares the port with responders (reuseAddr), so it
 * first makes sure no other room holds it. Rejects with an Error whose message is for people.
 */
export async function bindRoomSocket(endpoint: ServerEndpoint, o: RoomDiscoveryOptions): Promise<{ host: string; port: number }> {
  const shared = o.port === DISCOVERY_PORT && o.enabled && !o.host.includes(':');
  if (shared && !(await roomPortIsFree(o.host, o.port))) {
    throw new Error(`cannot listen on ${o.host}:${o.port}: port ${o.port} is already in use — pick another with --port`);
  }
  return endpoint.bind(o.host, o.port, { reuseAddr: shared });
}

/** Starts answering discovery for a room listening on `host`:`roomPort` (IPv4 only); undefined when disabled. */
export async function startRoomResponder(
  o: RoomDiscoveryOptions & { roomPort: number; fingerprint: string; name: () => string; users: () => number },
  log: (line: string) => void,
): Promise<DiscoveryResponder | undefined> {
  if (!o.enabled || o.host.includes(':')) return undefined;
  const responder = new DiscoveryResponder({ roomPort: o.roomPort, roomHost: o.host, fingerprint: o.fingerprint, name: o.name, users: o.users });
  await responder.start((added, removed) => {
    log(`discovery: ${[...added.map((a) => `now answering on ${a}`), ...removed.map((r) => `no longer on ${r}`)].join(', ')}`);
  });
  return responder;
}

/** Where nothing answers (discovery off or not started). */
export const NO_DISCOVERY: ResponderStatus = { answering: [], failed: [] };
