// Numbers from the kernel's include/uapi/linux/ip_vs.h (generic netlink interface), with the
// header's names in comments. The MH scheduler flags live in net/netfilter/ipvs/ip_vs_mh.c.

/** IPVS_GENL_NAME, IPVS_GENL_VERSION */
export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

/** enum IPVS_CMD_* */
export const Cmd = {
  NEW_SERVICE: 1, // IPVS_CMD_NEW_SERVICE
  SET_SERVICE: 2, // IPVS_CMD_SET_SERVICE
  DEL_SERVICE: 3, // IPVS_CMD_DEL_SERVICE
  GET_SERVICE: 4, // IPVS_CMD_GET_SERVICE
  NEW_DEST: 5, // IPVS_CMD_NEW_DEST
  SET_DEST: 6, // IPVS_CMD_SET_DEST
  DEL_DEST: 7, // IPVS_CMD_DEL_DEST
  GET_DEST: 8, // IPVS_CMD_GET_DEST
  NEW_DAEMON: 9, // IPVS_CMD_NEW_DAEMON
  DEL_DAEMON: 10, // IPVS_CMD_DEL_DAEMON
  GET_DAEMON: 11, // IPVS_CMD_GET_DAEMON
  SET_CONFIG: 12, // IPVS_CMD_SET_CONFIG
  GET_CONFIG: 13, // IPVS_CMD_GET_CONFIG
  SET_INFO: 14, // IPVS_CMD_SET_INFO (only in GET_INFO replies)
  GET_INFO: 15, // IPVS_CMD_GET_INFO
  ZERO: 16, // IPVS_CMD_ZERO
  FLUSH: 17, // IPVS_CMD_FLUSH
} as const;

/** enum IPVS_CMD_ATTR_* (first level of every command) */
export const CmdAttr = {
  SERVICE: 1, // IPVS_CMD_ATTR_SERVICE (nested)
  DEST: 2, // IPVS_CMD_ATTR_DEST (nested)
  DAEMON: 3, // IPVS_CMD_ATTR_DAEMON (nested)
  TIMEOUT_TCP: 4, // IPVS_CMD_ATTR_TIMEOUT_TCP (u32 seconds)
  TIMEOUT_TCP_FIN: 5, // IPVS_CMD_ATTR_TIMEOUT_TCP_FIN (u32 seconds)
  TIMEOUT_UDP: 6, // IPVS_CMD_ATTR_TIMEOUT_UDP (u32 seconds)
} as const;

/** enum IPVS_SVC_ATTR_* (inside IPVS_CMD_ATTR_SERVICE) */
export const SvcAttr = {
  AF: 1, // IPVS_SVC_ATTR_AF (u16)
  PROTOCOL: 2, // IPVS_SVC_ATTR_PROTOCOL (u16)
  ADDR: 3, // IPVS_SVC_ATTR_ADDR (union nf_inet_addr, 16 bytes)
  PORT: 4, // IPVS_SVC_ATTR_PORT (be16)
  FWMARK: 5, // IPVS_SVC_ATTR_FWMARK (u32)
  SCHED_NAME: 6, // IPVS_SVC_ATTR_SCHED_NAME (string, < 16 bytes)
  FLAGS: 7, // IPVS_SVC_ATTR_FLAGS (struct ip_vs_flags { u32 flags; u32 mask; })
  TIMEOUT: 8, // IPVS_SVC_ATTR_TIMEOUT (u32 seconds, persistence)
  NETMASK: 9, // IPVS_SVC_ATTR_NETMASK (IPv4: be32 mask; IPv6: u32 prefix length)
  STATS: 10, // IPVS_SVC_ATTR_STATS (nested, 32-bit counters)
  PE_NAME: 11, // IPVS_SVC_ATTR_PE_NAME (string)
  STATS64: 12, // IPVS_SVC_ATTR_STATS64 (nested, 64-bit counters)
} as const;

/** enum IPVS_DEST_ATTR_* (inside IPVS_CMD_ATTR_DEST) */
export const DestAttr = {
  ADDR: 1, // IPVS_DEST_ATTR_ADDR (union nf_inet_addr)
  PORT: 2, // IPVS_DEST_ATTR_PORT (be16)
  FWD_METHOD: 3, // IPVS_DEST_ATTR_FWD_METHOD (u32, IP_VS_CONN_F_FWD_MASK bits)
  WEIGHT: 4, // IPVS_DEST_ATTR_WEIGHT (u32)
  U_THRESH: 5, // IPVS_DEST_ATTR_U_THRESH (u32)
  L_THRESH: 6, // IPVS_DEST_ATTR_L_THRESH (u32)
  ACTIVE_CONNS: 7, // IPVS_DEST_ATTR_ACTIVE_CONNS (u32)
  INACT_CONNS: 8, // IPVS_DEST_ATTR_INACT_CONNS (u32)
  PERSIST_CONNS: 9, // IPVS_DEST_ATTR_PERSIST_CONNS (u32)
  STATS: 10, // IPVS_DEST_ATTR_STATS (nested)
  ADDR_FAMILY: 11, // IPVS_DEST_ATTR_ADDR_FAMILY (u16)
  STATS64: 12, // IPVS_DEST_ATTR_STATS64 (nested)
  TUN_TYPE: 13, // IPVS_DEST_ATTR_TUN_TYPE (u8)
  TUN_PORT: 14, // IPVS_DEST_ATTR_TUN_PORT (be16)
  TUN_FLAGS: 15, // IPVS_DEST_ATTR_TUN_FLAGS (u16)
} as const;

