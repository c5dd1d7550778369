// The small kernel-facing helpers real-server setup relies on: sysctl key handling and the
// RTA_MULTIPATH decoder for ECMP default routes.
import { describe, expect, it } from 'vitest';
import { parseMultipath } from '../../../src/kernel/routes.js';
import { interfaceSysctl, readSysctl, sysctlDisplayName, writeSysctl } from '../../../src/kernel/sysctl.js';

describe('sysctl keys', () => {
  it('are slash paths, shown dotted unless an interface name has a dot (VLANs)', () => {
    expect(interfaceSysctl('ipv4', 'eth0', 'arp_ignore')).toBe('net/ipv4/conf/eth0/arp_ignore');
    expect(sysctlDisplayName('net/ipv4/conf/eth0/arp_ignore')).toBe('net.ipv4.conf.eth0.arp_ignore');
    expect(sysctlDisplayName('net/ipv4/conf/eth0.100/rp_filter')).toBe('net/ipv4/conf/eth0.100/rp_filter');
  });

  it('reject path tricks', () => {
    expect(() => interfaceSysctl('ipv4', '../../kernel', 'x')).toThrow('invalid sysctl key');
    expect(() => readSysctl('net/ipv4/../../kernel/hostname')).toThrow('invalid sysctl key');
    expect(() => writeSysctl('net//x', '1')).toThrow('invalid sysctl key');
  });

  it('read the running kernel, with undefined for a key that does not exist', () => {
    expect(readSysctl('net/ipv4/conf/lo/arp_ignore')).toMatch(/^\d+$/);
    expect(readSysctl('net/ipv4/conf/lvsd-no-such-if/arp_ignore')).toBeUndefined();
  });
});

describe('RTA_MULTIPATH', () => {
  it('decodes each struct rtnexthop with its RTA_GATEWAY', () => {
    // struct rtnexthop { u16 len; u8 flags; u8 hops; s32 ifindex } + nlattr { u16 len 8; u16 type 5 } + 4 address bytes.
    const hop = (ifindex: number, gw: number[]): Buffer => {
      const b = Buffer.alloc(16);
      b.writeUInt16LE(16, 0);
      b.writeInt32LE(ifindex, 4);
      b.writeUInt16LE(8, 8);
      b.writeUInt16LE(5, 10);
      Buffer.from(gw).copy(b, 12);
      return b;
    };
    const noGateway = Buffer.alloc(8);
    noGateway.writeUInt16LE(8, 0);
    noGateway.writeInt32LE(4, 4);
    expect(parseMultipath(Buffer.concat([hop(2, [198, 18, 0, 1]), hop(3, [198, 19, 0, 1]), noGateway]))).toEqual([
      { ifindex: 2, gateway: '198.18.0.1' },
      { ifindex: 3, gateway: '198.19.0.1' },
      { ifindex: 4 },
    ]);
  });

  it('stops at a truncated entry instead of reading past the buffer', () => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(32, 0);
    expect(parseMultipath(b)).toEqual([]);
  });
});
