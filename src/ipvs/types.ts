// The kernel's IPVS objects as plain data, one type per object of include/uapi/linux/ip_vs.h.
// Units are the kernel's: persistence and protocol timeouts in SECONDS (config durations are
// milliseconds; the config → desired-state mapping converts). Addresses are canonical strings
// (src/net/address.ts), so objects compare with ===.
import type { IpFamily } from '../net/address.js';

export type Protocol = 'tcp' | 'udp' | 'sctp';

/** How packets reach a real server (IP_VS_CONN_F_FWD_MASK); words as in the config. */
export type Forwarding =
  /** IP_VS_CONN_F_DROUTE: direct routing, MAC rewrite. */
  | 'dr'
  /** IP_VS_CONN_F_MASQ: NAT. */
  | 'nat'
  /** IP_VS_CONN_F_TUNNEL: IP-in-IP, GUE or GRE encapsulation. */
  | 'tun'
  /** IP_VS_CONN_F_LOCALNODE: only ever read back (the real server is a local address). */
  | 'local';

/** Scheduler flags by name. sh-* and mh-* share bits (IP_VS_SVC_F_SCHED1/2); flag-3 has no name. */
export type SchedulerFlag = 'sh-fallback' | 'sh-port' | 'mh-fallback' | 'mh-port' | 'flag-1' | 'flag-2' | 'flag-3';

/** A service matched by protocol, virtual address and port. */
export interface AddressServiceId {
  protocol: Protocol;
  /** Virtual IP, canonical text; its family is the service's (IPVS_SVC_ATTR_AF). */
  address: string;
  port: number;
}

/** A service matched by the firewall mark iptables/nftables put on packets. */
export interface FwmarkServiceId {
  fwmark: number;
  /** IPVS_SVC_ATTR_AF: the family of the packets the service takes. */
  family: IpFamily;
}

/** What names a virtual service in the kernel: the part that cannot be edited in place. */
export type ServiceId = AddressServiceId | FwmarkServiceId;

/** The editable part of a service (IPVS_CMD_SET_SERVICE changes all of it in place). */
export interface ServiceSettings {
  /** Scheduler module name without the ip_vs_ prefix: rr, wrr, lc, wlc, sh, mh, ... */
  scheduler: string;
  /** Scheduler flags (IP_VS_SVC_F_SCHED1..3); names follow the scheduler. */
  schedulerFlags: SchedulerFlag[];
  /** IP_VS_SVC_F_ONEPACKET: schedule every UDP datagram on its own, no connection entry. */
  onePacket: boolean;
  /** Persistence timeout in seconds; 0 = not persistent (IP_VS_SVC_F_PERSISTENT off). */
  persistence: number;
  /** Persistence granularity as a prefix length (IPv4 netmask 255.255.255.0 = 24); 32/128 = per client. */
  persistencePrefix: number;
  /** Persistence engine (IPVS_SVC_ATTR_PE_NAME, e.g. "sip"); undefined = none. */
  persistenceEngine?: string;
}

export type Service = ServiceId & ServiceSettings;

/** IPVS statistics (IPVS_*_ATTR_STATS64): counters since creation, rates averaged by the kernel. */
export interface Stats {
  /** Connections scheduled. */
  conns: bigint;
  /** Packets from clients. */
  inPackets: bigint;
  /** Packets to clients (NAT only: other methods do not see replies). */
  outPackets: bigint;
  inBytes: bigint;
  outBytes: bigint;
  /** Connections per second. */
  cps: number;
  inPps: number;
  outPps: number;
  /** Bytes per second. */
  inBps: number;
  outBps: number;
}

/** A service as read back from the kernel. */
export type ServiceEntry = Service & { stats: Stats };

export type TunnelType = 'ipip' | 'gue' | 'gre';
/** IP_VS_TUNNEL_ENCAP_FLAG_*: UDP checksum of GUE / GRE encapsulation. */
export type TunnelChecksum = 'none' | 'csum' | 'remcsum';

/** Encapsulation of a tunnel-forwarded real server (kernel 5.2+ for gue, 5.3+ for gre). */
export interface Tunnel {
  type: TunnelType;
  /** Destination UDP port of GUE encapsulation; 0 for ipip and gre. */
  port: number;
  checksum: TunnelChecksum;
}

/** What names a real server inside its service. */
export interface DestinationId {
  /** Real server address; IPv4 behind an IPv6 service is allowed for tunnel forwarding. */
  address: string;
  port: number;
}

/** A real server (IPVS destination). */
export interface Destination extends DestinationId {
  forwarding: Forwarding;
  /** 0 drains: no new connections, existing ones continue. Kernel range 0..2147483647. */
  weight: number;
  /** Stop scheduling above this many active connections; 0 = no limit. */
  upperThreshold: number;
  /** Resume scheduling below this many; 0 = automatic (3/4 of the upper threshold). */
  lowerThreshold: number;
  /** Encapsulation, only for forwarding 'tun'. */
  tunnel?: Tunnel;
}

/** A real server as read back from the kernel. */
export interface DestinationEntry extends Destination {
  activeConns: number;
  inactiveConns: number;
  /** Persistence templates pointing at this server. */
  persistentConns: number;
  stats: Stats;
}

/** IPVS_CMD_GET_INFO. */
export interface Info {
  /** "1.2.1" */
  version: string;
  /** Size of the connection hash table (the ip_vs conn_tab_bits module parameter). */
  connTableSize: number;
}

/** Protocol idle timeouts in seconds (ipvsadm --set). In a write, 0 leaves a value unchanged. */
export interface Timeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

/** A connection-synchronisation daemon (ipvsadm --start-daemon). */
export interface SyncDaemon {
  state: 'master' | 'backup';
  /** Interface the sync messages go out on / come in from. */
  interface: string;
  /** Sync ID: a backup accepts only messages with its own ID. */
  syncId: number;
  /** Largest sync message payload in bytes; undefined = the kernel derives it from the MTU. */
  maxLength?: number;
  /** Multicast group; undefined = 224.0.0.81. */
  group?: string;
  /** UDP port; undefined = 8848. */
  port?: number;
  /** Multicast TTL; undefined = 1. */
  ttl?: number;
}

/** A service with its real servers: one row of what the kernel holds or what lvsd wants. */
export interface ServiceWithDestinations<S extends Service = Service, D extends Destination = Destination> {
  service: S;
  destinations: D[];
}

/** Everything lvsd manages, as the kernel should hold it. */
export interface DesiredIpvs {
  services: ServiceWithDestinations[];
}

/** Every service and real server in the kernel's table (one network namespace). */
export interface KernelIpvs {
  services: ServiceWithDestinations<ServiceEntry, DestinationEntry>[];
}
