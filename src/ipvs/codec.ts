// IPVS objects <-> generic netlink attributes. Pure: no sockets. Attribute order follows what
// Debian's ipvsadm 1.31 sends, so the unit tests compare our bytes with ipvsadm's captured bytes.
// Which attributes each command needs is from net/netfilter/ipvs/ip_vs_ctl.c: a service is named
// by AF + (PROTOCOL, ADDR, PORT) or AF + FWMARK; NEW/SET_SERVICE also need SCHED_NAME, FLAGS,
// TIMEOUT, NETMASK; NEW/SET_DEST need ADDR, PORT, FWD_METHOD, WEIGHT, U_THRESH, L_THRESH.
import { familyOf, formatIp, ipToBytes, type IpFamily } from '../net/address.js';
import { AttrIndex, AttrWriter, attr, nested, parseAttrs, read, str, u16, u32, u8, type AttrMap } from '../kernel/attrs.js';
import {
  AF_INET,
  AF_INET6,
  CmdAttr,
  DaemonAttr,
  DaemonState,
  DestAttr,
  FWD_MASK,
  FwdMethod,
  InfoAttr,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  StatsAttr,
  SvcAttr,
  SvcFlag,
  TunFlag,
  TunType,
} from './constants.js';
import { isFwmark, serviceFamily } from './names.js';
import type {
  Destination,
  DestinationEntry,
  DestinationId,
  Forwarding,
  Info,
  Protocol,
  SchedulerFlag,
  ServiceEntry,
  ServiceId,
  Service,
  Stats,
  SyncDaemon,
  Timeouts,
  TunnelChecksum,
  TunnelType,
} from './types.js';

const protocolNumber: Record<Protocol, number> = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, sctp: IPPROTO_SCTP };
const familyNumber: Record<IpFamily, number> = { 4: AF_INET, 6: AF_INET6 };
const forwardingNumber: Record<Forwarding, number> = { nat: FwdMethod.MASQ, local: FwdMethod.LOCALNODE, tun: FwdMethod.TUNNEL, dr: FwdMethod.DROUTE };
const tunnelTypeNumber: Record<TunnelType, number> = { ipip: TunType.IPIP, gue: TunType.GUE, gre: TunType.GRE };
const tunnelChecksumNumber: Record<TunnelChecksum, number> = { none: TunFlag.NOCSUM, csum: TunFlag.CSUM, remcsum: TunFlag.REMCSUM };
const schedulerFlagBit: Record<SchedulerFlag, number> = {
  'sh-fallback': SvcFlag.SCHED1,
  'mh-fallback': SvcFlag.SCHED1,
  'flag-1': SvcFlag.SCHED1,
  'sh-port': SvcFlag.SCHED2,
  'mh-port': SvcFlag.SCHED2,
  'flag-2': SvcFlag.SCHED2,
  'flag-3': SvcFlag.SCHED3,
};

function reverse<K extends string>(m: Record<K, number>): Map<number, K> {
  return new Map(Object.entries(m).map(([k, v]) => [v as number, k as K]));
}
const familyByNumber = new Map<number, IpFamily>([[AF_INET, 4], [AF_INET6, 6]]);
const protocolByNumber = reverse(protocolNumber);
const forwardingByNumber = reverse(forwardingNumber);
const tunnelTypeByNumber = reverse(tunnelTypeNumber);
const tunnelChecksumByNumber = reverse(tunnelChecksumNumber);

/**
 * Bytes of an address, by its text. A bulk apply names each real server address in thousands of
 * requests and the strict parser (src/net/address.ts) was a fifth of the encoding time; the
 * addresses are canonical, so equal text means equal bytes.
 */
const ipBytesByText = new Map<string, Uint8Array>();
const IP_BYTES_CACHE = 65536;

function ipBytes(address: string): Uint8Array {
  let bytes = ipBytesByText.get(address);
  if (bytes) return bytes;
  bytes = ipToBytes(address);
  if (!bytes) throw new Error(`not an IP address: ${address}`);
  if (ipBytesByText.size >= IP_BYTES_CACHE) ipBytesByText.clear();
  ipBytesByText.set(address, bytes);
  return bytes;
}

/** union nf_inet_addr: 16 bytes, an IPv4 address in the first four. */
function writeInetAddr(w: AttrWriter, type: number, address: string): void {
  w.bytes(type, ipBytes(address), 16);
}

