// The ICMP echo transport of the health checks' ping: one raw ICMP (IPv4) or ICMPv6 (IPv6)
// socket, unbound, that receives only echo replies (a kernel filter drops every other type).
// It is the VRRP socket of the addon in its "echo" mode, so the one polled-socket lifecycle in
// native/vrrp_socket.cc serves both.
//
// Why a raw socket rather than an unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP): those
// need the process's group inside net.ipv4.ping_group_range, which is "1 0" (nobody) in every
// new network namespace and on hosts without systemd's sysctl default, so a check would depend
// on a sysctl lvsd does not own. lvsd already holds CAP_NET_RAW for VRRP.
import { fromSyscallError } from './errors.js';
import { native, type NativeVrrpSocket } from './native.js';
import { stripIpv4Header } from './vrrp-socket.js';
import type { IpFamily } from '../net/address.js';

const IPPROTO_ICMP = 1;

export interface IcmpSocketCounters {
  /** ICMP messages handed on. */
  received: number;
  /** IPv4 datagrams whose header was not well formed. */
  malformed: number;
}

/** Receives the ICMP message (IPv4 header removed) and the address it came from. */
export type IcmpMessageHandler = (message: Buffer, src: string) => void;

export class IcmpEchoSocket {
  readonly counters: IcmpSocketCounters = { received: 0, malformed: 0 };
  private readonly handle: NativeVrrpSocket;
  private readonly context: string;

  /**
   * @param source the source address of every request; "" lets the kernel choose by route.
   * Throws a KernelError (EPERM without CAP_NET_RAW) when the kernel refuses the socket.
   */
  constructor(
    private readonly family: IpFamily,
    source: string,
    private readonly onMessage: IcmpMessageHandler,
  ) {
    this.context = `ICMP${family === 6 ? 'v6' : ''} echo socket${source ? ` from ${source}` : ''}`;
    try {
      this.handle = new (native().VrrpSocket)(family, '', source, false, this.deliver, 'echo');
    } catch (err) {
      throw fromSyscallError(err, this.context);
    }
  }

  /** Sends one ICMP message (checksum included for IPv4; the kernel fills ICMPv6's). Throws a KernelError. */
  send(message: Buffer, dst: string): void {
    try {
      this.handle.send(message, dst);
    } catch (err) {
      throw fromSyscallError(err, this.context);
    }
  }

  /** Idempotent (so is the addon's), and safe from inside the message handler. */
  close(): void {
    this.handle.close();
  }

  private readonly deliver = (datagram: Buffer, src: string): void => {
    const message = this.family === 4 ? stripIpv4Header(datagram, IPPROTO_ICMP) : datagram;
    if (message === undefined) {
      this.counters.malformed++;
      return;
    }
    this.counters.received++;
    this.onMessage(message, src);
  };
}
