// What the VRRP manager needs from the kernel, as one small interface: interface addresses and
// link state, the raw VRRP sockets, VIPs, neighbour announcements, a link watch and the macvlans
// of use_vmac. The real implementation below wires in src/kernel; unit tests pass a fake.
import { createMacvlan, deleteLink, setLinkProtocolSettings, setLinkUp, type Ipv4DevConf } from '../kernel/link-admin.js';
import { LinkWatch, Rtnl } from '../kernel/rtnl.js';
import { parseMac, sendGratuitousArp, sendUnsolicitedNa } from '../kernel/neighbour-announce.js';
import { interfaceSysctl, readSysctl, sysctlDisplayName } from '../kernel/sysctl.js';
import { VrrpSocket, type VrrpPacketHandler, type VrrpSocketOptions } from '../kernel/vrrp-socket.js';
import type { InterfaceAddress } from '../vrrp/from-config.js';
import type { VipSpec } from '../vrrp/settings.js';
import { familyOf, type IpFamily } from '../net/address.js';

/** An open VRRP socket: what the runner sends through, plus close. */
export interface VrrpSocketHandle {
  send(payload: Buffer, dst: string): void;
  close(): void;
}

/** The macvlan of an instance with use_vmac, as the kernel side handles it. */
export interface VmacLink {
  name: string;
  /** The instance's interface, which it sits on. */
  parent: string;
  /** The virtual MAC, "00:00:5e:00:01:33". */
  mac: string;
  family: IpFamily;
  /**
   * IPv6: the advert source (the parent's link-local address), put on the macvlan while it is
   * up. The kernel sends from a link-local source only through an interface that holds it
   * (ip6_datagram_send_ctl), and this keeps our identity in the tie-break what it was.
   */
  linkLocal?: string;
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
  /**
   * Creates the macvlan, down, with the sysctls it needs; a macvlan of that name left behind by a
   * previous run is deleted first. Throws when the name belongs to a link of another kind.
   * Resolves to warnings about the host's settings that would defeat it.
   */
  createVmac(link: VmacLink): Promise<string[]>;
  /** Up (with its link-local address for IPv6) or down. */
  setVmacUp(link: VmacLink, up: boolean): Promise<void>;
  /** Deletes the macvlan; false when there is none of that name (a link of another kind is never deleted). */
  removeVmac(link: VmacLink): Promise<boolean>;
  close(): void;
}

/** The parent's ARP sysctls lvsd changes (configureVmac4 says why). */
const PARENT_ARP: Partial<Record<Ipv4DevConf, number>> = { arp_ignore: 1, arp_announce: 2 };

/**
 * The parent's ARP sysctls as lvsd found them, and how many of our macvlans sit on it: they go
 * back when the last one is removed.
 */
interface ParentArp {
  ifindex: number;
  previous: Partial<Record<Ipv4DevConf, number>>;
  users: number;
}

