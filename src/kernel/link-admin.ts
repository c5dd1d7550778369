// Creating, deleting and configuring links over rtnetlink: the tunnel device a TUN real server
// decapsulates on (up/down), and the macvlan a VRRP instance with use_vmac holds its virtual MAC
// on (create/delete, up/down, its ARP and IPv6 settings and its parent's). Each call opens its
// socket in the current network namespace.
import { FlagsNew } from 'netlink';
import { AttrWriter } from './attrs.js';
import { toKernelError } from './errors.js';
import { RtSocket } from './rt-socket.js';

// include/uapi/linux/if_link.h
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;

/**
 * MACVLAN_MODE_*. `private`: frames never pass between macvlans of one parent, each talks only to
 * the wire like a NIC of its own. `bridge`: macvlans of one parent reach each other directly.
 */
export const MACVLAN_MODES = { private: 1, vepa: 2, bridge: 4, passthru: 8 } as const;
export type MacvlanMode = keyof typeof MACVLAN_MODES;

export interface MacvlanSpec {
  /** Name of the new link (at most 15 bytes). */
  name: string;
  /** The interface it sits on (IFLA_LINK). */
  parentIfindex: number;
  /** Its own hardware address (IFLA_ADDRESS), 6 bytes. */
  mac: Buffer;
  mode: MacvlanMode;
}

/** The IFLA_LINKINFO payload of a macvlan: kind "macvlan" and its mode (IFLA_INFO_DATA). */
export function macvlanLinkInfo(mode: MacvlanMode): Buffer {
  return new AttrWriter(32)
    .str(IFLA_INFO_KIND, 'macvlan')
    .nested(IFLA_INFO_DATA, (w) => w.u32(IFLA_MACVLAN_MODE, MACVLAN_MODES[mode]))
    .finish();
}

async function withSocket<T>(operation: string, fn: (socket: RtSocket) => Promise<T>): Promise<T> {
  const socket = new RtSocket();
  try {
    return await fn(socket);
  } catch (err) {
    throw toKernelError(err, operation);
  } finally {
    socket.close();
  }
}

export async function setLinkUp(ifindex: number, up: boolean, ifname = `#${ifindex}`): Promise<void> {
  // ifi_change masks which flags the request touches, so only IFF_UP changes.
  await withSocket(`set ${ifname} ${up ? 'up' : 'down'}`, (socket) =>
    socket.request(() => socket.rt.setLink({ index: ifindex, flags: up ? { up: true } : {}, change: { up: true } })),
  );
}

/**
 * Creates a macvlan, administratively down (RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL: a link of
 * that name already there is EEXIST, never silently reused).
 */
export async function createMacvlan(spec: MacvlanSpec): Promise<void> {
  if (spec.mac.length !== 6) throw new TypeError(`a MAC address has 6 bytes, got ${spec.mac.length}`);
  const link = Buffer.alloc(4);
  link.writeUInt32LE(spec.parentIfindex);
  await withSocket(`create macvlan ${spec.name} on #${spec.parentIfindex}`, (socket) =>
    socket.request(() =>
      socket.rt.newLink({}, { ifname: spec.name, address: spec.mac, link, linkinfo: macvlanLinkInfo(spec.mode) }, { flags: FlagsNew.CREATE | FlagsNew.EXCL }),
    ),
  );
}

/** Deletes a link (RTM_DELLINK); the kernel removes its addresses and routes with it. */
export async function deleteLink(ifindex: number, ifname = `#${ifindex}`): Promise<void> {
  await withSocket(`delete link ${ifname}`, (socket) => socket.request(() => socket.rt.delLink({ index: ifindex })));
}

// Per-interface protocol settings through rtnetlink (RTM_SETLINK with IFLA_AF_SPEC), as `ip link`
// and keepalived set them: unlike /proc/sys, this works where /proc/sys is read-only (systemd's
// ProtectKernelTunables, containers).
const AF_INET = 2;
const AF_INET6 = 10;
const IFLA_INET_CONF = 1;
const IFLA_INET6_ADDR_GEN_MODE = 8;

/** IPV4_DEVCONF_* (include/uapi/linux/ip.h): the index of each net.ipv4.conf.IF.* value. */
export const IPV4_DEVCONF = { rp_filter: 8, arp_announce: 18, arp_ignore: 19 } as const;
export type Ipv4DevConf = keyof typeof IPV4_DEVCONF;

/** IN6_ADDR_GEN_MODE_*: how the kernel makes the link-local address; `none` makes none. */
export const IN6_ADDR_GEN_MODES = { eui64: 0, none: 1, stable_privacy: 2, random: 3 } as const;

export interface LinkProtocolSettings {
  /** net.ipv4.conf.IF.* values. */
  ipv4?: Partial<Record<Ipv4DevConf, number>>;
  /** net.ipv6.conf.IF.addr_gen_mode. */
  ipv6AddrGenMode?: keyof typeof IN6_ADDR_GEN_MODES;
}

/** The IFLA_AF_SPEC payload for `settings`, by address family. */
export function linkAfSpec(settings: LinkProtocolSettings): Map<number, Buffer> {
  const spec = new Map<number, Buffer>();
  const ipv4 = Object.entries(settings.ipv4 ?? {}) as Array<[Ipv4DevConf, number]>;
  if (ipv4.length > 0) {
    spec.set(AF_INET, new AttrWriter(64).nested(IFLA_INET_CONF, (w) => {
      for (const [name, value] of ipv4) w.u32(IPV4_DEVCONF[name], value);
    }).finish());
  }
  if (settings.ipv6AddrGenMode !== undefined) {
    spec.set(AF_INET6, new AttrWriter(8).u8(IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODES[settings.ipv6AddrGenMode]).finish());
  }
  return spec;
}

export async function setLinkProtocolSettings(ifindex: number, settings: LinkProtocolSettings, ifname = `#${ifindex}`): Promise<void> {
  await withSocket(`set ${ifname} ${JSON.stringify(settings)}`, (socket) =>
    socket.request(() => socket.rt.setLink({ index: ifindex }, { afSpec: linkAfSpec(settings) })),
  );
}
