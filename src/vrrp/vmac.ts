// The VRRP virtual MAC (RFC 5798 sec. 7.3): 00-00-5E-00-01-{VRID} for IPv4 and 00-00-5E-00-02-{VRID}
// for IPv6. With use_vmac the master holds its VIPs on a macvlan with this address, so the
// VIPs' MAC stays the same across a failover and neighbours need no gratuitous ARP to follow it
// (switches still learn the new port from the master's adverts, which carry it as source).
import type { IpFamily } from '../net/address.js';

/** A macvlan an instance holds its VIPs on. */
export interface VmacSettings {
  /** The link's name: use_vmac's, or keepalived's vrrp.VRID / vrrp6.VRID. */
  name: string;
  /** "00:00:5e:00:01:33" */
  mac: string;
}

export function virtualMac(family: IpFamily, vrid: number): string {
  if (!Number.isInteger(vrid) || vrid < 1 || vrid > 255) throw new RangeError(`vrid ${vrid} is outside 1-255`);
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${vrid.toString(16).padStart(2, '0')}`;
}
