// The VRRP transport: one raw IP socket (protocol 112) per interface and address family, as the
// VRRP engine sees it. Receiving hands over the VRRP message with the IP header already removed,
// plus the facts RFC 5798 section 7.1 makes the receiver check (TTL/hop limit 255, arrival
// interface, addresses). Anything that is not a well-formed datagram is counted and dropped here,
// so the codec above only ever sees bytes that arrived as a VRRP payload.
import { fromSyscallError } from './errors.js';
import { native, type NativeVrrpSocket } from './native.js';
import type { IpFamily } from '../net/address.js';
import type { DatagramInfo } from '../net/datagram.js';

export interface VrrpSocketOptions {
  family: IpFamily;
  ifname: string;
  /** Our primary address on `ifname`, used as the source of every advert; link-local for IPv6. */
  source: string;
  /** Join 224.0.0.18 / ff02::12 on `ifname`. False for unicast-peer mode. */
  multicast: boolean;
}

export interface VrrpSocketCounters {
  /** Datagrams handed to onPacket. */
  received: number;
  sent: number;
  /** Datagrams dropped because they were not well-formed IP datagrams. */
  malformed: number;
  sendErrors: number;
}

export type VrrpPacketHandler = (payload: Buffer, info: DatagramInfo) => void;

const IPPROTO_VRRP = 112;
const IPV4_MIN_HEADER = 20;

/**
 * Validates the IPv4 header a raw IPv4 socket delivers and returns what follows it. Undefined
 * means malformed: wrong version, header length (IHL) out of range, a total length that does not
 * match the bytes received, or another protocol than `protocol` (default VRRP).
 */
export function stripIpv4Header(datagram: Buffer, protocol = IPPROTO_VRRP): Buffer | undefined {
  if (datagram.length < IPV4_MIN_HEADER) return undefined;
  const first = datagram[0] ?? 0;
  const version = first >> 4;
  const headerLength = (first & 0x0f) * 4;
  if (version !== 4 || headerLength < IPV4_MIN_HEADER || headerLength > datagram.length) return undefined;
  // Linux hands raw sockets the header as it arrived (tot_len in network order) and has already
  // trimmed link-layer padding; tot_len is still checked so a lying header cannot widen the payload.
  const totalLength = datagram.readUInt16BE(2);
  if (totalLength < headerLength || totalLength > datagram.length) return undefined;
  if (datagram[9] !== protocol) return undefined;
  return datagram.subarray(headerLength, totalLength);
}

export class VrrpSocket {
  readonly counters: VrrpSocketCounters = { received: 0, sent: 0, malformed: 0, sendErrors: 0 };
  private readonly family: IpFamily;
  private readonly context: string;
  private readonly handle: NativeVrrpSocket;
  private closed = false;

  private constructor(
    opts: VrrpSocketOptions,
    private readonly onPacket: VrrpPacketHandler,
  ) {
    this.family = opts.family;
    this.context = `VRRP IPv${opts.family} socket on ${opts.ifname}`;
    try {
      this.handle = new (native().VrrpSocket)(opts.family, opts.ifname, opts.source, opts.multicast, this.deliver);
    } catch (err) {
      throw fromSyscallError(err, this.context);
    }
  }

  /** Opens the socket; throws a KernelError naming the syscall and errno if the kernel refuses. */
  static open(opts: VrrpSocketOptions, onPacket: VrrpPacketHandler): VrrpSocket {
    return new VrrpSocket(opts, onPacket);
  }

  /** The interface index the socket is bound to. */
  get ifindex(): number {
    return this.handle.ifindex;
  }

  /** Sends one VRRP message to the multicast group or a unicast peer. Throws a KernelError on failure. */
  send(payload: Buffer, dst: string): void {
    try {
      this.handle.send(payload, dst);
      this.counters.sent++;
    } catch (err) {
      this.counters.sendErrors++;
      throw fromSyscallError(err, this.context);
    }
  }

  /** Stops receiving and releases the socket. Idempotent, and safe from inside onPacket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
  }

  /**
   * Called by the addon for every datagram. A field initialised before the constructor body
   * runs, so it can be handed to the addon there.
   */
  private readonly deliver = (datagram: Buffer, src: string, dst: string, ttl: number, ifindex: number): void => {
    const payload = this.family === 4 ? stripIpv4Header(datagram) : datagram;
    if (payload === undefined || payload.length === 0 || ttl < 0 || ifindex === 0) {
      this.counters.malformed++;
      return;
    }
    this.counters.received++;
    this.onPacket(payload, { family: this.family, src, dst, ttl, ifindex });
  };
}
