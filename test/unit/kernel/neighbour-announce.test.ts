// Gratuitous ARP and unsolicited NA byte layouts. The reference bytes were sent by keepalived
// 2.2.7 as a new master in a network namespace (veth, MAC ca:85:c8:70:b1:ef) and captured with
// `tcpdump -xx` on the peer; where lvsd deliberately differs, the test says so.
import { describe, expect, it } from 'vitest';
import { buildGratuitousArp, buildUnsolicitedNa, parseMac } from '../../../src/kernel/neighbour-announce.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const KEEPALIVED_MAC = 'ca:85:c8:70:b1:ef';
// Ethernet + ARP, 42 bytes: who-has 198.18.10.100 tell 198.18.10.100.
const KEEPALIVED_GARP = hex(`
  ffff ffff ffff ca85 c870 b1ef 0806 0001
  0800 0604 0001 ca85 c870 b1ef c612 0a64
  ffff ffff ffff c612 0a64`);
// The ICMPv6 part of keepalived's NA for 2001:2:0:10::100 (router flag clear), checksum cf93.
const KEEPALIVED_NA = hex(`
  8800 cf93 2000 0000 2001 0002 0000 0010
  0000 0000 0000 0100 0201 ca85 c870 b1ef`);

describe('buildGratuitousArp', () => {
  const frame = buildGratuitousArp(KEEPALIVED_MAC, '198.18.10.100');

  it("matches keepalived's announcement except the target hardware address and the padding", () => {
    expect(frame.subarray(0, 32)).toEqual(KEEPALIVED_GARP.subarray(0, 32));
    expect(frame.subarray(38, 42)).toEqual(KEEPALIVED_GARP.subarray(38, 42));
  });

  it('leaves the target hardware address zero (RFC 5227 section 2.3; keepalived sends ff:ff:…)', () => {
    expect(frame.subarray(32, 38)).toEqual(Buffer.alloc(6));
  });

  it('pads to the 60-byte Ethernet minimum so no driver has to', () => {
    expect(frame.length).toBe(60);
    expect(frame.subarray(42)).toEqual(Buffer.alloc(18));
  });

  it('takes the MAC as bytes too, and rejects what is not an address', () => {
    expect(buildGratuitousArp(parseMac(KEEPALIVED_MAC), '198.18.10.100')).toEqual(frame);
    expect(() => buildGratuitousArp('ca:85:c8:70:b1', '198.18.10.100')).toThrow(/not a MAC address/);
    expect(() => buildGratuitousArp(KEEPALIVED_MAC, '2001:2::1')).toThrow(/not an IPv4 address/);
  });
});

describe('buildUnsolicitedNa', () => {
  it("matches keepalived's advertisement byte for byte, checksum aside (the kernel fills it)", () => {
    const msg = buildUnsolicitedNa('2001:2:0:10::100', KEEPALIVED_MAC, false);
    const expected = Buffer.from(KEEPALIVED_NA);
    expected.writeUInt16BE(0, 2);
    expect(msg).toEqual(expected);
  });

  it('sets the router flag when asked, never the solicited flag', () => {
    const msg = buildUnsolicitedNa('2001:2:0:10::100', KEEPALIVED_MAC, true);
    expect(msg[4]).toBe(0xa0);
  });
});
