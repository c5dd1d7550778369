// IP addresses as the kernel's wire bytes and back, for the netlink and link-layer encoders.
import { isIPv4, isIPv6 } from 'node:net';

/** 4 bytes of an IPv4 address. */
export function ipv4Bytes(ip: string): Buffer {
  if (!isIPv4(ip)) throw new TypeError(`not an IPv4 address: ${ip}`);
  return Buffer.from(ip.split('.').map(Number));
}

/** 16 bytes of an IPv6 address (no %scope suffix). */
export function ipv6Bytes(ip: string): Buffer {
  // node's isIPv6 accepts a %zone suffix, which has no place in the 16 bytes.
  if (!isIPv6(ip) || ip.includes('%')) throw new TypeError(`not an IPv6 address: ${ip}`);
  const [head = '', tail] = ip.split('::') as [string, string | undefined];
  // An embedded IPv4 tail (::ffff:198.18.0.1) stands for the last two groups.
  const groupsOf = (part: string): string[] =>
    part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? (ipv4Bytes(g).toString('hex').match(/.{4}/g) ?? []) : [g]));
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Bytes of either family, chosen by the address's form. */
export function ipBytes(ip: string): Buffer {
  return isIPv4(ip) ? ipv4Bytes(ip) : ipv6Bytes(ip);
}

/** Text form of 4 or 16 address bytes; IPv6 in RFC 5952 canonical form (longest zero run as ::). */
export function ipFromBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new TypeError(`an IP address has 4 or 16 bytes, got ${bytes.length}`);
  const groups = Array.from({ length: 8 }, (_, i) => (((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0)).toString(16));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  // RFC 5952 section 4.2.2: a single zero group is not shortened.
  if (bestLength < 2) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}
