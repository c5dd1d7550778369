// Addresses and links over rtnetlink (netlink@0.3.0): adding and removing VIPs, listing
// addresses, looking links up, watching links go up and down for interface tracking, and
// watching addresses so a VIP removed behind our back is noticed.
//
// Every socket belongs to the network namespace that was current when it was opened; open them
// inside inNetns() (src/kernel/native.ts) to manage another namespace. Socket errors (ENOBUFS)
// are handled as rt-socket.ts says; the watches also re-sync after one (Watch below).
import { constants } from 'node:os';
import { FlagsNew, rt, type NetlinkMessage } from 'netlink';
import { KernelError, toKernelError } from './errors.js';
import { parseAttrs } from './attrs.js';
import { addressBytes, formatIp, parseIp, type IpFamily } from '../net/address.js';
import { RtSocket, warnSocketError, type RtSocketOptions } from './rt-socket.js';

const AF_INET = 2;
const AF_INET6 = 10;
const IFNAMSIZ = 16;
const ENODEV = constants.errno.ENODEV;

/** What the kernel reports about a network interface. */
export interface LinkState {
  ifindex: number;
  ifname: string;
  /** "aa:bb:cc:dd:ee:ff"; empty for links without a hardware address. */
  mac: string;
  mtu: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Operationally up (IFF_RUNNING, RFC 2863 operstate UP): up and with carrier. */
  running: boolean;
  /** Carrier present (IFF_LOWER_UP). */
  lowerUp: boolean;
  /** RFC 2863 operational state as the kernel names it (IF_OPER_*). */
  operstate: OperState;
  /** IFLA_INFO_KIND ("macvlan", "veth", "bridge"...); absent for links without one (physical NICs, lo). */
  kind?: string;
  /** IFLA_LINK: the link this one sits on (the parent of a macvlan or VLAN, a veth's peer). */
  parentIfindex?: number;
}

export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';
const OPER_STATES: readonly OperState[] = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

/** One address on one interface. */
export interface AddressEntry {
  family: IpFamily;
  address: string;
  prefixLength: number;
  ifindex: number;
  /** IPv4 label (e.g. "eth0:vip"); IPv6 addresses have none. */
  label?: string;
  /** Still undergoing duplicate address detection (IPv6), not yet usable. */
  tentative: boolean;
}

/** A VIP to put on or take off an interface. */
export interface Vip {
  /** Interface index (look it up with Rtnl.linkByName). */
  ifindex: number;
  address: string;
  /** Default 32 for IPv4, 128 for IPv6. */
  prefixLength?: number;
  /**
   * IPv4 only (the kernel keeps no labels for IPv6 addresses): the label `ip addr` shows, which
   * must be the interface name or start with "<ifname>:" and fit in 15 characters.
   */
  label?: string;
}

/** Adding reports whether the address was created or was already there (idempotent either way). */
export type VipAddResult = 'added' | 'already-present';
/** Removing reports whether the address was deleted or was not there (idempotent either way). */
export type VipRemoveResult = 'removed' | 'already-absent';

/** The family of a VIP about to be programmed; a VIP that is no address is refused before any request. */
function vipFamily(address: string): IpFamily {
  const ip = parseIp(address);
  if (!ip) throw new TypeError(`not an IP address: ${address}`);
  return ip.family;
}

function formatMac(bytes: Buffer | undefined): string {
  return bytes && bytes.length === 6 ? Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':') : '';
}

const IFLA_INFO_KIND = 1;

/** The kind named in IFLA_LINKINFO, without its NUL; undefined when absent or malformed. */
function linkKind(linkinfo: Buffer | undefined): string | undefined {
  if (!linkinfo) return undefined;
  try {
    const kind = parseAttrs(linkinfo).get(IFLA_INFO_KIND);
    return kind ? kind.toString('utf8').replace(/\0+$/, '') : undefined;
  } catch {
    return undefined;
  }
}

function linkStateOf(msg: rt.LinkMessage): LinkState {
  const flags = msg.data.flags ?? {};
  const kind = linkKind(msg.attrs.linkinfo);
  const parent = msg.attrs.link;
  return {
    ifindex: msg.data.index ?? 0,
    ifname: msg.attrs.ifname ?? '',
    mac: formatMac(msg.attrs.address),
    mtu: msg.attrs.mtu ?? 0,
    up: flags.up === true,
    running: flags.running === true,
    lowerUp: flags.lowerUp === true,
    operstate: OPER_STATES[msg.attrs.operstate ?? 0] ?? 'unknown',
    ...(kind !== undefined ? { kind } : {}),
    ...(parent && parent.length >= 4 ? { parentIfindex: parent.readUInt32LE(0) } : {}),
  };
}

