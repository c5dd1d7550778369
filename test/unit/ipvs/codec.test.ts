import { describe, expect, it } from 'vitest';
import { parseAttrs } from '../../../src/kernel/attrs.js';
import {
  decodeDestination,
  decodeInfo,
  decodeService,
  decodeSyncDaemon,
  decodeTimeouts,
  encodeDestination,
  encodeService,
  encodeSyncDaemon,
  request,
  schedulerFlagNames,
} from '../../../src/ipvs/codec.js';
import { Cmd, CmdAttr } from '../../../src/ipvs/constants.js';
import type { Destination, Service } from '../../../src/ipvs/types.js';
import { dumped, sent } from './golden.js';

/** What lvsd puts after the nlmsghdr: genl header (cmd, version 1, reserved) and attributes. */
const payload = (cmd: number, attrs: Buffer[]): string => Buffer.concat([Buffer.of(cmd, 1, 0, 0), ...attrs]).toString('hex');
/** The top-level attributes of a captured payload. */
const topAttrs = (hex: string) => parseAttrs(Buffer.from(hex, 'hex').subarray(4));
const nest = (hex: string, type: number): Buffer => {
  const b = topAttrs(hex).get(type);
  if (!b) throw new Error(`golden payload has no attribute ${type}`);
  return b;
};

const tcpWrr: Service = {
  protocol: 'tcp', address: '198.18.0.100', port: 80,
  scheduler: 'wrr', schedulerFlags: [], onePacket: false, persistence: 300, persistencePrefix: 32,
};
const udp6Mh: Service = {
  protocol: 'udp', address: '2001:2::100', port: 53,
  scheduler: 'mh', schedulerFlags: ['mh-fallback', 'mh-port'], onePacket: true, persistence: 0, persistencePrefix: 128,
};
const fwmark6Sh: Service = {
  fwmark: 7, family: 6,
  scheduler: 'sh', schedulerFlags: ['sh-fallback', 'sh-port'], onePacket: false, persistence: 60, persistencePrefix: 64,
};
const sctpLc: Service = {
  protocol: 'sctp', address: '198.18.0.101', port: 9,
  scheduler: 'lc', schedulerFlags: [], onePacket: false, persistence: 10, persistencePrefix: 24,
};
const drDest: Destination = { address: '198.18.1.11', port: 80, forwarding: 'dr', weight: 100, upperThreshold: 10, lowerThreshold: 5 };

