// The ground floor every subsystem may import: IP addresses as text and as bytes. Config values
// are canonicalized here once (IPv4 dotted quad, IPv6 per RFC 5952: lowercase, longest zero run
// compressed) so the rest of lvsd compares addresses as strings; the kernel encoders take their
// bytes from here too, so there is one parser and one formatter.

/** The one address family type; the YAML and messages spell it with familyName(). */
export type IpFamily = 4 | 6;

export interface ParsedIp {
  family: IpFamily;
  /** Canonical text form. */
  address: string;
}

export interface ParsedCidr extends ParsedIp {
  prefix: number;
}

/** The family as the YAML (`family: ipv4`), logs and /proc/sys/net paths spell it. */
export function familyName(family: IpFamily): 'ipv4' | 'ipv6' {
  return family === 4 ? 'ipv4' : 'ipv6';
}

/** The family of the YAML's word for it. */
export function familyFromName(name: 'ipv4' | 'ipv6'): IpFamily {
  return name === 'ipv4' ? 4 : 6;
}

/**
 * The family of an address already known to be one (canonical config values, kernel replies):
 * only IPv6 text has a colon. Text still to be validated goes through parseIp instead.
 */
export function familyOf(address: string): IpFamily {
  return address.includes(':') ? 6 : 4;
}

export function maxPrefix(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

/** Strict dotted quad: four decimal octets, no leading zeros (010 is octal to some parsers). */
function parseIpv4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

/** What parseIpv4Bytes accepts, recognized without building anything. */
function isDottedQuad(text: string): boolean {
  let dots = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0) return false;
      dots++;
      digits = 0;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // a leading zero
      value = value * 10 + (c - 0x30);
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return dots === 3 && digits > 0;
}