/** enum IPVS_DAEMON_ATTR_* (inside IPVS_CMD_ATTR_DAEMON) */
export const DaemonAttr = {
  STATE: 1, // IPVS_DAEMON_ATTR_STATE (u32: IP_VS_STATE_MASTER / _BACKUP)
  MCAST_IFN: 2, // IPVS_DAEMON_ATTR_MCAST_IFN (string, < 16 bytes)
  SYNC_ID: 3, // IPVS_DAEMON_ATTR_SYNC_ID (u32)
  SYNC_MAXLEN: 4, // IPVS_DAEMON_ATTR_SYNC_MAXLEN (u16)
  MCAST_GROUP: 5, // IPVS_DAEMON_ATTR_MCAST_GROUP (be32)
  MCAST_GROUP6: 6, // IPVS_DAEMON_ATTR_MCAST_GROUP6 (in6_addr)
  MCAST_PORT: 7, // IPVS_DAEMON_ATTR_MCAST_PORT (u16)
  MCAST_TTL: 8, // IPVS_DAEMON_ATTR_MCAST_TTL (u8)
} as const;

/** enum IPVS_STATS_ATTR_* (inside the STATS and STATS64 nests) */
export const StatsAttr = {
  CONNS: 1, // IPVS_STATS_ATTR_CONNS
  INPKTS: 2, // IPVS_STATS_ATTR_INPKTS
  OUTPKTS: 3, // IPVS_STATS_ATTR_OUTPKTS
  INBYTES: 4, // IPVS_STATS_ATTR_INBYTES
  OUTBYTES: 5, // IPVS_STATS_ATTR_OUTBYTES
  CPS: 6, // IPVS_STATS_ATTR_CPS
  INPPS: 7, // IPVS_STATS_ATTR_INPPS
  OUTPPS: 8, // IPVS_STATS_ATTR_OUTPPS
  INBPS: 9, // IPVS_STATS_ATTR_INBPS
  OUTBPS: 10, // IPVS_STATS_ATTR_OUTBPS
} as const;

/** enum IPVS_INFO_ATTR_* (GET_INFO reply) */
export const InfoAttr = {
  VERSION: 1, // IPVS_INFO_ATTR_VERSION (u32, 0x010201 = 1.2.1)
  CONN_TAB_SIZE: 2, // IPVS_INFO_ATTR_CONN_TAB_SIZE (u32)
} as const;

/** IP_VS_SVC_F_* virtual service flags */
export const SvcFlag = {
  PERSISTENT: 0x0001, // IP_VS_SVC_F_PERSISTENT
  HASHED: 0x0002, // IP_VS_SVC_F_HASHED (kernel-internal: set when the service is in the table)
  ONEPACKET: 0x0004, // IP_VS_SVC_F_ONEPACKET
  SCHED1: 0x0008, // IP_VS_SVC_F_SCHED1 = IP_VS_SVC_F_SCHED_SH_FALLBACK = MH fallback
  SCHED2: 0x0010, // IP_VS_SVC_F_SCHED2 = IP_VS_SVC_F_SCHED_SH_PORT = MH port
  SCHED3: 0x0020, // IP_VS_SVC_F_SCHED3
} as const;

/** IP_VS_CONN_F_* forwarding methods (IP_VS_CONN_F_FWD_MASK = 0x7) */
export const FwdMethod = {
  MASQ: 0x0, // IP_VS_CONN_F_MASQ
  LOCALNODE: 0x1, // IP_VS_CONN_F_LOCALNODE
  TUNNEL: 0x2, // IP_VS_CONN_F_TUNNEL
  DROUTE: 0x3, // IP_VS_CONN_F_DROUTE
} as const;
export const FWD_MASK = 0x7; // IP_VS_CONN_F_FWD_MASK

/** IP_VS_CONN_F_TUNNEL_TYPE_* */
export const TunType = {
  IPIP: 0, // IP_VS_CONN_F_TUNNEL_TYPE_IPIP
  GUE: 1, // IP_VS_CONN_F_TUNNEL_TYPE_GUE
  GRE: 2, // IP_VS_CONN_F_TUNNEL_TYPE_GRE
} as const;

/** IP_VS_TUNNEL_ENCAP_FLAG_* */
export const TunFlag = {
  NOCSUM: 0, // IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM
  CSUM: 1 << 0, // IP_VS_TUNNEL_ENCAP_FLAG_CSUM
  REMCSUM: 1 << 1, // IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM
} as const;

/** IP_VS_STATE_* sync daemon states */
export const DaemonState = {
  NONE: 0, // IP_VS_STATE_NONE
  MASTER: 1, // IP_VS_STATE_MASTER
  BACKUP: 2, // IP_VS_STATE_BACKUP
} as const;

/** IP_VS_SCHEDNAME_MAXLEN, IP_VS_IFNAME_MAXLEN (both include the NUL) */
export const SCHEDNAME_MAXLEN = 16;
export const IFNAME_MAXLEN = 16;

/** Address families and IP protocol numbers as the kernel spells them. */
export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;