function addressEntryOf(msg: rt.AddressMessage): AddressEntry | undefined {
  const family = msg.data.family === AF_INET ? 4 : msg.data.family === AF_INET6 ? 6 : undefined;
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS differs only on point-to-point links.
  const bytes = msg.attrs.local ?? msg.attrs.address;
  if (family === undefined || !bytes) return undefined;
  // IFA_FLAGS (u32) supersedes the u8 ifa_flags when present.
  const flags = msg.attrs.flags ?? msg.data.flags ?? {};
  return {
    family,
    address: formatIp(bytes),
    prefixLength: msg.data.prefixlen ?? 0,
    ifindex: msg.data.index ?? 0,
    ...(msg.attrs.label !== undefined ? { label: msg.attrs.label } : {}),
    tentative: flags.tentative === true,
  };
}

function validateLabel(vip: Vip, ifname: string | undefined): void {
  if (vip.label === undefined) return;
  if (vip.label.length >= IFNAMSIZ) throw new TypeError(`address label "${vip.label}" is longer than ${IFNAMSIZ - 1} characters`);
  if (ifname !== undefined && vip.label !== ifname && !vip.label.startsWith(`${ifname}:`)) {
    throw new TypeError(`address label "${vip.label}" must be "${ifname}" or start with "${ifname}:"`);
  }
}

/** A request/response rtnetlink socket. */
export class Rtnl {
  private constructor(private readonly socket: RtSocket) {}

  /** Opens the socket in the current network namespace (synchronous, so inNetns() works). */
  static open(opts: RtSocketOptions = {}): Rtnl {
    return new Rtnl(new RtSocket(opts));
  }

  close(): void {
    this.socket.close();
  }

  /** Throws KernelError ENODEV when there is no such link. */
  async linkByName(ifname: string): Promise<LinkState> {
    return this.oneLink(`link ${ifname}`, () => this.socket.request(() => this.socket.rt.getLink({}, { ifname })));
  }

  async linkByIndex(ifindex: number): Promise<LinkState> {
    return this.oneLink(`link #${ifindex}`, () => this.socket.request(() => this.socket.rt.getLink({ index: ifindex })));
  }

  async links(): Promise<LinkState[]> {
    return dumpLinks(this.socket);
  }

  /** Addresses, optionally only one family and/or one interface. */
  async addresses(filter: { family?: IpFamily; ifindex?: number } = {}): Promise<AddressEntry[]> {
    return (await dumpAddresses(this.socket, filter.family)).filter((a) => filter.ifindex === undefined || a.ifindex === filter.ifindex);
  }

  /**
   * Adds a VIP. IPv6 VIPs get IFA_F_NODAD: the address moves between nodes under VRRP's control,
   * so duplicate address detection would only hold it unusable (tentative) for a second or more
   * right when traffic should move. Adding an address that is already there is not an error.
   * `ifname`, when given, names the interface in errors and is what an IPv4 label must start with.
   */
  async addVip(vip: Vip, ifname?: string): Promise<VipAddResult> {
    validateLabel(vip, ifname);
    const family = vipFamily(vip.address);
    const operation = `add VIP ${vip.address}/${this.prefixOf(vip, family)} on ${ifname ?? `#${vip.ifindex}`}`;
    try {
      await this.socket.request(() => this.socket.rt.newAddress(this.header(vip, family), this.attributes(vip, family), { flags: FlagsNew.CREATE | FlagsNew.EXCL }));
      return 'added';
    } catch (err) {
      const e = toKernelError(err, operation);
      if (e instanceof KernelError && e.code === 'EEXIST') return 'already-present';
      throw e;
    }
  }

  /** Removes a VIP. Removing an address that is not there is not an error. */
  async removeVip(vip: Vip, ifname?: string): Promise<VipRemoveResult> {
    const family = vipFamily(vip.address);
    const operation = `remove VIP ${vip.address}/${this.prefixOf(vip, family)} from ${ifname ?? `#${vip.ifindex}`}`;
    try {
      await this.socket.request(() => this.socket.rt.delAddress(this.header(vip, family), this.attributes({ ...vip, label: undefined }, family)));
      return 'removed';
    } catch (err) {
      const e = toKernelError(err, operation);
      if (e instanceof KernelError && e.code === 'EADDRNOTAVAIL') return 'already-absent';
      throw e;
    }
  }

