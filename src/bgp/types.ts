import type { SysctlCheck } from './sysctls.js';

// What the BGP subsystem shares with the daemon and the kernel side: the routes that stand for
// announced VIPs, and how BIRD's sessions look from lvsd.

/**
 * rtm_protocol of lvsd's VIP routes (`proto 250` in `ip route`). Values above RTPROT_STATIC are
 * not interpreted by the kernel (linux/rtnetlink.h); 250 is in none of iproute2's rt_protos. It
 * lets BIRD's import filter (krt_source) and lvsd's own clean-up at start tell lvsd's routes
 * from anything else in the table.
 */
export const LVSD_ROUTE_PROTOCOL = 250;

/**
 * One host route (/32 or /128) per announced VIP in lvsd's kernel table. The kernel side
 * (src/kernel/routes.ts HostRouteTable) implements it; tests use it on a namespace.
 */
export interface VipRoutes {
  /** The VIPs whose routes (with lvsd's protocol) are in the table now. */
  list(): Promise<string[]>;
  /** Idempotent: an existing route is not an error. */
  add(vip: string): Promise<void>;
  /** Idempotent: a missing route is not an error. */
  remove(vip: string): Promise<void>;
  close(): void;
}

/** The kernel as BGP mode needs it: the VIP route table, and sysctls (slash keys relative to /proc/sys). */
export interface BgpKernel {
  openRoutes(table: number): VipRoutes;
  /** undefined when the key does not exist. */
  readSysctl(key: string): string | undefined;
  /** Throws with a message naming the key. */
  writeSysctl(key: string, value: string): void;
}

/** One of lvsd's BGP sessions as BIRD reports it (`birdc show protocols`). */
export interface BgpSession {
  /** The peer's name in the config. */
  peer: string;
  /** BIRD's protocol state: up, start, down, ... */
  state: string;
  /** Since when, as BIRD prints it. */
  since: string;
  /** BGP state and last error: "Established", "Active  Socket: Connection refused", ... */
  info: string;
  established: boolean;
}

/** What `lvsd status` shows for BGP. */
export interface BgpStatus {
  table: number;
  /** `lvsd drain-node`: every VIP withdrawn on purpose (planned maintenance), until `lvsd drain-node --undo`. */
  maintenance: boolean;
  /** The VIPs this director may announce (the bgp section's, or every service VIP). */
  vips: string[];
  /** VIPs whose routes are in the kernel table (and so exported by BIRD). */
  announced: string[];
  /** VIPs lvsd would announce now but could not yet (a kernel error, retried). */
  pending: string[];
  sessions: BgpSession[];
  /** Why the sessions could not be read (BIRD not running, timeout), if so. */
  sessionsError: string | null;
  /** The flow-takeover sysctls as last set and read back; empty with flow_takeover: false. */
  sysctls: SysctlCheck[];
}