function parseIpv6Bytes(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4Bytes(part);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const explicit = head.length + tail.length;
  if (halves.length === 2 ? explicit > 7 : explicit !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (const [i, g] of groups.entries()) {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  }
  return bytes;
}

/** Network-order bytes of an address (4 or 16), or undefined when it is not one. */
export function ipToBytes(text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIpv6Bytes(text) : parseIpv4Bytes(text);
}

/**
 * Network-order bytes of an address for the kernel's encoders, of the given family when one is
 * named. Throws on anything else: by then addresses are canonical, so that is a caller's bug.
 */
export function addressBytes(text: string, family?: IpFamily): Buffer {
  const bytes = ipToBytes(text);
  if (!bytes || (family !== undefined && bytes.length !== (family === 4 ? 4 : 16))) throw new TypeError(`not an ${family ? `IPv${family}` : 'IP'} address: ${text}`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Canonical text of 4 or 16 network-order bytes (RFC 5952 for IPv6). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new TypeError(`an IP address has 4 or 16 bytes, got ${bytes.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // RFC 5952 4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** Parses an IPv4 or IPv6 address (no prefix, no zone) into its family and canonical text. */
export function parseIp(text: string): ParsedIp | undefined {
  // The strict dotted quad is its own canonical form; it is most of a large config's addresses.
  if (isDottedQuad(text)) return { family: 4, address: text };
  const bytes = ipToBytes(text);
  if (!bytes) return undefined;
  return { family: bytes.length === 4 ? 4 : 6, address: formatIp(bytes) };
}

/**
 * Parses "address/prefix". With `defaultHostPrefix`, a bare address is accepted as a host
 * route (/32 or /128), which is how VIPs are usually written.
 */
export function parseCidr(text: string, options: { defaultHostPrefix?: boolean } = {}): ParsedCidr | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  if (slash < 0) return options.defaultHostPrefix ? { ...ip, prefix: maxPrefix(ip.family) } : undefined;
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > maxPrefix(ip.family)) return undefined;
  return { ...ip, prefix };
}

/** Prefix length of a contiguous IPv4 netmask ("255.255.255.0" -> 24), undefined otherwise. */
export function netmaskToPrefix(mask: string): number | undefined {
  const bytes = parseIpv4Bytes(mask);
  if (!bytes) return undefined;
  const bits = Array.from(bytes, (b) => b.toString(2).padStart(8, '0')).join('');
  if (!/^1*0*$/.test(bits)) return undefined;
  return bits.replace(/0+$/, '').length;
}

/**
 * Address blocks that are not ordinary unicast: they cannot be floated, served or connected to
 * the way a VIP or real server is. IPv4 per RFC 1122 3.2.1.3 (0.0.0.0, 127/8), RFC 5771
 * (224/4), RFC 919 (255.255.255.255), RFC 3927 (169.254/16); IPv6 per RFC 4291 2.5.2-2.5.6 and
 * 2.7 (::, ::1, ::ffff:0:0/96, fe80::/10, ff00::/8).
 */
export type SpecialAddressKind = 'unspecified' | 'loopback' | 'multicast' | 'broadcast' | 'link-local' | 'ipv4-mapped';

function specialKindOfBytes(b: Uint8Array): SpecialAddressKind | undefined {
  const at = (i: number): number => b[i] ?? 0;
  if (b.length === 4) {
    if (b.every((x) => x === 0)) return 'unspecified';
    if (b.every((x) => x === 255)) return 'broadcast';
    if (at(0) === 127) return 'loopback';
    if ((at(0) & 0xf0) === 224) return 'multicast';
    if (at(0) === 169 && at(1) === 254) return 'link-local';
    return undefined;
  }
  if (at(0) === 0xff) return 'multicast';
  if (at(0) === 0xfe && (at(1) & 0xc0) === 0x80) return 'link-local';
  if (b.subarray(0, 10).some((x) => x !== 0)) return undefined;
  if (at(10) === 0xff && at(11) === 0xff) return 'ipv4-mapped';
  if (at(10) !== 0 || at(11) !== 0 || at(12) !== 0 || at(13) !== 0 || at(14) !== 0) return undefined;
  if (at(15) === 0) return 'unspecified';
  return at(15) === 1 ? 'loopback' : undefined;
}

/**
 * True when the text, if it is an address at all, is an ordinary one, judged from its first
 * characters without parsing: an IPv4 first octet outside 0, 127, 169, 224-239 and 255, or an
 * IPv6 first group that starts with 1-9 or a-e (so it is neither 0 nor ffxx nor fe80-febf).
 * The loader checks every VIP and real server address; at 10,000 services the full parse of
 * each would cost more than all the other address rules together.
 */
function surelyOrdinary(address: string): boolean {
  const c = address.charCodeAt(0) | 0x20; // ASCII lowercase; digits are unchanged
  if (familyOf(address) === 6) return (c >= 0x31 && c <= 0x39) || (c >= 0x61 && c <= 0x65);
  const first = parseInt(address, 10);
  return !(first === 0 || first === 127 || first === 169 || first === 255 || (first >= 224 && first <= 239));
}

/** What kind of special address this is, or undefined for an ordinary unicast one (or not an address). */
export function specialAddressKind(address: string): SpecialAddressKind | undefined {
  if (surelyOrdinary(address)) return undefined;
  const bytes = ipToBytes(address);
  return bytes && specialKindOfBytes(bytes);
}

/** True for fe80::/10, the only IPv6 source VRRPv3 adverts may use (RFC 5798 5.1.2.1). */
export function isIpv6LinkLocal(address: string): boolean {
  return familyOf(address) === 6 && specialAddressKind(address) === 'link-local';
}

/** The IPv4 address inside an IPv4-mapped IPv6 one (::ffff:198.18.0.1), undefined otherwise. */
export function mappedIpv4(address: string): string | undefined {
  const bytes = parseIpv6Bytes(address);
  if (!bytes || specialKindOfBytes(bytes) !== 'ipv4-mapped') return undefined;
  return formatIp(bytes.subarray(12));
}

/**
 * True when an IPv4 address is the directed broadcast of its own prefix (all host bits set,
 * RFC 919). /31 (RFC 3021) and /32 have no broadcast address; IPv6 has none at all.
 */
export function isSubnetBroadcast(address: string, prefix: number): boolean {
  const bytes = parseIpv4Bytes(address);
  if (!bytes || prefix > 30) return false;
  const value = (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
  const hostBits = 2 ** (32 - prefix) - 1;
  return value % (hostBits + 1) === hostBits;
}

/** An address and a port: a real server, a listener, either end of a connection. */
export interface Endpoint {
  address: string;
  port: number;
}

/**
 * "198.18.0.1:80" or "[2001:2::1]:80": how operators read and write an endpoint, and the key it
 * is found by in maps (addresses are canonical, so equal endpoints give equal text).
 */
export function hostPort(e: Endpoint): string {
  return familyOf(e.address) === 6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

export interface HostPort extends Endpoint {
  family: IpFamily;
}

/** Parses "198.18.0.1:9810" or "[2001:2::1]:9810" into canonical address and port (1-65535). */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const host = m[1] ?? m[2] ?? '';
  const ip = parseIp(host);
  const port = Number(m[3]);
  if (!ip || port < 1 || port > 65535) return undefined;
  // A bare IPv6 address must be bracketed, an IPv4 one must not.
  if ((ip.family === 6) !== (m[1] !== undefined)) return undefined;
  return { ...ip, port };
}