/** Bits of IP_VS_SVC_F_SCHED1..3 a set of named flags stands for. */
export function schedulerFlagBits(flags: readonly SchedulerFlag[]): number {
  return flags.reduce((bits, f) => bits | schedulerFlagBit[f], 0);
}

/** Names for the scheduler flag bits, in the scheduler's own vocabulary (sh-*, mh-*, flag-N). */
export function schedulerFlagNames(scheduler: string, bits: number): SchedulerFlag[] {
  const named = (n: 1 | 2): SchedulerFlag => {
    if (scheduler === 'sh') return n === 1 ? 'sh-fallback' : 'sh-port';
    if (scheduler === 'mh') return n === 1 ? 'mh-fallback' : 'mh-port';
    return n === 1 ? 'flag-1' : 'flag-2';
  };
  const out: SchedulerFlag[] = [];
  if (bits & SvcFlag.SCHED1) out.push(named(1));
  if (bits & SvcFlag.SCHED2) out.push(named(2));
  if (bits & SvcFlag.SCHED3) out.push('flag-3');
  return out;
}

/** IP_VS_SVC_F_* bits a service's settings stand for (HASHED is the kernel's own). */
export function serviceFlagBits(s: Service): number {
  let bits = schedulerFlagBits(s.schedulerFlags);
  if (s.persistence > 0) bits |= SvcFlag.PERSISTENT;
  if (s.onePacket) bits |= SvcFlag.ONEPACKET;
  return bits;
}

/** The attributes that name a service (all a delete or a destination request needs). */
function writeServiceId(w: AttrWriter, id: ServiceId): void {
  w.u16(SvcAttr.AF, familyNumber[serviceFamily(id)]);
  if (isFwmark(id)) {
    w.u32(SvcAttr.FWMARK, id.fwmark);
    return;
  }
  w.u16(SvcAttr.PROTOCOL, protocolNumber[id.protocol]);
  writeInetAddr(w, SvcAttr.ADDR, id.address);
  w.be16(SvcAttr.PORT, id.port);
}

/** struct ip_vs_flags scratch: the writer copies it, so one serves every message. */
const serviceFlags = Buffer.alloc(8);

/** A complete service, for IPVS_CMD_NEW_SERVICE and IPVS_CMD_SET_SERVICE. */
function writeService(w: AttrWriter, s: Service): void {
  writeServiceId(w, s);
  w.str(SvcAttr.SCHED_NAME, s.scheduler);
  if (s.persistenceEngine !== undefined) w.str(SvcAttr.PE_NAME, s.persistenceEngine);
  // struct ip_vs_flags { flags, mask }: every bit is ours to set, so an edit also clears what
  // the new settings leave out.
  serviceFlags.writeUInt32LE(serviceFlagBits(s), 0);
  serviceFlags.writeUInt32LE(0xffffffff, 4);
  w.bytes(SvcAttr.FLAGS, serviceFlags);
  w.u32(SvcAttr.TIMEOUT, s.persistence);
  if (serviceFamily(s) === 4) w.be32(SvcAttr.NETMASK, s.persistencePrefix === 0 ? 0 : (0xffffffff << (32 - s.persistencePrefix)) >>> 0);
  else w.u32(SvcAttr.NETMASK, s.persistencePrefix);
}

export function encodeServiceId(id: ServiceId): Buffer[] {
  const w = new AttrWriter();
  writeServiceId(w, id);
  return [w.finish()];
}

export function encodeService(s: Service): Buffer[] {
  const w = new AttrWriter();
  writeService(w, s);
  return [w.finish()];
}

// Decoding reads straight from the receive buffer through reused AttrIndexes (one per nesting
// level): a 10,000-service table is 50,000 nests, and a Map plus a Buffer per attribute was most
// of what a full read allocated.
const svcIndex = new AttrIndex(SvcAttr.STATS64);
const destIndex = new AttrIndex(DestAttr.TUN_FLAGS);
const statsIndex = new AttrIndex(StatsAttr.OUTBPS);
const cmdIndex = new AttrIndex(CmdAttr.DEST);

