// The address ranges tests may use (198.18.0.0/15, RFC 2544 benchmarking, and 2001:2::/48,
// RFC 5180) and whether an address falls in them. On a machine whose default route leads
// somewhere real, a packet to one of them from the host's own namespace leaves the machine: the
// guards (testnet-guard.ts, testnet-blackhole.ts) keep tests from doing that.
import { BlockList, isIP } from 'node:net';

export const TEST_NETS = [
  { prefix: '198.18.0.0/15', address: '198.18.0.0', length: 15, family: 'ipv4' },
  { prefix: '2001:2::/48', address: '2001:2::', length: 48, family: 'ipv6' },
] as const;

const testNets = new BlockList();
for (const n of TEST_NETS) testNets.addSubnet(n.address, n.length, n.family);

/** True for an address (IPv4, IPv6 or IPv4-mapped IPv6) inside the test ranges; false for anything else, names included. */
export function inTestNet(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  if (mapped !== undefined) return testNets.check(mapped, 'ipv4');
  return testNets.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}
