// What a raw IP socket tells about a datagram it received, beside the payload: the IP header
// facts RFC 5798 section 7.1 makes a VRRP receiver check. Declared here, on the ground floor,
// because the kernel socket that fills it (src/kernel/vrrp-socket.ts) and the pure VRRP receive
// path that checks it (src/vrrp/receiver.ts) must not import each other.
import type { IpFamily } from './address.js';

export interface DatagramInfo {
  family: IpFamily;
  /** Sender's address (for IPv6 usually its link-local address, without a %scope suffix). */
  src: string;
  /** Destination address of the datagram: 224.0.0.18 / ff02::12 or our unicast address. */
  dst: string;
  /** TTL (IPv4) or hop limit (IPv6) the datagram arrived with; RFC 5798 requires 255. -1 when the kernel did not say. */
  ttl: number;
  /** Arrival interface. */
  ifindex: number;
}
