// The largest datagram worth probing towards a peer (docs/PROTOCOL.md "Larger datagrams"): the MTU of the
// local interface whose subnet holds the peer, less the IP and UDP headers, capped at
// LARGE_DATAGRAM_MAX_BYTES, so IP never has to fragment what we send. A peer on no local subnet (routed),
// or an interface whose MTU cannot be read (outside Linux), gets the base 1,200 bytes: nothing is probed.
import { readFileSync } from 'node:fs';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { LARGE_DATAGRAM_MAX_BYTES, MAX_DATAGRAM_BYTES } from '../constants.ts';

/** IPv4 header (20, no options) + UDP header (8); IPv6 header (40) + UDP (8), in bytes. */
const IPV4_UDP_OVERHEAD = 28;
const IPV6_UDP_OVERHEAD = 48;

export interface PathMtuSources {
  /** The host's interfaces (default os.networkInterfaces). */
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** An interface's MTU in bytes, or undefined when unknown (default: /sys/class/net/NAME/mtu). */
  mtuOf?: (name: string) => number | undefined;
}

function sysMtu(name: string): number | undefined {
  if (process.platform !== 'linux' || !/^[\w.:@-]+$/.test(name)) return undefined;
  try {
    const mtu = Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim());
    return Number.isInteger(mtu) && mtu > 0 ? mtu : undefined;
  } catch {
    return undefined;
  }
}

/** The host's own answers, per peer address, for PATH_CACHE_MS (a login storm asks once per login). */
const cache = new Map<string, { at: number; limit: number }>();
const PATH_CACHE_MS = 10_000;
const PATH_CACHE_MAX = 4_096;

/** Largest datagram to probe towards `peer` (an IP address), in bytes; MAX_DATAGRAM_BYTES when nothing should be. */
export function datagramLimitFor(peer: string, src?: PathMtuSources): number {
  if (src) return lookUp(peer, src);
  const now = performance.now();
  const hit = cache.get(peer);
  if (hit && now - hit.at < PATH_CACHE_MS) return hit.limit;
  if (cache.size >= PATH_CACHE_MAX) cache.clear();
  const limit = lookUp(peer, {});
  cache.set(peer, { at: now, limit });
  return limit;
}

function lookUp(peer: string, src: PathMtuSources): number {
  const ip = peer.startsWith('::ffff:') && isIPv4(peer.slice(7)) ? peer.slice(7) : peer;
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  if (!family) return MAX_DATAGRAM_BYTES;
  const all = (src.interfaces ?? networkInterfaces)();
  for (const [name, addrs] of Object.entries(all)) {
    for (const a of addrs ?? []) {
      if (a.family.toLowerCase() !== family || !a.cidr) continue;
      const [net, bits] = a.cidr.split('/');
      const subnet = new BlockList();
      try { subnet.addSubnet(net!, Number(bits), family); } catch { continue; }
      if (!subnet.check(ip, family)) continue;
      const mtu = (src.mtuOf ?? sysMtu)(name);
      if (mtu === undefined) return MAX_DATAGRAM_BYTES;
      const limit = mtu - (family === 'ipv4' ? IPV4_UDP_OVERHEAD : IPV6_UDP_OVERHEAD);
      return Math.max(MAX_DATAGRAM_BYTES, Math.min(LARGE_DATAGRAM_MAX_BYTES, limit));
    }
  }
  return MAX_DATAGRAM_BYTES;
}