/** Counter `type` of the indexed stats nest; 0n (no allocation) when absent or zero. */
function counter(a: AttrIndex, type: number, wide: boolean): bigint {
  const size = a.size(type);
  if (size < 4) return 0n;
  const at = a.offset(type, 4, 'IPVS_STATS_ATTR');
  if (!wide || size < 8) {
    const v = a.buf.readUInt32LE(at);
    return v === 0 ? 0n : BigInt(v);
  }
  const lo = a.buf.readUInt32LE(at);
  const hi = a.buf.readUInt32LE(at + 4);
  if (hi === 0) return lo === 0 ? 0n : BigInt(lo);
  return a.buf.readBigUInt64LE(at);
}

/** Rate `type` of the indexed stats nest (a 64-bit rate is far below 2^53). */
function rate(a: AttrIndex, type: number, wide: boolean): number {
  const size = a.size(type);
  if (size < 4) return 0;
  const at = a.offset(type, 4, 'IPVS_STATS_ATTR');
  return wide && size >= 8 ? a.buf.readUInt32LE(at) + a.buf.readUInt32LE(at + 4) * 2 ** 32 : a.buf.readUInt32LE(at);
}

/** The stats nest of an indexed service or destination; prefers the 64-bit counters (kernel 4.2+) over the 32-bit ones that wrap. */
function statsOf(a: AttrIndex, stats64: number, stats32: number): Stats {
  const wide = a.has(stats64);
  const type = wide ? stats64 : stats32;
  const s = statsIndex;
  if (a.has(type)) {
    const at = a.offset(type, 0, 'IPVS_*_ATTR_STATS');
    s.index(a.buf, at, at + a.size(type));
  } else {
    s.index(a.buf, 0, 0);
  }
  return {
    conns: counter(s, StatsAttr.CONNS, wide),
    inPackets: counter(s, StatsAttr.INPKTS, wide),
    outPackets: counter(s, StatsAttr.OUTPKTS, wide),
    inBytes: counter(s, StatsAttr.INBYTES, true),
    outBytes: counter(s, StatsAttr.OUTBYTES, true),
    cps: rate(s, StatsAttr.CPS, wide),
    inPps: rate(s, StatsAttr.INPPS, wide),
    outPps: rate(s, StatsAttr.OUTPPS, wide),
    inBps: rate(s, StatsAttr.INBPS, wide),
    outBps: rate(s, StatsAttr.OUTBPS, wide),
  };
}

/** Canonical text of an IPv4 address, by its value: real servers repeat across services. */
const ipv4Text = new Map<number, string>();
const IPV4_TEXT_CACHE = 65536;

