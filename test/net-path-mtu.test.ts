// How large a datagram is worth probing towards a peer: the MTU of the local interface on the peer's subnet,
// less the IP and UDP headers, capped at 60 KiB; nothing (1,200) for a routed peer or an unknown MTU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NetworkInterfaceInfo } from 'node:os';
import { LARGE_DATAGRAM_MAX_BYTES, MAX_DATAGRAM_BYTES } from '../lib/constants.ts';
import { datagramLimitFor } from '../lib/net/path-mtu.ts';

const v4 = (address: string, cidr: string): NetworkInterfaceInfo => ({ address, netmask: '', family: 'IPv4', mac: '', internal: false, cidr });
const v6 = (address: string, cidr: string): NetworkInterfaceInfo => ({ address, netmask: '', family: 'IPv6', mac: '', internal: false, cidr, scopeid: 0 });
const host = {
  interfaces: () => ({ lo: [v4('127.0.0.1', '127.0.0.1/8'), v6('::1', '::1/128')], eth0: [v4('192.168.1.20', '192.168.1.20/24'), v6('fd00::20', 'fd00::20/64')], jumbo: [v4('10.9.0.2', '10.9.0.2/16')] }),
  mtuOf: (name: string) => ({ lo: 65_536, eth0: 1_500, jumbo: 9_000 } as Record<string, number>)[name],
};

test('loopback is capped at 60 KiB; an Ethernet LAN gets its MTU less 28 (IPv4) or 48 (IPv6) bytes; jumbo frames 8,972', () => {
  assert.is(datagramLimitFor('127.0.0.1', host), LARGE_DATAGRAM_MAX_BYTES);
  assert.is(datagramLimitFor('127.5.6.7', host), LARGE_DATAGRAM_MAX_BYTES);
  assert.is(datagramLimitFor('::1', host), LARGE_DATAGRAM_MAX_BYTES);
  assert.is(datagramLimitFor('192.168.1.77', host), 1_472);
  assert.is(datagramLimitFor('::ffff:192.168.1.77', host), 1_472, 'an IPv4-mapped address is its IPv4 address');
  assert.is(datagramLimitFor('fd00::99', host), 1_452);
  assert.is(datagramLimitFor('10.9.200.1', host), 8_972);
});

test('a routed peer, an interface of unknown MTU, a small MTU or a non-address: the base 1,200 bytes', () => {
  assert.is(datagramLimitFor('192.168.2.1', host), MAX_DATAGRAM_BYTES, 'another subnet');
  assert.is(datagramLimitFor('8.8.8.8', host), MAX_DATAGRAM_BYTES);
  assert.is(datagramLimitFor('192.168.1.77', { ...host, mtuOf: () => undefined }), MAX_DATAGRAM_BYTES, 'unknown MTU');
  assert.is(datagramLimitFor('192.168.1.77', { ...host, mtuOf: () => 1_000 }), MAX_DATAGRAM_BYTES, 'never below the base');
  assert.is(datagramLimitFor('server.local', host), MAX_DATAGRAM_BYTES);
});

test('on this machine, loopback reads its real MTU (Linux /sys/class/net) and gets large datagrams', () => {
  if (process.platform !== 'linux') { console.log('  SKIP: /sys/class/net is Linux only'); return; }
  assert.is(datagramLimitFor('127.0.0.1'), LARGE_DATAGRAM_MAX_BYTES);
});

test.run();
