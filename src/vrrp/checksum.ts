// VRRP checksums. Every variant is the Internet checksum (RFC 1071) over the VRRP message with
// its checksum field zeroed; they differ only in which pseudo-header, if any, is summed first.
//   VRRPv2 (RFC 3768 5.3.8): the message alone.
//   VRRPv3 IPv6 (RFC 5798 5.2.8, unchanged in RFC 9568): the RFC 8200 8.1 pseudo-header.
//   VRRPv3 IPv4: RFC 5798 prepends the IPv4 pseudo-header; RFC 9568 5.2.8 drops it. keepalived
//   and FRR send the RFC 5798 form by default, so peers on one link may use either.
//   keepalived before 1.3.6 put 224.0.0.18 in the pseudo-header even for unicast adverts
//   (its `old_unicast_checksum` option still does), the third form lvsd accepts.
import { ipToBytes, type IpFamily } from '../net/address.js';

/** VRRP's IP protocol number (RFC 5798 5.1.1.4 / 5.1.2.4). */
export const IPPROTO_VRRP = 112;
export const VRRP_MULTICAST_IPV4 = '224.0.0.18';
export const VRRP_MULTICAST_IPV6 = 'ff02::12';

/**
 * Which bytes the checksum covers besides the VRRP message:
 * - `plain`: nothing else (VRRPv2; VRRPv3 over IPv4 per RFC 9568),
 * - `pseudo-header`: the IP pseudo-header with the packet's own source and destination
 *   (VRRPv3 over IPv6; VRRPv3 over IPv4 per RFC 5798),
 * - `pseudo-header-multicast`: the IPv4 pseudo-header with 224.0.0.18 as destination although
 *   the advert was unicast (keepalived < 1.3.6, or its `old_unicast_checksum`).
 */
export type ChecksumVariant = 'plain' | 'pseudo-header' | 'pseudo-header-multicast';

export interface ChecksumAddresses {
  family: IpFamily;
  /** Source address of the IP packet, canonical text. */
  src: string;
  /** Destination address of the IP packet, canonical text. */
  dst: string;
}

/** One's-complement sum of 16-bit big-endian words, folded later; an odd last byte is padded. */
function sumWords(bytes: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (i < end) sum += (bytes[i] as number) << 8;
  return sum;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * Sum of the pseudo-header: addresses, upper-layer length and next header/protocol. The IPv4
 * (RFC 768 style) and IPv6 (RFC 8200 8.1) layouts sum to the same words apart from the address
 * sizes, because zero padding does not change a one's-complement sum. Undefined when an address
 * does not parse for the family.
 */
function pseudoHeaderSum(family: IpFamily, src: string, dst: string, length: number): number | undefined {
  const s = ipToBytes(src);
  const d = ipToBytes(dst);
  const size = family === 4 ? 4 : 16;
  if (!s || !d || s.length !== size || d.length !== size) return undefined;
  let sum = sumWords(s, 0, size, 0);
  sum = sumWords(d, 0, size, sum);
  return sum + (length >>> 16) + (length & 0xffff) + IPPROTO_VRRP;
}

/**
 * The checksum to put in (or expect in) bytes 6-7 of `message`, computed as if those two bytes
 * were zero. Undefined when the variant needs addresses that do not parse.
 */
export function vrrpChecksum(message: Uint8Array, variant: ChecksumVariant, addrs: ChecksumAddresses): number | undefined {
  const extra = variantSum(message.length, variant, addrs);
  return extra === undefined ? undefined : finish(messageSum(message) + extra);
}

/**
 * Which variant the checksum in bytes 6-7 of `message` was computed with, trying those the
 * version and family allow, most common first; undefined when none matches.
 */
export function matchingVariant(message: Uint8Array, version: 2 | 3, addrs: ChecksumAddresses): ChecksumVariant | undefined {
  if (message.length < 8) return undefined;
  const received = ((message[6] as number) << 8) | (message[7] as number);
  const body = messageSum(message);
  return acceptedVariants(version, addrs).find((v) => {
    const extra = variantSum(message.length, v, addrs);
    return extra !== undefined && finish(body + extra) === received;
  });
}

function acceptedVariants(version: 2 | 3, addrs: ChecksumAddresses): readonly ChecksumVariant[] {
  if (version === 2) return ['plain'];
  if (addrs.family === 6) return ['pseudo-header'];
  if (addrs.dst === VRRP_MULTICAST_IPV4) return ['pseudo-header', 'plain'];
  return ['pseudo-header', 'plain', 'pseudo-header-multicast'];
}

/** Sum of the message with the checksum field taken as zero. */
function messageSum(message: Uint8Array): number {
  return sumWords(message, 8, message.length, sumWords(message, 0, Math.min(6, message.length), 0));
}

/** What the variant adds to the message's sum: nothing, or a pseudo-header. */
function variantSum(length: number, variant: ChecksumVariant, addrs: ChecksumAddresses): number | undefined {
  if (variant === 'plain') return 0;
  const dst = variant === 'pseudo-header-multicast' ? VRRP_MULTICAST_IPV4 : addrs.dst;
  return pseudoHeaderSum(addrs.family, addrs.src, dst, length);
}

function finish(sum: number): number {
  return ~fold(sum) & 0xffff;
}
