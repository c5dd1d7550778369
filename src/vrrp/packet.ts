// VRRP advertisement codec: VRRPv2 (RFC 3768 5.1) over IPv4 and VRRPv3 (RFC 5798 5.2, RFC 9568
// 5.2) over IPv4 and IPv6. Buffers are the VRRP message alone (the IP header is the socket's
// business). decodeAdvert never throws: every malformed input becomes a DropReason.
import { formatIp, ipToBytes } from '../net/address.js';
import { matchingVariant, vrrpChecksum, type ChecksumAddresses, type ChecksumVariant } from './checksum.js';
import type { DropReason } from './drop-reasons.js';

/** Type field value of an ADVERTISEMENT, the only VRRP packet type. */
export const VRRP_TYPE_ADVERTISEMENT = 1;
/** Version/Type, VRID, Priority, Count, then Auth Type/Adver Int (v2) or Rsvd/Max Adver Int (v3), Checksum. */
export const VRRP_HEADER_LENGTH = 8;
/** VRRPv2 Authentication Data (RFC 3768 5.3.10): two 32-bit words, zero with Auth Type 0. */
export const VRRP_V2_AUTH_DATA_LENGTH = 8;
/** VRRPv2 Auth Type (RFC 2338 5.3.6): 0 = none, 1 = simple text password (keepalived's PASS), 2 = IP AH. */
export const VRRP_V2_AUTH_NONE = 0;
export const VRRP_V2_AUTH_PASS = 1;
/** Largest VRRPv3 Max Adver Int: 12 bits of centiseconds (40.95 s). */
export const VRRP_V3_MAX_INTERVAL_CS = 0xfff;

interface AdvertCommon {
  /** Virtual Rtr ID (8 bits): 1-255. */
  vrid: number;
  /** Priority (8 bits): 255 = address owner, 1-254 = backups, 0 = the master is stopping. */
  priority: number;
  /**
   * IPvX Address(es): the virtual addresses, canonical text. Count IPvX Addrs (8 bits) is their
   * number; all are IPv4 (4 bytes each) or all IPv6 (16 bytes each), like the packet.
   */
  addresses: readonly string[];
}

/** RFC 3768 5.1. Version (4 bits) = 2, Type (4 bits) = 1. IPv4 only. */
export interface VrrpV2Advert extends AdvertCommon {
  version: 2;
  /** Auth Type (8 bits): 0 = none; 1 (simple text password) and 2 (AH) from RFC 2338, reserved since RFC 3768. */
  authType: number;
  /**
   * Authentication Data (8 bytes) when Auth Type is not 0: with Auth Type 1 the password, padded
   * with zeros (RFC 2338 5.3.10). Absent = eight zero bytes, as RFC 3768 sends.
   */
  authData?: Uint8Array;
  /** Adver Int (8 bits): seconds between adverts, 1-255. */
  advertIntervalSec: number;
}

/** RFC 5798 5.2 / RFC 9568 5.2. Version (4 bits) = 3, Type (4 bits) = 1, Rsvd (4 bits) = 0. */
export interface VrrpV3Advert extends AdvertCommon {
  version: 3;
  /** Max Adver Int (12 bits): centiseconds between adverts, 1-4095. */
  maxAdvertIntervalCs: number;
}

export type VrrpAdvert = VrrpV2Advert | VrrpV3Advert;

/** The advert's interval in milliseconds, whichever unit its version uses. */
export function advertIntervalMs(advert: VrrpAdvert): number {
  return advert.version === 2 ? advert.advertIntervalSec * 1000 : advert.maxAdvertIntervalCs * 10;
}

export type DecodeResult =
  | { ok: true; advert: VrrpAdvert; checksumVariant: ChecksumVariant }
  | { ok: false; reason: DropReason };

/**
 * Encodes an advert. Addresses in `addrs` are the IP packet's source and destination, which the
 * pseudo-header variants need. Throws RangeError on values that do not fit the wire format:
 * these come from our own settings, so they are programming errors, not traffic.
 */
