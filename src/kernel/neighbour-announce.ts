// Announcing that an address moved to us: gratuitous ARP for IPv4 and unsolicited neighbour
// advertisements for IPv6, sent by a new VRRP master so that hosts and switches on the link
// update their caches at once instead of after their entries time out.
import { networkInterfaces } from 'node:os';
import { fromSyscallError } from './errors.js';
import { addressBytes } from '../net/address.js';
import { native } from './native.js';
import { interfaceSysctl, readSysctl } from './sysctl.js';

const ETHERTYPE_ARP = 0x0806;
const ARP_HTYPE_ETHERNET = 1;
const ARP_PTYPE_IPV4 = 0x0800;
const ARP_OP_REQUEST = 1;
/** Minimum Ethernet frame without the FCS; shorter frames are padded with zeros. */
const ETHERNET_MIN_FRAME = 60;

const ICMPV6_NEIGHBOUR_ADVERTISEMENT = 136;
const NA_FLAG_ROUTER = 0x80;
const NA_FLAG_OVERRIDE = 0x20;
const ND_OPTION_TARGET_LINK_LAYER_ADDRESS = 2;
const ALL_NODES = 'ff02::1';

/** A MAC as "aa:bb:cc:dd:ee:ff" or 6 bytes. */
export type MacAddress = string | Buffer;

export function parseMac(mac: MacAddress): Buffer {
  if (Buffer.isBuffer(mac)) {
    if (mac.length !== 6) throw new TypeError(`a MAC address has 6 bytes, got ${mac.length}`);
    return mac;
  }
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new TypeError(`not a MAC address: ${mac}`);
  return Buffer.from(mac.replace(/:/g, ''), 'hex');
}

/**
 * A gratuitous ARP in the request form (RFC 5227 section 3 "ARP Announcement"): broadcast, opcode
 * request, sender and target protocol address both the announced address, target hardware address
 * zero. The request form is used because every ARP implementation processes requests, while some
 * ignore unsolicited replies; Linux updates an existing cache entry from either, and keepalived
 * sends requests too.
 */
export function buildGratuitousArp(mac: MacAddress, ipv4: string): Buffer {
  const sender = parseMac(mac);
  const ip = addressBytes(ipv4, 4);
  const frame = Buffer.alloc(ETHERNET_MIN_FRAME);
  frame.fill(0xff, 0, 6); // Ethernet destination: broadcast
  sender.copy(frame, 6); // Ethernet source
  frame.writeUInt16BE(ETHERTYPE_ARP, 12);
  frame.writeUInt16BE(ARP_HTYPE_ETHERNET, 14);
  frame.writeUInt16BE(ARP_PTYPE_IPV4, 16);
  frame.writeUInt8(6, 18); // hardware address length
  frame.writeUInt8(4, 19); // protocol address length
  frame.writeUInt16BE(ARP_OP_REQUEST, 20);
  sender.copy(frame, 22); // sender hardware address
  ip.copy(frame, 28); // sender protocol address
  // 32..37: target hardware address, zero (RFC 5227: ignored, SHOULD be zero)
  ip.copy(frame, 38); // target protocol address = sender protocol address
  return frame;
}

export interface NeighbourAdvertisementOptions {
  /**
   * Router flag (RFC 4861 section 4.4): whether this node is a router. RFC 5798 section 6.4.2 has a
   * VRRP master set it because VRRP protects router addresses; an lvsd VIP is a service address,
   * and only a director that forwards (LVS-NAT, the clients' gateway) is a router. A host that
   * sees R=0 from an address it uses as default router drops it from its router list, so the
   * default follows the interface's IPv6 forwarding sysctl, as keepalived does.
   */
  router?: boolean;
}

/**
 * The ICMPv6 body of an unsolicited neighbour advertisement (RFC 4861 sections 4.4 and 7.2.6):
 * solicited flag clear, override flag set, target link-layer address option. The checksum is
 * left zero: the kernel fills it for ICMPv6 raw sockets.
 */
export function buildUnsolicitedNa(target: string, mac: MacAddress, router: boolean): Buffer {
  const msg = Buffer.alloc(32);
  msg.writeUInt8(ICMPV6_NEIGHBOUR_ADVERTISEMENT, 0);
  // 1: code 0; 2..3: checksum (kernel)
  // The solicited flag (0x40) stays clear: nobody asked.
  msg.writeUInt8((router ? NA_FLAG_ROUTER : 0) | NA_FLAG_OVERRIDE, 4);
  addressBytes(target, 6).copy(msg, 8);
  msg.writeUInt8(ND_OPTION_TARGET_LINK_LAYER_ADDRESS, 24);
  msg.writeUInt8(1, 25); // option length in units of 8 bytes
  parseMac(mac).copy(msg, 26);
  return msg;
}

/** Sends one gratuitous ARP for `ipv4` on `ifname`, from `mac` (default: the interface's own). */
export function sendGratuitousArp(ifname: string, ipv4: string, mac?: MacAddress): void {
  const n = native();
  try {
    n.sendFrame(ifname, buildGratuitousArp(mac ?? n.hardwareAddress(ifname), ipv4));
  } catch (err) {
    throw fromSyscallError(err, `gratuitous ARP for ${ipv4} on ${ifname}`);
  }
}

/** The interface's IPv6 link-local address, which RFC 4861 requires as the source of ND messages. */
function linkLocalAddress(ifname: string): string {
  const found = (networkInterfaces()[ifname] ?? []).find((a) => a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:'));
  if (!found) throw new Error(`${ifname} has no IPv6 link-local address to send neighbour advertisements from`);
  return found.address.split('%')[0] ?? found.address;
}

/** net.ipv6.conf.<ifname>.forwarding in the calling thread's network namespace; absent means IPv6 is off. */
function forwarding(ifname: string): boolean {
  const value = readSysctl(interfaceSysctl('ipv6', ifname, 'forwarding'));
  return value !== undefined && value !== '0';
}

/**
 * Sends one unsolicited neighbour advertisement for `ipv6` on `ifname` to all nodes (ff02::1),
 * hop limit 255, from the interface's link-local address, advertising `mac` (default: the
 * interface's own). The router flag defaults to the interface's forwarding setting.
 */
export function sendUnsolicitedNa(ifname: string, ipv6: string, mac?: MacAddress, opts: NeighbourAdvertisementOptions = {}): void {
  const n = native();
  try {
    const message = buildUnsolicitedNa(ipv6, mac ?? n.hardwareAddress(ifname), opts.router ?? forwarding(ifname));
    n.sendIcmp6(ifname, linkLocalAddress(ifname), ALL_NODES, message);
  } catch (err) {
    throw fromSyscallError(err, `unsolicited neighbour advertisement for ${ipv6} on ${ifname}`);
  }
}
