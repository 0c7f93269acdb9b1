// The address lookup of the server's UDP socket.
import { lookup } from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The socket's address lookup. Every address the server sends to is an IP literal taken from a datagram,
 * so it is passed straight through: dns.lookup would defer every send to the next tick. Names (never
 * expected) still go to dns.lookup.
 */
export function literalLookup(address: string, family: unknown, callback: LookupCallback): void {
  const ipFamily = isIP(address);
  if (ipFamily !== 0) return callback(null, address, ipFamily);
  lookup(address, family as number, callback);
}