/** The union nf_inet_addr of an indexed attribute, as canonical text. */
function inetAddrOf(a: AttrIndex, type: number, family: IpFamily, what: string): string {
  if (family === 6) {
    const at = a.offset(type, 16, what);
    return formatIp(a.buf.subarray(at, at + 16));
  }
  const v = a.buf.readUInt32BE(a.offset(type, 4, what));
  let text = ipv4Text.get(v);
  if (text === undefined) {
    text = `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
    if (ipv4Text.size >= IPV4_TEXT_CACHE) ipv4Text.clear();
    ipv4Text.set(v, text);
  }
  return text;
}

function familyAttr(a: AttrIndex, type: number, what: string): IpFamily {
  const af = a.u16(type, what);
  const f = familyByNumber.get(af);
  if (!f) throw new Error(`${what}: unknown address family ${af}`);
  return f;
}

/** The IPVS_CMD_ATTR_SERVICE nest of a GET_SERVICE reply, in buf[start, end). */
export function decodeService(buf: Buffer, start = 0, end = buf.length): ServiceEntry {
  const a = svcIndex.index(buf, start, end);
  const family = familyAttr(a, SvcAttr.AF, 'IPVS_SVC_ATTR_AF');
  const scheduler = a.str(SvcAttr.SCHED_NAME, 'IPVS_SVC_ATTR_SCHED_NAME');
  const flags = a.u32(SvcAttr.FLAGS, 'IPVS_SVC_ATTR_FLAGS');
  const timeout = a.u32(SvcAttr.TIMEOUT, 'IPVS_SVC_ATTR_TIMEOUT');
  const settings = {
    scheduler,
    schedulerFlags: schedulerFlagNames(scheduler, flags),
    onePacket: (flags & SvcFlag.ONEPACKET) !== 0,
    persistence: flags & SvcFlag.PERSISTENT ? timeout : 0,
    persistencePrefix: family === 4 ? ipv4MaskPrefix(a.be32(SvcAttr.NETMASK, 'IPVS_SVC_ATTR_NETMASK')) : a.u32(SvcAttr.NETMASK, 'IPVS_SVC_ATTR_NETMASK'),
  };
  const engine = a.has(SvcAttr.PE_NAME) ? a.str(SvcAttr.PE_NAME, 'IPVS_SVC_ATTR_PE_NAME') : undefined;
  let entry: ServiceEntry;
  if (a.has(SvcAttr.FWMARK)) {
    entry = { fwmark: a.u32(SvcAttr.FWMARK, 'IPVS_SVC_ATTR_FWMARK'), family, ...settings, stats: statsOf(a, SvcAttr.STATS64, SvcAttr.STATS) };
  } else {
    const p = a.u16(SvcAttr.PROTOCOL, 'IPVS_SVC_ATTR_PROTOCOL');
    const protocol = protocolByNumber.get(p);
    if (!protocol) throw new Error(`IPVS service with unknown protocol ${p}`);
    const address = inetAddrOf(a, SvcAttr.ADDR, family, 'IPVS_SVC_ATTR_ADDR');
    const port = a.be16(SvcAttr.PORT, 'IPVS_SVC_ATTR_PORT');
    entry = { protocol, address, port, ...settings, stats: statsOf(a, SvcAttr.STATS64, SvcAttr.STATS) };
  }
  if (engine !== undefined) entry.persistenceEngine = engine;
  return entry;
}

/**
 * Prefix length of an IPv4 persistence netmask. ipvsadm accepts non-contiguous masks; lvsd
 * counts the leading ones, so such a service reads as its widest contiguous prefix.
 */
function ipv4MaskPrefix(mask: number): number {
  return Math.clz32(~mask);
}

/** A destination for NEW_DEST / SET_DEST. Tunnel attributes go with every kind, as ipvsadm sends them. */
function writeDestination(w: AttrWriter, d: Destination): void {
  const tunnel = d.forwarding === 'tun' ? d.tunnel : undefined;
  writeDestinationId(w, d);
  w.u32(DestAttr.FWD_METHOD, forwardingNumber[d.forwarding]);
  w.u32(DestAttr.WEIGHT, d.weight);
  w.u8(DestAttr.TUN_TYPE, tunnelTypeNumber[tunnel?.type ?? 'ipip']);
  w.be16(DestAttr.TUN_PORT, tunnel?.port ?? 0);
  w.u16(DestAttr.TUN_FLAGS, tunnelChecksumNumber[tunnel?.checksum ?? 'none']);
  w.u32(DestAttr.U_THRESH, d.upperThreshold);
  w.u32(DestAttr.L_THRESH, d.lowerThreshold);
}

/** The attributes that name a destination (DEL_DEST); also the head of a full destination. */
function writeDestinationId(w: AttrWriter, d: DestinationId): void {
  w.u16(DestAttr.ADDR_FAMILY, familyNumber[familyOf(d.address)]);
  writeInetAddr(w, DestAttr.ADDR, d.address);
  w.be16(DestAttr.PORT, d.port);
}

export function encodeDestination(d: Destination): Buffer[] {
  const w = new AttrWriter();
  writeDestination(w, d);
  return [w.finish()];
}

export function encodeDestinationId(d: DestinationId): Buffer[] {
  const w = new AttrWriter();
  writeDestinationId(w, d);
  return [w.finish()];
}

/** The IPVS_CMD_ATTR_DEST nest of a GET_DEST reply, in buf[start, end); kernels before 4.x omit ADDR_FAMILY. */
export function decodeDestination(buf: Buffer, fallbackFamily: IpFamily, start = 0, end = buf.length): DestinationEntry {
  const a = destIndex.index(buf, start, end);
  const family = a.has(DestAttr.ADDR_FAMILY) ? familyAttr(a, DestAttr.ADDR_FAMILY, 'IPVS_DEST_ATTR_ADDR_FAMILY') : fallbackFamily;
  const fwd = a.u32(DestAttr.FWD_METHOD, 'IPVS_DEST_ATTR_FWD_METHOD') & FWD_MASK;
  const forwarding = forwardingByNumber.get(fwd);
  if (!forwarding) throw new Error(`IPVS destination with unknown forwarding method ${fwd}`);
  const d: DestinationEntry = {
    address: inetAddrOf(a, DestAttr.ADDR, family, 'IPVS_DEST_ATTR_ADDR'),
    port: a.be16(DestAttr.PORT, 'IPVS_DEST_ATTR_PORT'),
    forwarding,
    weight: a.u32(DestAttr.WEIGHT, 'IPVS_DEST_ATTR_WEIGHT'),
    upperThreshold: a.u32(DestAttr.U_THRESH, 'IPVS_DEST_ATTR_U_THRESH'),
    lowerThreshold: a.u32(DestAttr.L_THRESH, 'IPVS_DEST_ATTR_L_THRESH'),
    activeConns: a.u32(DestAttr.ACTIVE_CONNS, 'IPVS_DEST_ATTR_ACTIVE_CONNS'),
    inactiveConns: a.u32(DestAttr.INACT_CONNS, 'IPVS_DEST_ATTR_INACT_CONNS'),
    persistentConns: a.u32(DestAttr.PERSIST_CONNS, 'IPVS_DEST_ATTR_PERSIST_CONNS'),
    stats: statsOf(a, DestAttr.STATS64, DestAttr.STATS),
  };
  if (forwarding === 'tun') {
    const type = a.has(DestAttr.TUN_TYPE) ? a.u8(DestAttr.TUN_TYPE, 'IPVS_DEST_ATTR_TUN_TYPE') : TunType.IPIP;
    const flags = a.has(DestAttr.TUN_FLAGS) ? a.u16(DestAttr.TUN_FLAGS, 'IPVS_DEST_ATTR_TUN_FLAGS') : 0;
    d.tunnel = {
      type: tunnelTypeByNumber.get(type) ?? 'ipip',
      port: a.has(DestAttr.TUN_PORT) ? a.be16(DestAttr.TUN_PORT, 'IPVS_DEST_ATTR_TUN_PORT') : 0,
      checksum: tunnelChecksumByNumber.get(flags) ?? 'none',
    };
  }
  return d;
}

/**
 * The nest `type` (CmdAttr.SERVICE or DEST) among the top-level attributes buf[start, end) of a
 * reply message, as [start, end) of its payload; undefined when the message has none.
 */
export function nestOf(type: number, buf: Buffer, start: number, end: number): [start: number, end: number] | undefined {
  const a = cmdIndex.index(buf, start, end);
  if (!a.has(type)) return undefined;
  const at = a.offset(type, 0, 'IPVS_CMD_ATTR');
  return [at, at + a.size(type)];
}

/** IPVS_CMD_SET_CONFIG attributes; a 0 leaves that timeout unchanged in the kernel. */
export function encodeTimeouts(t: Partial<Timeouts>): Buffer[] {
  return [u32(CmdAttr.TIMEOUT_TCP, t.tcp ?? 0), u32(CmdAttr.TIMEOUT_TCP_FIN, t.tcpFin ?? 0), u32(CmdAttr.TIMEOUT_UDP, t.udp ?? 0)];
}

export function decodeTimeouts(a: AttrMap): Timeouts {
  return {
    tcp: read.u32(a.get(CmdAttr.TIMEOUT_TCP), 'IPVS_CMD_ATTR_TIMEOUT_TCP'),
    tcpFin: read.u32(a.get(CmdAttr.TIMEOUT_TCP_FIN), 'IPVS_CMD_ATTR_TIMEOUT_TCP_FIN'),
    udp: read.u32(a.get(CmdAttr.TIMEOUT_UDP), 'IPVS_CMD_ATTR_TIMEOUT_UDP'),
  };
}

export function decodeInfo(a: AttrMap): Info {
  const v = read.u32(a.get(InfoAttr.VERSION), 'IPVS_INFO_ATTR_VERSION');
  return {
    version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`,
    connTableSize: read.u32(a.get(InfoAttr.CONN_TAB_SIZE), 'IPVS_INFO_ATTR_CONN_TAB_SIZE'),
  };
}