  private prefixOf(vip: Vip, family: IpFamily): number {
    return vip.prefixLength ?? (family === 4 ? 32 : 128);
  }

  private header(vip: Vip, family: IpFamily): rt.Address {
    return {
      family: family === 4 ? AF_INET : AF_INET6,
      prefixlen: this.prefixOf(vip, family),
      index: vip.ifindex,
      ...(family === 6 ? { flags: { nodad: true } } : {}),
    };
  }

  private attributes(vip: Vip, family: IpFamily): rt.AddressAttrs {
    const bytes = addressBytes(vip.address, family);
    if (family === 6) return { address: bytes, flags: { nodad: true } };
    return { local: bytes, address: bytes, ...(vip.label !== undefined ? { label: vip.label } : {}) };
  }

  private async oneLink(what: string, request: () => Promise<rt.LinkMessage[]>): Promise<LinkState> {
    let messages: rt.LinkMessage[];
    try {
      messages = await request();
    } catch (err) {
      throw toKernelError(err, what);
    }
    const first = messages[0];
    if (!first) throw new KernelError(`${what}: no such device (ENODEV)`, ENODEV, 'ENODEV', what);
    return linkStateOf(first);
  }
}

async function dumpLinks(socket: RtSocket): Promise<LinkState[]> {
  try {
    return (await socket.request(() => socket.rt.getLinks())).map(linkStateOf);
  } catch (err) {
    throw toKernelError(err, 'list links');
  }
}

async function dumpAddresses(socket: RtSocket, family?: IpFamily): Promise<AddressEntry[]> {
  const af = family === 4 ? AF_INET : family === 6 ? AF_INET6 : 0;
  let messages: rt.AddressMessage[];
  try {
    messages = await socket.request(() => socket.rt.getAddresses({ family: af }));
  } catch (err) {
    throw toKernelError(err, 'list addresses');
  }
  return messages.map(addressEntryOf).filter((a): a is AddressEntry => a !== undefined);
}

/** Receive buffer of a watch: room for a burst of a few hundred notifications (capped by net.core.rmem_max). */
const WATCH_RECV_BUFFER = 1024 * 1024;
/** Wait before dumping again when a re-sync dump itself failed (not by a socket error, which re-syncs anyway). */
const RESYNC_RETRY_MS = 1000;
/** How often a watch reads its socket's drop count (one getsockopt; see rt-socket.ts). */
const DROP_CHECK_MS = 1000;

/** What a watch needs to know about the objects it watches. */
interface WatchKind<T> {
  groups: ReadonlyArray<keyof typeof rt.MulticastGroups>;
  /** A notification's object and whether it says the object is gone; undefined for other messages. */
  parse(m: NetlinkMessage): { entry: T; removed: boolean } | undefined;
  key(entry: T): string;
  dump(socket: RtSocket): Promise<T[]>;
}

/**
 * A subscription to rtnetlink notifications that stays right when the kernel drops some (its
 * drop count moved, or a socket error said ENOBUFS): what the owner was told may be stale, so the
 * watch dumps the current objects, reports each as changed (the owner compares with what it
 * had), and reports as removed those it knew of that are gone. To know them from the start it
 * dumps once on open.
 */
class Watch<T> {
  private readonly socket: RtSocket;
  private readonly known = new Map<string, T>();
  private syncing = false;
  private syncAgain = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly dropCheck: NodeJS.Timeout;
  private drops = 0;

  constructor(
    private readonly kind: WatchKind<T>,
    private readonly onChange: (entry: T, removed: boolean) => void,
    opts: RtSocketOptions,
  ) {
    this.socket = new RtSocket({
      recvBufferSize: WATCH_RECV_BUFFER,
      ...opts,
      onError: (err) => {
        (opts.onError ?? warnSocketError)(err);
        void this.sync(true);
      },
    });
    for (const g of kind.groups) this.socket.rt.addMembership(g);
    this.dropCheck = setInterval(() => {
      const drops = this.socket.drops();
      if (drops === this.drops) return;
      const lost = drops - this.drops;
      this.drops = drops;
      this.socket.failed(Object.assign(new Error(`${lost} notifications dropped`), { code: 'ENOBUFS' }));
    }, DROP_CHECK_MS);
    this.dropCheck.unref();
    // The raw socket's messages keep their type, which tells RTM_DEL* from RTM_NEW*;
    // RtNetlinkSocket's parsed 'message' event drops it. Replies to our own dumps do not come here.
    this.socket.rt.socket.on('message', (messages: NetlinkMessage[]) => {
      for (const m of messages) {
        const event = kind.parse(m);
        if (!event) continue;
        const key = kind.key(event.entry);
        if (event.removed) this.known.delete(key);
        else this.known.set(key, event.entry);
        onChange(event.entry, event.removed);
      }
    });
    void this.sync(false);
  }

