// The kernel's IPVS connection table summarised the way operators do it by hand with
// `ipvsadm -Lnc | awk … | sort | uniq -c`: connections per state, per real server and state, and
// the clients holding the most.
//
// The table is read as /proc/net/ip_vs_conn text (net/netfilter/ipvs/ip_vs_conn.c,
// ip_vs_conn_seq_show), one line per connection:
//   Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
//   TCP C6120002 D2F4 C6120064 0050 C612010B 1F90 ESTABLISHED     899
// IPv4 addresses are 8 hex digits in network order, IPv6 ones eight 4-digit groups (%pI6), ports
// 4 hex digits, Expires whole seconds. The destination's family may differ from the client's
// (IPv4 service to IPv6 real servers), so every address is decoded on its own.
//
// Lines are folded into counters one at a time, so a table of millions of connections is never
// held whole: only the distinct clients are, one counter each.
import { familyOf, hostPort, parseIp } from '../net/address.js';

/** One line of the table, decoded. Addresses are canonical text. */
export interface IpvsConnection {
  /** As the kernel names it: "TCP", "UDP", "SCTP", … */
  protocol: string;
  client: string;
  clientPort: number;
  /** The address and port the client connected to (for fwmark services, the packet's). */
  vip: string;
  vport: number;
  realServer: string;
  realPort: number;
  /** "ESTABLISHED", "TIME_WAIT", "UDP", … */
  state: string;
  expiresSeconds: number;
}

const HEX_IPV4 = /^[0-9A-Fa-f]{8}$/;
const HEX_PORT = /^[0-9A-Fa-f]{4}$/;

function decodeAddress(text: string): string | undefined {
  if (HEX_IPV4.test(text)) {
    const n = Number.parseInt(text, 16);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  return familyOf(text) === 6 ? parseIp(text)?.address : undefined;
}

function decodePort(text: string): number | undefined {
  return HEX_PORT.test(text) ? Number.parseInt(text, 16) : undefined;
}

/** One table line decoded, or undefined for the header and anything not shaped like a connection. */
export function parseConnectionLine(line: string): IpvsConnection | undefined {
  const f = line.trim().split(/\s+/);
  if (f.length < 9) return undefined;
  const [protocol, c, cp, v, vp, d, dp, state, expires] = f as [string, string, string, string, string, string, string, string, string];
  const client = decodeAddress(c);
  const vip = decodeAddress(v);
  const realServer = decodeAddress(d);
  const clientPort = decodePort(cp);
  const vport = decodePort(vp);
  const realPort = decodePort(dp);
  if (!/^\d+$/.test(expires)) return undefined;
  if (client === undefined || vip === undefined || realServer === undefined) return undefined;
  if (clientPort === undefined || vport === undefined || realPort === undefined) return undefined;
  return { protocol, client, clientPort, vip, vport, realServer, realPort, state, expiresSeconds: Number(expires) };
}

/** Which connections to count: those to one virtual address (and port, unless 0), of one protocol if given. */
export interface ConnectionFilter {
  /** Kernel spelling, upper case: "TCP". */
  protocol?: string;
  vip: string;
  /** 0 matches every port (fwmark and port-0 services). */
  vport: number;
}

export function matchesFilter(conn: IpvsConnection, filter: ConnectionFilter): boolean {
  return (
    conn.vip === filter.vip &&
    (filter.vport === 0 || conn.vport === filter.vport) &&
    (filter.protocol === undefined || conn.protocol === filter.protocol)
  );
}

export interface CountedName {
  name: string;
  count: number;
}

export interface RealServerConnections {
  /** "198.18.1.11:80" */
  realServer: string;
  total: number;
  byState: CountedName[];
}

export interface ConnectionReport {
  total: number;
  byState: CountedName[];
  byRealServer: RealServerConnections[];
  topClients: CountedName[];
  distinctClients: number;
  /** Lines that were neither the header nor a connection (a format this version does not know). */
  unreadLines: number;
}

const byCountThenName = (a: CountedName, b: CountedName): number => b.count - a.count || a.name.localeCompare(b.name);

function counted(map: ReadonlyMap<string, number>): CountedName[] {
  return [...map].map(([name, count]) => ({ name, count })).sort(byCountThenName);
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Counters fed one line at a time; `report` ranks them. */
export class ConnectionSummary {
  private total = 0;
  private unread = 0;
  private readonly states = new Map<string, number>();
  private readonly realServers = new Map<string, Map<string, number>>();
  private readonly clients = new Map<string, number>();

  constructor(private readonly filter?: ConnectionFilter) {}

  addLine(line: string): void {
    const conn = parseConnectionLine(line);
    if (!conn) {
      if (line.trim() !== '' && !line.startsWith('Pro ')) this.unread++;
      return;
    }
    if (this.filter && !matchesFilter(conn, this.filter)) return;
    this.total++;
    bump(this.states, conn.state);
    const rs = hostPort({ address: conn.realServer, port: conn.realPort });
    let states = this.realServers.get(rs);
    if (!states) this.realServers.set(rs, (states = new Map()));
    bump(states, conn.state);
    bump(this.clients, conn.client);
  }

  report(topClients: number): ConnectionReport {
    const byRealServer = [...this.realServers].map(([realServer, states]) => {
      const byState = counted(states);
      return { realServer, total: byState.reduce((sum, s) => sum + s.count, 0), byState };
    });
    byRealServer.sort((a, b) => b.total - a.total || a.realServer.localeCompare(b.realServer));
    return {
      total: this.total,
      byState: counted(this.states),
      byRealServer,
      topClients: counted(this.clients).slice(0, topClients),
      distinctClients: this.clients.size,
      unreadLines: this.unread,
    };
  }
}