/** IPVS_CMD_ATTR_DAEMON nest for NEW_DAEMON. */
export function encodeSyncDaemon(d: SyncDaemon): Buffer[] {
  const out = [
    u32(DaemonAttr.STATE, d.state === 'master' ? DaemonState.MASTER : DaemonState.BACKUP),
    str(DaemonAttr.MCAST_IFN, d.interface),
    u32(DaemonAttr.SYNC_ID, d.syncId),
  ];
  if (d.maxLength !== undefined) out.push(u16(DaemonAttr.SYNC_MAXLEN, d.maxLength));
  if (d.group !== undefined) {
    out.push(attr(familyOf(d.group) === 6 ? DaemonAttr.MCAST_GROUP6 : DaemonAttr.MCAST_GROUP, ipBytes(d.group)));
  }
  if (d.port !== undefined) out.push(u16(DaemonAttr.MCAST_PORT, d.port));
  if (d.ttl !== undefined) out.push(u8(DaemonAttr.MCAST_TTL, d.ttl));
  return out;
}

/** IPVS_CMD_ATTR_DAEMON nest for DEL_DAEMON: only the state names which daemon to stop. */
export function encodeSyncDaemonState(state: SyncDaemon['state']): Buffer[] {
  return [u32(DaemonAttr.STATE, state === 'master' ? DaemonState.MASTER : DaemonState.BACKUP)];
}

