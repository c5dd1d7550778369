// Routes over rtnetlink. Default routes of the main table (RTM_GETROUTE dump), for the
// real-server checks: which interface faces the clients (DR/TUN uplink) and whether replies go
// back through the director (NAT). And HostRouteTable: the VIP routes of BGP mode (src/bgp).
// Sockets open in the current network namespace.
import { FlagsNew, type rt } from 'netlink';
import { parseAttrs } from './attrs.js';
import { KernelError, toKernelError } from './errors.js';
import { RtSocket } from './rt-socket.js';
import { addressBytes, formatIp, familyOf, type IpFamily } from '../net/address.js';

const AF_INET = 2;
const AF_INET6 = 10;
const RT_TABLE_MAIN = 254;
/** RTA_GATEWAY inside each struct rtnexthop of RTA_MULTIPATH (include/uapi/linux/rtnetlink.h). */
const RTA_GATEWAY = 5;
/** sizeof(struct rtnexthop): u16 len, u8 flags, u8 hops, s32 ifindex. */
const RTNH_HEADER = 8;

export interface DefaultRouteEntry {
  family: IpFamily;
  /** Next hop; absent for a device-only (or nexthop-object) default route. */
  gateway?: string;
  /** Outgoing interface, when the route names one. */
  ifindex?: number;
  /** RTA_PRIORITY; the kernel prefers the lowest. */
  metric: number;
}

/** The paths of an ECMP route (RTA_MULTIPATH): a list of struct rtnexthop, each followed by its attributes. */
export function parseMultipath(buf: Buffer): Array<{ ifindex: number; gateway?: string }> {
  const hops: Array<{ ifindex: number; gateway?: string }> = [];
  for (let off = 0; off + RTNH_HEADER <= buf.length; ) {
    const len = buf.readUInt16LE(off);
    if (len < RTNH_HEADER || off + len > buf.length) break;
    const attrs = parseAttrs(buf.subarray(off + RTNH_HEADER, off + len));
    const gw = attrs.get(RTA_GATEWAY);
    hops.push({ ifindex: buf.readInt32LE(off + 4), ...(gw ? { gateway: formatIp(gw) } : {}) });
    off += (len + 3) & ~3;
  }
  return hops;
}

function entriesOf(msg: rt.RouteMessage, family: IpFamily): DefaultRouteEntry[] {
  const table = msg.attrs.table ?? msg.data.table;
  if (msg.data.dstLen !== 0 || table !== RT_TABLE_MAIN || msg.data.type !== 'UNICAST') return [];
  const metric = msg.attrs.priority ?? 0;
  if (msg.attrs.multipath) {
    return parseMultipath(msg.attrs.multipath).map((h) => ({ family, metric, ifindex: h.ifindex, ...(h.gateway ? { gateway: h.gateway } : {}) }));
  }
  return [
    {
      family,
      metric,
      ...(msg.attrs.gateway ? { gateway: formatIp(msg.attrs.gateway) } : {}),
      ...(msg.attrs.oif !== undefined ? { ifindex: msg.attrs.oif } : {}),
    },
  ];
}

/** IPv4 and IPv6 default routes of the main table (unicast only: no unreachable/blackhole). */
export async function listDefaultRoutes(): Promise<DefaultRouteEntry[]> {
  const socket = new RtSocket();
  try {
    const out: DefaultRouteEntry[] = [];
    for (const [family, af] of [[4, AF_INET], [6, AF_INET6]] as const) {
      let messages: rt.RouteMessage[];
      try {
        messages = await socket.request(() => socket.rt.getRoutes({ family: af }));
      } catch (err) {
        throw toKernelError(err, `list IPv${family} routes`);
      }
      out.push(...messages.flatMap((m) => entriesOf(m, family)));
    }
    return out;
  } finally {
    socket.close();
  }
}

/** rtm_table holds 8 bits; a larger table id travels in RTA_TABLE with rtm_table RT_TABLE_UNSPEC (iproute2 does the same). */
const RT_TABLE_UNSPEC = 0;

/**
 * Host routes (/32, /128) of type blackhole with one protocol number in one routing table: the
 * routes that stand for announced VIPs in BGP mode (src/bgp). Blackhole, because the table only
 * carries them to BIRD: no lookup should ever forward by them, and if one did, dropping is right.
 * Opens its socket in the current network namespace (open it inside inNetns() for another).
 */
export class HostRouteTable {
  private constructor(
    private readonly socket: RtSocket,
    readonly table: number,
    readonly protocol: number,
  ) {}

  /**
   * `protocol` must be one netlink@0.3.0 has no name for (it reads those back as numbers, the
   * ones it knows as names like "BIRD"): lvsd's 250 is such a number.
   */
  static open(table: number, protocol: number): HostRouteTable {
    return new HostRouteTable(new RtSocket(), table, protocol);
  }

  close(): void {
    this.socket.close();
  }

  /** Destinations of this table's host routes with our protocol, both families. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const [family, af] of [[4, AF_INET], [6, AF_INET6]] as const) {
      let messages: rt.RouteMessage[];
      try {
        messages = await this.socket.request(() => this.socket.rt.getRoutes({ family: af }));
      } catch (err) {
        throw toKernelError(err, `list IPv${family} routes of table ${this.table}`);
      }
      for (const m of messages) {
        const table = m.attrs.table ?? m.data.table;
        const host = m.data.dstLen === (family === 4 ? 32 : 128);
        if (table === this.table && host && m.attrs.dst && m.data.protocol === this.protocol) out.push(formatIp(m.attrs.dst));
      }
    }
    return out;
  }

  /** Adds the blackhole host route; one that is already there is not an error. */
  async add(address: string): Promise<void> {
    try {
      await this.socket.request(() => this.socket.rt.newRoute(this.header(address), this.attrs(address), { flags: FlagsNew.CREATE | FlagsNew.EXCL }));
    } catch (err) {
      const e = toKernelError(err, `add route ${address} to table ${this.table}`);
      if (!(e instanceof KernelError && e.code === 'EEXIST')) throw e;
    }
  }

  /** Deletes the host route; one that is not there is not an error. */
  async remove(address: string): Promise<void> {
    try {
      await this.socket.request(() => this.socket.rt.delRoute(this.header(address), this.attrs(address)));
    } catch (err) {
      const e = toKernelError(err, `delete route ${address} from table ${this.table}`);
      if (!(e instanceof KernelError && e.code === 'ESRCH')) throw e;
    }
  }

  private header(address: string): rt.Route {
    const v6 = familyOf(address) === 6;
    return {
      family: v6 ? AF_INET6 : AF_INET,
      dstLen: v6 ? 128 : 32,
      table: this.table < 256 ? this.table : RT_TABLE_UNSPEC,
      protocol: this.protocol as rt.RouteProtocol,
      scope: 'UNIVERSE',
      type: 'BLACKHOLE',
    };
  }

  private attrs(address: string): rt.RouteAttrs {
    return { dst: addressBytes(address), table: this.table };
  }
}
