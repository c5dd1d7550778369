// What the VRRP manager needs from the kernel, as one small interface: interface addresses and
// link state, the raw VRRP sockets, VIPs, neighbour announcements and a link watch. The real
// implementation below wires in src/netlink; unit tests pass a fake.
import { LinkWatch, Rtnl } from '../netlink/rtnl.js';
import { sendGratuitousArp, sendUnsolicitedNa } from '../netlink/neighbour-announce.js';
import { VrrpSocket, type VrrpPacketHandler, type VrrpSocketOptions } from '../netlink/vrrp-socket.js';
import type { InterfaceAddress } from '../vrrp/from-config.js';
import type { VipSpec } from '../vrrp/settings.js';

/** An open VRRP socket: what the runner sends through, plus close. */
export interface VrrpSocketHandle {
  send(payload: Buffer, dst: string): void;
  close(): void;
}

export interface VrrpKernel {
  /** Addresses on `ifname`; undefined when there is no such interface. */
  addresses(ifname: string): Promise<InterfaceAddress[] | undefined>;
  /** Whether `ifname` is up with carrier (IFF_RUNNING); undefined when there is no such interface. */
  linkRunning(ifname: string): Promise<boolean | undefined>;
  openSocket(opts: VrrpSocketOptions, onPacket: VrrpPacketHandler): VrrpSocketHandle;
  /** Idempotent; resolves true when the address was added, false when it was already there. */
  addVip(ifname: string, vip: VipSpec): Promise<boolean>;
  /** Idempotent; resolves true when the address was removed, false when it was not there. */
  removeVip(ifname: string, vip: VipSpec): Promise<boolean>;
  /** Gratuitous ARP (IPv4) or unsolicited NA (IPv6) for `address` on `ifname`. */
  announce(ifname: string, address: string): void;
  /** Calls `onChange` with every link's running state as the kernel reports changes. */
  watchLinks(onChange: (ifname: string, running: boolean) => void): { close(): void };
  close(): void;
}

/** The kernel of the namespace lvsd runs in. */
export class NetlinkVrrpKernel implements VrrpKernel {
  private rtnl: Rtnl | undefined;

  private get socket(): Rtnl {
    this.rtnl ??= Rtnl.open();
    return this.rtnl;
  }

  async addresses(ifname: string): Promise<InterfaceAddress[] | undefined> {
    const ifindex = await this.ifindex(ifname);
    if (ifindex === undefined) return undefined;
    const entries = await this.socket.addresses({ ifindex });
    return entries.map((e) => ({ family: e.family, address: e.address, tentative: e.tentative }));
  }

  async linkRunning(ifname: string): Promise<boolean | undefined> {
    try {
      return (await this.socket.linkByName(ifname)).running;
    } catch (err) {
      if (isNoDevice(err)) return undefined;
      throw err;
    }
  }

  openSocket(opts: VrrpSocketOptions, onPacket: VrrpPacketHandler): VrrpSocketHandle {
    return VrrpSocket.open(opts, onPacket);
  }

  async addVip(ifname: string, vip: VipSpec): Promise<boolean> {
    const ifindex = await this.requireIfindex(ifname);
    const result = await this.socket.addVip(
      { ifindex, address: vip.address, prefixLength: vip.prefix, ...(vip.label !== undefined ? { label: vip.label } : {}) },
      ifname,
    );
    return result === 'added';
  }

  async removeVip(ifname: string, vip: VipSpec): Promise<boolean> {
    const ifindex = await this.ifindex(ifname);
    // No interface, no address on it: nothing to remove.
    if (ifindex === undefined) return false;
    return (await this.socket.removeVip({ ifindex, address: vip.address, prefixLength: vip.prefix }, ifname)) === 'removed';
  }

  announce(ifname: string, address: string): void {
    if (address.includes(':')) sendUnsolicitedNa(ifname, address);
    else sendGratuitousArp(ifname, address);
  }

  watchLinks(onChange: (ifname: string, running: boolean) => void): { close(): void } {
    return LinkWatch.open((link, event) => onChange(link.ifname, event === 'changed' && link.running));
  }

  close(): void {
    this.rtnl?.close();
    this.rtnl = undefined;
  }

  private async ifindex(ifname: string): Promise<number | undefined> {
    try {
      return (await this.socket.linkByName(ifname)).ifindex;
    } catch (err) {
      if (isNoDevice(err)) return undefined;
      throw err;
    }
  }

  private async requireIfindex(ifname: string): Promise<number> {
    const ifindex = await this.ifindex(ifname);
    if (ifindex === undefined) throw new Error(`no interface ${ifname}`);
    return ifindex;
  }
}

function isNoDevice(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENODEV';
}