export function decodeSyncDaemon(nest: Buffer): SyncDaemon {
  const a = parseAttrs(nest);
  const state = read.u32(a.get(DaemonAttr.STATE), 'IPVS_DAEMON_ATTR_STATE');
  const d: SyncDaemon = {
    state: state === DaemonState.MASTER ? 'master' : 'backup',
    interface: read.str(a.get(DaemonAttr.MCAST_IFN), 'IPVS_DAEMON_ATTR_MCAST_IFN'),
    syncId: read.u32(a.get(DaemonAttr.SYNC_ID), 'IPVS_DAEMON_ATTR_SYNC_ID'),
  };
  if (a.has(DaemonAttr.SYNC_MAXLEN)) d.maxLength = read.u16(a.get(DaemonAttr.SYNC_MAXLEN), 'IPVS_DAEMON_ATTR_SYNC_MAXLEN');
  const g4 = a.get(DaemonAttr.MCAST_GROUP);
  const g6 = a.get(DaemonAttr.MCAST_GROUP6);
  if (g4 && g4.length >= 4) d.group = formatIp(g4.subarray(0, 4));
  else if (g6 && g6.length >= 16) d.group = formatIp(g6.subarray(0, 16));
  if (a.has(DaemonAttr.MCAST_PORT)) d.port = read.u16(a.get(DaemonAttr.MCAST_PORT), 'IPVS_DAEMON_ATTR_MCAST_PORT');
  if (a.has(DaemonAttr.MCAST_TTL)) d.ttl = read.u8(a.get(DaemonAttr.MCAST_TTL), 'IPVS_DAEMON_ATTR_MCAST_TTL');
  return d;
}

/**
 * Top-level attributes of each command, for the client and the golden-byte tests. The service and
 * destination commands, the bulk path, come out as one buffer per message.
 */
export const request = {
  newService: (s: Service): Buffer[] => [new AttrWriter(160).nested(CmdAttr.SERVICE, (w) => writeService(w, s)).finish()],
  setService: (s: Service): Buffer[] => [new AttrWriter(160).nested(CmdAttr.SERVICE, (w) => writeService(w, s)).finish()],
  serviceId: (id: ServiceId): Buffer[] => [new AttrWriter(64).nested(CmdAttr.SERVICE, (w) => writeServiceId(w, id)).finish()],
  destination: (id: ServiceId, d: Destination): Buffer[] => [
    new AttrWriter(192)
      .nested(CmdAttr.SERVICE, (w) => writeServiceId(w, id))
      .nested(CmdAttr.DEST, (w) => writeDestination(w, d))
      .finish(),
  ],
  destinationId: (id: ServiceId, d: DestinationId): Buffer[] => [
    new AttrWriter(128)
      .nested(CmdAttr.SERVICE, (w) => writeServiceId(w, id))
      .nested(CmdAttr.DEST, (w) => writeDestinationId(w, d))
      .finish(),
  ],
  startDaemon: (d: SyncDaemon): Buffer[] => [nested(CmdAttr.DAEMON, encodeSyncDaemon(d))],
  stopDaemon: (state: SyncDaemon['state']): Buffer[] => [nested(CmdAttr.DAEMON, encodeSyncDaemonState(state))],
  timeouts: (t: Partial<Timeouts>): Buffer[] => encodeTimeouts(t),
};
