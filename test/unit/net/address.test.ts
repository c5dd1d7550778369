import { describe, expect, it } from 'vitest';
import {
  formatIp, ipToBytes, isIpv6LinkLocal, isSubnetBroadcast, mappedIpv4, netmaskToPrefix, parseCidr, parseHostPort, parseIp,
  specialAddressKind,
} from '../../../src/net/address.js';

describe('parseIp', () => {
  it.each([
    ['198.18.0.1', 4, '198.18.0.1'],
    ['0.0.0.0', 4, '0.0.0.0'],
    ['255.255.255.255', 4, '255.255.255.255'],
    ['2001:2::1', 6, '2001:2::1'],
    ['2001:0002:0000:0000:0000:0000:0000:0001', 6, '2001:2::1'],
    ['2001:DB8::A', 6, '2001:db8::a'],
    ['::', 6, '::'],
    ['::1', 6, '::1'],
    ['fe80::1', 6, 'fe80::1'],
    // RFC 5952 4.2.2: a single zero group is not compressed; 4.2.3: the first of equal runs is.
    ['2001:2:0:1:1:1:1:1', 6, '2001:2:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', 6, '2001:0:0:1::1'],
    ['2001:2:0:0:1:0:0:1', 6, '2001:2::1:0:0:1'],
    ['::ffff:198.18.0.1', 6, '::ffff:c612:1'],
  ])('%s', (text, family, canonical) => {
    expect(parseIp(text)).toEqual({ family, address: canonical });
  });

  it.each(['', '198.18.0', '198.18.0.256', '198.18.0.01', '198.18.0.1.2', ' 198.18.0.1', '2001:2::1::2', '2001:2:3:4:5:6:7:8:9', '2001:2::g', 'fe80::1%eth0', '198.18.0.1/32', '1:2:3:4:5:6:7::8:9', '12345::1'])(
    'rejects %j',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );

  it('round-trips bytes', () => {
    const bytes = ipToBytes('2001:2::a:b');
    expect(bytes).toHaveLength(16);
    expect(formatIp(bytes ?? new Uint8Array())).toBe('2001:2::a:b');
    expect(Array.from(ipToBytes('198.18.1.2') ?? [])).toEqual([198, 18, 1, 2]);
  });
});

describe('parseCidr', () => {
  it('parses address/prefix', () => {
    expect(parseCidr('198.18.0.100/24')).toEqual({ family: 4, address: '198.18.0.100', prefix: 24 });
    expect(parseCidr('2001:2::100/64')).toEqual({ family: 6, address: '2001:2::100', prefix: 64 });
  });
  it('defaults a bare address to a host prefix only when asked', () => {
    expect(parseCidr('198.18.0.100')).toBeUndefined();
    expect(parseCidr('198.18.0.100', { defaultHostPrefix: true })).toEqual({ family: 4, address: '198.18.0.100', prefix: 32 });
    expect(parseCidr('2001:2::1', { defaultHostPrefix: true })?.prefix).toBe(128);
  });
  it.each(['198.18.0.1/33', '2001:2::1/129', '198.18.0.1/', '198.18.0.1/024', '198.18.0.1/-1', 'x/24'])('rejects %j', (text) => {
    expect(parseCidr(text, { defaultHostPrefix: true })).toBeUndefined();
  });
});

describe('netmaskToPrefix', () => {
  it.each([
    ['255.255.255.0', 24],
    ['255.255.255.255', 32],
    ['0.0.0.0', 0],
    ['255.255.128.0', 17],
  ])('%s -> /%d', (mask, prefix) => {
    expect(netmaskToPrefix(mask)).toBe(prefix);
  });
  it('rejects non-contiguous masks', () => {
    expect(netmaskToPrefix('255.0.255.0')).toBeUndefined();
    expect(netmaskToPrefix('24')).toBeUndefined();
  });
});

describe('parseHostPort', () => {
  it('parses IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('127.0.0.1:9810')).toEqual({ family: 4, address: '127.0.0.1', port: 9810 });
    expect(parseHostPort('[2001:2::1]:9810')).toEqual({ family: 6, address: '2001:2::1', port: 9810 });
  });
  it.each(['127.0.0.1', '2001:2::1:9810', '[127.0.0.1]:80', 'localhost:80', '127.0.0.1:0', '127.0.0.1:65536'])('rejects %j', (text) => {
    expect(parseHostPort(text)).toBeUndefined();
  });
});

describe('isIpv6LinkLocal', () => {
  it('recognizes fe80::/10 only', () => {
    expect(isIpv6LinkLocal('fe80::1')).toBe(true);
    expect(isIpv6LinkLocal('febf::1')).toBe(true);
    expect(isIpv6LinkLocal('fec0::1')).toBe(false);
    expect(isIpv6LinkLocal('2001:2::1')).toBe(false);
  });
});

describe('specialAddressKind', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['224.0.0.18', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['ff02::12', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['::ffff:198.18.0.1', 'ipv4-mapped'],
    ['0:0:0:0:0:ffff:c612:1', 'ipv4-mapped'],
    ['FE80::1', 'link-local'],
    ['FF02::1', 'multicast'],
    ['0000::', 'unspecified'],
  ])('%s is %s', (address, kind) => {
    expect(specialAddressKind(address)).toBe(kind);
  });

  it.each([
    '198.18.0.1', '0.0.0.1', '126.255.255.255', '128.0.0.1', '168.254.0.1', '223.255.255.255', '240.0.0.1', '254.255.255.255', '169.255.0.1',
    '2001:2::1', 'E000::1', 'efff::1', 'f::1', 'fe7f::1', 'fec0::1', 'FF::1', '::2', '::198.18.0.1', '0:0:0:0:0:fffe:c612:1', 'not an address', '127.x',
  ])(
    '%s is ordinary', (address) => {
      expect(specialAddressKind(address)).toBeUndefined();
    },
  );
});

describe('mappedIpv4', () => {
  it('extracts the IPv4 address of ::ffff:0:0/96 only', () => {
    expect(mappedIpv4('::ffff:c612:1')).toBe('198.18.0.1');
    expect(mappedIpv4('::ffff:198.18.0.1')).toBe('198.18.0.1');
    expect(mappedIpv4('2001:2::1')).toBeUndefined();
    expect(mappedIpv4('198.18.0.1')).toBeUndefined();
  });
});

describe('isSubnetBroadcast', () => {
  it('is true when every host bit is set, for prefixes up to /30', () => {
    expect(isSubnetBroadcast('198.18.0.255', 24)).toBe(true);
    expect(isSubnetBroadcast('198.18.1.255', 23)).toBe(true);
    expect(isSubnetBroadcast('198.18.0.255', 23)).toBe(false);
    expect(isSubnetBroadcast('198.18.0.3', 30)).toBe(true);
    expect(isSubnetBroadcast('198.19.255.255', 15)).toBe(true);
    expect(isSubnetBroadcast('198.18.0.254', 24)).toBe(false);
  });

  it('is false for /31 and /32 (no broadcast) and for IPv6', () => {
    expect(isSubnetBroadcast('198.18.0.1', 31)).toBe(false);
    expect(isSubnetBroadcast('198.18.0.255', 32)).toBe(false);
    expect(isSubnetBroadcast('2001:2::ffff', 112)).toBe(false);
  });
});
