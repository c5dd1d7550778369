// Which addresses can serve as what: the loader refuses a VIP, virtual service or real server
// address the kernel would take but that cannot work (a VIP of 0.0.0.0 or 224.0.0.18 is added
// without complaint and then answers nothing, or everything). One message per kind, shared by
// the VRRP and service rules.
import { isSubnetBroadcast, mappedIpv4, specialAddressKind, type SpecialAddressKind } from '../../net/address.js';

const KIND: Record<SpecialAddressKind, string> = {
  unspecified: 'the unspecified address',
  loopback: 'a loopback address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  'link-local': 'a link-local address',
  'ipv4-mapped': 'an IPv4-mapped IPv6 address',
};

export interface VirtualAddress {
  address: string;
  /** Known for VRRP VIPs; a virtual service address has none. */
  prefix?: number;
  /** Link-local VIPs only reach one link, so they are refused unless the operator says so. */
  allowLinkLocal: boolean;
}

/** Why this address cannot be a VIP or a virtual service address, or undefined when it can. */
export function virtualAddressProblem({ address, prefix, allowLinkLocal }: VirtualAddress, linkLocalHint: string): string | undefined {
  const kind = specialAddressKind(address);
  if (kind === 'link-local') {
    return allowLinkLocal ? undefined : `${address} is a link-local address, reachable from one link only; expected a routable address, or ${linkLocalHint}`;
  }
  if (kind === 'ipv4-mapped') return `${address} is ${KIND[kind]}, expected ${mappedIpv4(address) ?? 'the IPv4 address'} written as IPv4`;
  if (kind !== undefined) return `${address} is ${KIND[kind]}, expected a unicast address`;
  if (prefix !== undefined && isSubnetBroadcast(address, prefix)) {
    return `${address} is the broadcast address of its /${prefix} subnet, expected a host address (or a /31 or /32 prefix)`;
  }
  return undefined;
}

/** Why this address cannot be a real (or sorry) server, or undefined when it can. */
export function realServerProblem(address: string): string | undefined {
  const kind = specialAddressKind(address);
  if (kind === 'unspecified' || kind === 'multicast' || kind === 'broadcast') return `${address} is ${KIND[kind]}, expected the address of a backend`;
  return undefined;
}