describe('IPVS codec against ipvsadm 1.31 bytes', () => {
  it('encodes NEW_SERVICE and SET_SERVICE exactly as ipvsadm does', () => {
    expect(payload(Cmd.NEW_SERVICE, request.newService(tcpWrr))).toBe(sent.newServiceTcpWrrPersistent);
    expect(payload(Cmd.SET_SERVICE, request.setService({ ...tcpWrr, scheduler: 'rr', persistence: 0 }))).toBe(sent.setServiceTcpRr);
    expect(payload(Cmd.NEW_SERVICE, request.newService(udp6Mh))).toBe(sent.newServiceUdp6MhOnePacket);
    expect(payload(Cmd.NEW_SERVICE, request.newService(fwmark6Sh))).toBe(sent.newServiceFwmark6Sh);
    expect(payload(Cmd.NEW_SERVICE, request.newService(sctpLc))).toBe(sent.newServiceSctpLc);
  });

  it('encodes the destination nest of NEW_DEST / SET_DEST exactly as ipvsadm does', () => {
    // ipvsadm also sends the whole service (with an empty scheduler) to name it; lvsd sends only
    // the identifying attributes, which is all ip_vs_ctl.c reads for destination commands.
    expect(Buffer.concat(encodeDestination(drDest)).toString('hex')).toBe(nest(sent.newDestDr, CmdAttr.DEST).toString('hex'));
    const masq: Destination = { ...drDest, forwarding: 'nat', weight: 50, upperThreshold: 0, lowerThreshold: 0 };
    expect(Buffer.concat(encodeDestination(masq)).toString('hex')).toBe(nest(sent.setDestMasq, CmdAttr.DEST).toString('hex'));
  });

  it('encodes a GUE tunnel destination with an IPv4 address under an IPv6 service', () => {
    const tun: Destination = {
      address: '198.18.1.12', port: 53, forwarding: 'tun', weight: 3, upperThreshold: 0, lowerThreshold: 0,
      tunnel: { type: 'gue', port: 6080, checksum: 'none' },
    };
    const theirs = Buffer.from(nest(sent.newDestTunGueV4InV6, CmdAttr.DEST));
    // ipvsadm leaves stale bytes after the IPv4 address in the 16-byte ADDR (nest offset 12..27);
    // lvsd zeroes them. The kernel reads the first 4 only.
    theirs.fill(0, 16, 28);
    expect(Buffer.concat(encodeDestination(tun)).toString('hex')).toBe(theirs.toString('hex'));
  });

  it('encodes timeouts, the sync daemon, flush and dump requests as ipvsadm does', () => {
    expect(payload(Cmd.SET_CONFIG, request.timeouts({ tcp: 900, tcpFin: 120, udp: 300 }))).toBe(sent.setConfigTimeouts);
    expect(payload(Cmd.NEW_DAEMON, request.startDaemon({ state: 'master', interface: 'lvsdsync', syncId: 5 }))).toBe(sent.newDaemonMaster);
    expect(payload(Cmd.FLUSH, [])).toBe(sent.flush);
    expect(payload(Cmd.GET_SERVICE, [])).toBe(dumped.getServiceDump);
    expect(payload(Cmd.GET_DEST, request.serviceId(tcpWrr))).toBe(dumped.getDestDumpTcp);
    expect(payload(Cmd.GET_DEST, request.serviceId(fwmark6Sh))).toBe(dumped.getDestDumpFwmark);
  });

  it('decodes the kernel service dump', () => {
    const svc = (hex: string) => decodeService(nest(hex, CmdAttr.SERVICE));
    const zero = { conns: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
    expect(svc(dumped.serviceUdp6Mh)).toEqual({ ...udp6Mh, stats: zero });
    expect(svc(dumped.serviceTcpRr)).toEqual({ ...tcpWrr, scheduler: 'rr', persistence: 0, stats: zero });
    expect(svc(dumped.serviceSctpLc)).toEqual({ ...sctpLc, stats: zero });
    expect(svc(dumped.serviceFwmark6Sh)).toEqual({ ...fwmark6Sh, stats: zero });
  });

  it('decodes the kernel destination dump, tunnel settings included', () => {
    const masq = decodeDestination(nest(dumped.destTcpMasq, CmdAttr.DEST), 4);
    expect(masq).toMatchObject({ address: '198.18.1.11', port: 80, forwarding: 'nat', weight: 50, upperThreshold: 0, lowerThreshold: 0, activeConns: 0, inactiveConns: 0, persistentConns: 0 });
    expect(masq.tunnel).toBeUndefined();
    const tun = decodeDestination(nest(dumped.destTunGue, CmdAttr.DEST), 6);
    expect(tun).toMatchObject({ address: '198.18.1.12', port: 53, forwarding: 'tun', weight: 3, tunnel: { type: 'gue', port: 6080, checksum: 'none' } });
  });

  it('decodes GET_INFO and GET_CONFIG replies', () => {
    expect(decodeInfo(topAttrs(dumped.infoReply))).toEqual({ version: '1.2.1', connTableSize: 4096 });
    expect(decodeTimeouts(topAttrs(dumped.configReply))).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  });
});

describe('IPVS codec round trips', () => {
  it('reads back every service setting it writes', () => {
    const cases: Service[] = [
      tcpWrr, udp6Mh, fwmark6Sh, sctpLc,
      { ...sctpLc, persistencePrefix: 0 },
      { protocol: 'tcp', address: '2001:2::1', port: 443, scheduler: 'wlc', schedulerFlags: [], onePacket: false, persistence: 3600, persistencePrefix: 48, persistenceEngine: 'sip' },
      { fwmark: 1, family: 4, scheduler: 'rr', schedulerFlags: ['flag-3'], onePacket: true, persistence: 0, persistencePrefix: 32 },
    ];
    for (const s of cases) {
      const { stats, ...back } = decodeService(Buffer.concat(encodeService(s)));
      expect(stats.conns).toBe(0n);
      expect(back).toEqual(s);
    }
  });

  it('reads back sync daemon settings, IPv4 and IPv6 groups', () => {
    const v4 = { state: 'backup', interface: 'eth1', syncId: 9, maxLength: 1400, group: '239.1.2.3', port: 8849, ttl: 2 } as const;
    const v6 = { state: 'master', interface: 'eth2', syncId: 1, group: 'ff02::1:2' } as const;
    expect(decodeSyncDaemon(Buffer.concat(encodeSyncDaemon(v4)))).toEqual(v4);
    expect(decodeSyncDaemon(Buffer.concat(encodeSyncDaemon(v6)))).toEqual(v6);
    expect(() => encodeSyncDaemon({ ...v4, group: 'not-an-address' })).toThrow(/not an IP address/);
  });

  it('names scheduler flag bits in the scheduler\'s vocabulary', () => {
    expect(schedulerFlagNames('sh', 0x18)).toEqual(['sh-fallback', 'sh-port']);
    expect(schedulerFlagNames('mh', 0x08)).toEqual(['mh-fallback']);
    expect(schedulerFlagNames('rr', 0x38)).toEqual(['flag-1', 'flag-2', 'flag-3']);
  });

  it('decodes 64-bit stats beyond 2^32', () => {
    const big = 2n ** 40n + 7n;
    const u64 = (type: number, v: bigint): Buffer => {
      const b = Buffer.alloc(12);
      b.writeUInt16LE(12, 0);
      b.writeUInt16LE(type, 2);
      b.writeBigUInt64LE(v, 4);
      return b;
    };
    const stats64 = Buffer.concat([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((t) => u64(t, big + BigInt(t))));
    const header = Buffer.alloc(4);
    header.writeUInt16LE(4 + stats64.length, 0);
    header.writeUInt16LE(12 | 0x8000, 2); // IPVS_SVC_ATTR_STATS64, nested
    const s = decodeService(Buffer.concat([...encodeService(tcpWrr), header, stats64]));
    expect(s.stats.conns).toBe(big + 1n);
    expect(s.stats.outBytes).toBe(big + 5n);
    expect(s.stats.outBps).toBe(Number(big + 10n));
  });
});
