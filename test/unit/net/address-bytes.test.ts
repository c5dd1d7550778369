import { describe, expect, it } from 'vitest';
// The bytes the kernel encoders (rtnetlink, routes, ARP/NA frames, IPVS) take from net/address.ts.
import { addressBytes, formatIp } from '../../../src/net/address.js';

describe('IP address bytes', () => {
  it.each([
    ['198.18.0.1', 'c6120001'],
    ['2001:2::1', '20010002000000000000000000000001'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['2001:2:0:1:0:0:0:0', '20010002000000010000000000000000'],
    ['::ffff:198.18.0.1', '00000000000000000000ffffc6120001'],
  ])('%s <-> %s', (text, bytes) => {
    expect(addressBytes(text).toString('hex')).toBe(bytes);
  });

  it.each([
    ['20010002000000000000000000000001', '2001:2::1'],
    ['20010002000000010000000000000000', '2001:2:0:1::'],
    // RFC 5952: the longest run of zero groups is shortened, the first of equal runs, never a single group.
    ['20010000000000010000000000010001', '2001::1:0:0:1:1'],
    ['20010000000000010000000000000001', '2001:0:0:1::1'],
    ['20010002000000010001000100010001', '2001:2:0:1:1:1:1:1'],
    ['00000000000000000000000000000000', '::'],
    ['c6120001', '198.18.0.1'],
  ])('%s formats as %s', (bytes, text) => {
    expect(formatIp(Buffer.from(bytes, 'hex'))).toBe(text);
  });

  it('round-trips', () => {
    for (const ip of ['2001:2:0:8::100', 'fe80::a8c1:abff:fe00:1', '198.19.255.254']) expect(formatIp(addressBytes(ip))).toBe(ip);
  });

  it('rejects what is not an address', () => {
    expect(() => addressBytes('198.18.0.1', 6)).toThrow(/not an IPv6 address/);
    expect(() => addressBytes('fe80::1%eth0')).toThrow(/not an IP address/);
    expect(() => formatIp(Buffer.alloc(5))).toThrow(/4 or 16 bytes/);
  });
});