  /** Dumps the current objects; when `report`, tells the owner what the dump says changed. */
  private async sync(report: boolean): Promise<void> {
    if (this.syncing) {
      this.syncAgain ||= report;
      return;
    }
    this.syncing = true;
    try {
      const now = await this.kind.dump(this.socket);
      const gone = new Map(this.known);
      this.known.clear();
      for (const entry of now) {
        const key = this.kind.key(entry);
        gone.delete(key);
        this.known.set(key, entry);
        if (report) this.onChange(entry, false);
      }
      if (report) for (const entry of gone.values()) this.onChange(entry, true);
    } catch {
      // A socket error during the dump re-syncs by itself; anything else (a timeout) retries.
      if (!this.syncAgain && !this.retry) {
        this.retry = setTimeout(() => {
          this.retry = undefined;
          void this.sync(true);
        }, RESYNC_RETRY_MS);
        this.retry.unref();
      }
    } finally {
      this.syncing = false;
    }
    if (this.syncAgain) {
      this.syncAgain = false;
      await this.sync(true);
    }
  }

  close(): void {
    clearInterval(this.dropCheck);
    if (this.retry) clearTimeout(this.retry);
    this.socket.close();
  }
}

export type LinkEvent = 'changed' | 'removed';

/**
 * Watches links (RTNLGRP_LINK) for interface tracking: every RTM_NEWLINK / RTM_DELLINK the kernel
 * multicasts calls `onChange`. The kernel also sends RTM_NEWLINK for changes the tracker does not
 * care about (e.g. promiscuity); compare with the previous LinkState to see what changed.
 */
export class LinkWatch {
  private constructor(private readonly watch: Watch<LinkState>) {}

  /**
   * Subscribes in the current network namespace (synchronous, so inNetns() works). After a socket
   * error every link is reported again ('changed') and links that went meanwhile as 'removed'.
   */
  static open(onChange: (link: LinkState, event: LinkEvent) => void, opts: RtSocketOptions = {}): LinkWatch {
    const kind: WatchKind<LinkState> = {
      groups: ['LINK'],
      parse: (m) =>
        m.type === rt.MessageType.NEWLINK || m.type === rt.MessageType.DELLINK
          ? { entry: linkStateOf(rt.parseLinkMessage(m.data)), removed: m.type === rt.MessageType.DELLINK }
          : undefined,
      key: (l) => String(l.ifindex),
      dump: dumpLinks,
    };
    return new LinkWatch(new Watch(kind, (link, removed) => onChange(link, removed ? 'removed' : 'changed'), opts));
  }

  close(): void {
    this.watch.close();
  }
}

export type AddressEvent = 'added' | 'removed';

/**
 * Watches IPv4 and IPv6 addresses (RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR), so a VIP that
 * someone deletes behind the daemon's back (`ip addr del`, a network manager) is noticed and put
 * back instead of silently black-holing traffic. IPv6 addresses also report here when they leave
 * the tentative state.
 */
export class AddressWatch {
  private constructor(private readonly watch: Watch<AddressEntry>) {}

  /**
   * Subscribes in the current network namespace (synchronous, so inNetns() works). After a socket
   * error every address is reported again ('added') and addresses that went meanwhile as 'removed'.
   */
  static open(onChange: (address: AddressEntry, event: AddressEvent) => void, opts: RtSocketOptions = {}): AddressWatch {
    const kind: WatchKind<AddressEntry> = {
      groups: ['IPV4_IFADDR', 'IPV6_IFADDR'],
      parse: (m) => {
        if (m.type !== rt.MessageType.NEWADDR && m.type !== rt.MessageType.DELADDR) return undefined;
        const entry = addressEntryOf(rt.parseAddressMessage(m.data));
        return entry ? { entry, removed: m.type === rt.MessageType.DELADDR } : undefined;
      },
      key: (a) => `${a.ifindex}/${a.address}/${a.prefixLength}`,
      dump: (socket) => dumpAddresses(socket),
    };
    return new AddressWatch(new Watch(kind, (address, removed) => onChange(address, removed ? 'removed' : 'added'), opts));
  }

  close(): void {
    this.watch.close();
  }
}