export function encodeAdvert(advert: VrrpAdvert, variant: ChecksumVariant, addrs: ChecksumAddresses): Buffer {
  const addrLength = addrs.family === 4 ? 4 : 16;
  if (advert.version === 2 && addrs.family !== 4) throw new RangeError('VRRPv2 is IPv4 only');
  if (advert.addresses.length < 1 || advert.addresses.length > 255) throw new RangeError(`VRRP carries 1-255 addresses, not ${advert.addresses.length}`);
  checkByte('vrid', advert.vrid, 1);
  checkByte('priority', advert.priority, 0);
  const trailer = advert.version === 2 ? VRRP_V2_AUTH_DATA_LENGTH : 0;
  const buf = Buffer.alloc(VRRP_HEADER_LENGTH + advert.addresses.length * addrLength + trailer);
  buf[0] = (advert.version << 4) | VRRP_TYPE_ADVERTISEMENT;
  buf[1] = advert.vrid;
  buf[2] = advert.priority;
  buf[3] = advert.addresses.length;
  if (advert.version === 2) {
    checkByte('auth type', advert.authType, 0);
    checkByte('advert interval (s)', advert.advertIntervalSec, 1);
    buf[4] = advert.authType;
    buf[5] = advert.advertIntervalSec;
    if (advert.authData !== undefined) {
      if (advert.authData.length !== VRRP_V2_AUTH_DATA_LENGTH) throw new RangeError(`authentication data is ${advert.authData.length} bytes, not ${VRRP_V2_AUTH_DATA_LENGTH}`);
      buf.set(advert.authData, buf.length - VRRP_V2_AUTH_DATA_LENGTH);
    }
  } else {
    const cs = advert.maxAdvertIntervalCs;
    if (!Number.isInteger(cs) || cs < 1 || cs > VRRP_V3_MAX_INTERVAL_CS) throw new RangeError(`max advert interval ${cs} cs is outside 1-4095`);
    buf.writeUInt16BE(cs, 4);
  }
  advert.addresses.forEach((address, i) => {
    const bytes = ipToBytes(address);
    if (!bytes || bytes.length !== addrLength) throw new RangeError(`${address} is not an IPv${addrs.family} address`);
    buf.set(bytes, VRRP_HEADER_LENGTH + i * addrLength);
  });
  const sum = vrrpChecksum(buf, variant, addrs);
  if (sum === undefined) throw new RangeError(`cannot checksum with source ${addrs.src} and destination ${addrs.dst}`);
  buf.writeUInt16BE(sum, 6);
  return buf;
}

function checkByte(what: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > 255) throw new RangeError(`${what} ${value} is outside ${min}-255`);
}

/**
 * Decodes and validates one VRRP message received from `addrs.src` to `addrs.dst`. The checksum
 * is checked against every variant the version and family allow (see checksum.ts); the one that
 * matched is returned so callers can learn what each peer sends.
 */
export function decodeAdvert(buf: Uint8Array, addrs: ChecksumAddresses): DecodeResult {
  if (buf.length < VRRP_HEADER_LENGTH) return { ok: false, reason: 'too-short' };
  const b0 = buf[0] as number;
  const version = b0 >> 4;
  if (version !== 2 && version !== 3) return { ok: false, reason: 'bad-version' };
  if (version === 2 && addrs.family !== 4) return { ok: false, reason: 'bad-version' };
  if ((b0 & 0x0f) !== VRRP_TYPE_ADVERTISEMENT) return { ok: false, reason: 'bad-type' };
  const count = buf[3] as number;
  if (count === 0) return { ok: false, reason: 'bad-address-count' };
  const addrLength = addrs.family === 4 ? 4 : 16;
  const body = VRRP_HEADER_LENGTH + count * addrLength;
  // RFC 3768 requires the 8 bytes of Authentication Data; RFC 2338-era senders that omit them
  // with Auth Type 0 are still understood.
  const lengthOk = version === 2 ? buf.length === body + VRRP_V2_AUTH_DATA_LENGTH || buf.length === body : buf.length === body;
  if (!lengthOk) return { ok: false, reason: 'bad-length' };
  const interval = version === 2 ? (buf[5] as number) : (((buf[4] as number) & 0x0f) << 8) | (buf[5] as number);
  if (interval === 0) return { ok: false, reason: 'bad-interval' };

  const variant = matchingVariant(buf, version, addrs);
  if (variant === undefined) return { ok: false, reason: 'bad-checksum' };

  const addresses: string[] = [];
  for (let off = VRRP_HEADER_LENGTH; off < body; off += addrLength) addresses.push(formatIp(buf.subarray(off, off + addrLength)));
  const common = { vrid: buf[1] as number, priority: buf[2] as number, addresses };
  let advert: VrrpAdvert;
  if (version === 2) {
    const authType = buf[4] as number;
    advert = { version: 2, ...common, authType, advertIntervalSec: interval };
    // Only authenticated adverts carry data worth keeping; the short RFC 2338 form has none (zeros).
    if (authType !== VRRP_V2_AUTH_NONE) advert.authData = buf.length > body ? Uint8Array.from(buf.subarray(body)) : new Uint8Array(VRRP_V2_AUTH_DATA_LENGTH);
  } else {
    advert = { version: 3, ...common, maxAdvertIntervalCs: interval };
  }
  return { ok: true, advert, checksumVariant: variant };
}