/** The kernel of the namespace lvsd runs in. */
export class NetlinkVrrpKernel implements VrrpKernel {
  private rtnl: Rtnl | undefined;
  private readonly parentArp = new Map<string, ParentArp>();
  /** The macvlans this run created (a leftover of a previous run holds no parent setting of ours). */
  private readonly vmacs = new Set<string>();

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
    if (familyOf(address) === 6) sendUnsolicitedNa(ifname, address);
    else sendGratuitousArp(ifname, address);
  }

  watchLinks(onChange: (ifname: string, running: boolean) => void): { close(): void } {
    return LinkWatch.open((link, event) => onChange(link.ifname, event === 'changed' && link.running));
  }

  async createVmac(link: VmacLink): Promise<string[]> {
    const parent = await this.socket.linkByName(link.parent);
    await this.removeVmac(link);
    await createMacvlan({ name: link.name, parentIfindex: parent.ifindex, mac: parseMac(link.mac), mode: VMAC_MODE });
    this.vmacs.add(link.name);
    const ifindex = await this.requireIfindex(link.name);
    // No link-local address made out of the virtual MAC (RFC 5798 7.4 has adverts come from the
    // node's own link-local address, and it would differ per node): the parent's goes on instead
    // (setVmacUp). An IPv4 macvlan gets no IPv6 address at all, and a link without one sends no
    // router solicitation, MLD report or DAD probe from the virtual MAC on its own.
    await setLinkProtocolSettings(ifindex, { ipv6AddrGenMode: 'none' }, link.name);
    return link.family === 4 ? this.configureVmac4(link, ifindex, parent.ifindex) : [];
  }

  async setVmacUp(link: VmacLink, up: boolean): Promise<void> {
    const ifindex = await this.requireIfindex(link.name);
    await setLinkUp(ifindex, up, link.name);
    // Taking a link down flushes its IPv6 addresses, so the link-local one goes on at every up.
    if (up && link.linkLocal !== undefined) await this.socket.addVip({ ifindex, address: link.linkLocal, prefixLength: 64 }, link.name);
  }

  async removeVmac(link: VmacLink): Promise<boolean> {
    let found;
    try {
      found = await this.socket.linkByName(link.name);
    } catch (err) {
      if (isNoDevice(err)) return false;
      throw err;
    }
    if (found.kind !== 'macvlan') {
      throw new Error(`${link.name} exists and is not a macvlan (${found.kind ?? 'a physical interface'}): lvsd never deletes it, expected use_vmac: { name: ... } to name a free link`);
    }
    await deleteLink(found.ifindex, link.name);
    if (this.vmacs.delete(link.name) && link.family === 4) await this.releaseParentArp(link.parent);
    return true;
  }

  close(): void {
    this.rtnl?.close();
    this.rtnl = undefined;
  }

  /**
   * IPv4 settings (keepalived sets all but arp_announce, for the same reasons), over rtnetlink so
   * that a read-only /proc/sys (systemd's ProtectKernelTunables) does not stop them:
   *  - arp_ignore=1 on the macvlan and on the parent: answer ARP only for addresses of the
   *    interface the request came in on. A broadcast request reaches both links; by default each
   *    answers for every address of the host, so the parent would answer for the VIPs with its own
   *    MAC and the macvlan for the parent's address with the virtual MAC. (keepalived also sets
   *    arp_filter on the parent; with arp_ignore=1 on both links it changes nothing here.)
   *  - arp_announce=2 on both: an ARP request takes its sender address from the interface it
   *    leaves by. Replies from a VIP to a client leave by the parent (its subnet route is the
   *    older one); by default the parent's request for the client would name the VIP as sender
   *    with the parent's MAC, and the client would move the VIP to that MAC. Measured in
   *    test/netns/vrrp-vmac.test.ts: without it the client's entry for the VIP was the parent's MAC.
   *  - rp_filter=0 on the macvlan: traffic for the VIPs (and a peer's adverts) arrives on the
   *    macvlan while the route back goes through the parent, which strict reverse-path filtering
   *    (1) takes for spoofing. The kernel uses the larger of conf/all and the interface's value,
   *    so all.rp_filter=1 defeats this: reported, not changed (loose, 2, works).
   * accept_local (keepalived sets it too) is left alone: in private mode no frame of this host
   * comes back on the macvlan, so a local source there is a forgery and dropping it is right.
   */
  private async configureVmac4(link: VmacLink, ifindex: number, parentIfindex: number): Promise<string[]> {
    await setLinkProtocolSettings(ifindex, { ipv4: { ...PARENT_ARP, rp_filter: 0 } }, link.name);
    const held = this.parentArp.get(link.parent);
    if (held) held.users++;
    else {
      const previous: ParentArp['previous'] = {};
      for (const [name, value] of Object.entries(PARENT_ARP) as Array<[Ipv4DevConf, number]>) {
        const found = Number(readSysctl(interfaceSysctl('ipv4', link.parent, name)) ?? '0');
        if (found !== value) previous[name] = found;
      }
      await setLinkProtocolSettings(parentIfindex, { ipv4: PARENT_ARP }, link.parent);
      this.parentArp.set(link.parent, { ifindex: parentIfindex, previous, users: 1 });
    }
    const allRpFilter = 'net/ipv4/conf/all/rp_filter';
    if (readSysctl(allRpFilter) === '1') {
      return [`${sysctlDisplayName(allRpFilter)} is 1 (strict): traffic for the VIPs arriving on ${link.name} is dropped; set it to 0 or 2 (loose)`];
    }
    return [];
  }

  private async releaseParentArp(parent: string): Promise<void> {
    const held = this.parentArp.get(parent);
    if (!held || --held.users > 0) return;
    this.parentArp.delete(parent);
    if (Object.keys(held.previous).length === 0) return;
    try {
      await setLinkProtocolSettings(held.ifindex, { ipv4: held.previous }, parent);
    } catch {
      // The parent went away with its settings: nothing to restore.
    }
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

/**
 * Private mode (MACVLAN_MODE_PRIVATE), as keepalived: macvlans of one parent never pass frames to
 * each other. A pair usually runs several instances on one interface; in bridge mode each
 * macvlan's broadcasts (adverts, gratuitous ARPs) would reach the others on this host, from
 * addresses of this host. Private mode makes each one a NIC of its own on the wire.
 */
const VMAC_MODE = 'private';

function isNoDevice(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENODEV';
}
