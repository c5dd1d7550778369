// Default routes of the main table over rtnetlink (RTM_GETROUTE dump), for the real-server
// checks: which interface faces the clients (DR/TUN uplink) and whether replies go back through
// the director (NAT). Opens its socket in the current network namespace.
import type { rt } from 'netlink';
import { parseAttrs } from './attrs.js';
import { toKernelError } from './errors.js';
import { ipFromBytes } from './ip-address.js';
import { RtSocket } from './rt-socket.js';

const AF_INET = 2;
const AF_INET6 = 10;
const RT_TABLE_MAIN = 254;
/** RTA_GATEWAY inside each struct rtnexthop of RTA_MULTIPATH (include/uapi/linux/rtnetlink.h). */
const RTA_GATEWAY = 5;
/** sizeof(struct rtnexthop): u16 len, u8 flags, u8 hops, s32 ifindex. */
const RTNH_HEADER = 8;

export interface DefaultRouteEntry {
  family: 4 | 6;
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
    hops.push({ ifindex: buf.readInt32LE(off + 4), ...(gw ? { gateway: ipFromBytes(gw) } : {}) });
    off += (len + 3) & ~3;
  }
  return hops;
}

function entriesOf(msg: rt.RouteMessage, family: 4 | 6): DefaultRouteEntry[] {
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
      ...(msg.attrs.gateway ? { gateway: ipFromBytes(msg.attrs.gateway) } : {}),
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
