import { describe, expect, it } from 'vitest';
import { decodeAdvert, encodeAdvert, type VrrpAdvert } from '../../../src/vrrp/packet.js';
import { vrrpChecksum } from '../../../src/vrrp/checksum.js';
import { golden, goldenAdverts } from './golden.js';

const addrsOf = (label: string) => {
  const g = golden(label);
  return { family: g.family, src: g.src, dst: g.dst };
};

describe('keepalived golden adverts', () => {
  it('has every captured variant', () => {
    expect(goldenAdverts.map((g) => g.label).sort()).toEqual([
      'v2-ipv4', 'v2-ipv4-pass', 'v2-ipv4-pass-shutdown', 'v2-ipv4-shutdown', 'v3-ipv4', 'v3-ipv4-shutdown', 'v3-ipv4-unicast', 'v3-ipv4-unicast-old-checksum',
      'v3-ipv4-unicast-old-checksum-shutdown', 'v3-ipv4-unicast-shutdown', 'v3-ipv6', 'v3-ipv6-shutdown',
    ]);
  });

  const cases: Array<[string, VrrpAdvert, string]> = [
    ['v2-ipv4', { version: 2, vrid: 51, priority: 150, authType: 0, advertIntervalSec: 1, addresses: ['198.18.0.100', '198.18.0.101'] }, 'plain'],
    ['v2-ipv4-shutdown', { version: 2, vrid: 51, priority: 0, authType: 0, advertIntervalSec: 1, addresses: ['198.18.0.100', '198.18.0.101'] }, 'plain'],
    // auth_type PASS, auth_pass pw: Auth Type 1, "pw" zero-padded to 8 bytes.
    ['v2-ipv4-pass', { version: 2, vrid: 56, priority: 110, authType: 1, authData: Uint8Array.from(Buffer.from('7077000000000000', 'hex')), advertIntervalSec: 1, addresses: ['198.18.0.106'] }, 'plain'],
    ['v2-ipv4-pass-shutdown', { version: 2, vrid: 56, priority: 0, authType: 1, authData: Uint8Array.from(Buffer.from('7077000000000000', 'hex')), advertIntervalSec: 1, addresses: ['198.18.0.106'] }, 'plain'],
    ['v3-ipv4', { version: 3, vrid: 52, priority: 200, maxAdvertIntervalCs: 50, addresses: ['198.18.0.102'] }, 'pseudo-header'],
    ['v3-ipv4-shutdown', { version: 3, vrid: 52, priority: 0, maxAdvertIntervalCs: 50, addresses: ['198.18.0.102'] }, 'pseudo-header'],
    ['v3-ipv6', { version: 3, vrid: 53, priority: 120, maxAdvertIntervalCs: 100, addresses: ['2001:2::100'] }, 'pseudo-header'],
    ['v3-ipv6-shutdown', { version: 3, vrid: 53, priority: 0, maxAdvertIntervalCs: 100, addresses: ['2001:2::100'] }, 'pseudo-header'],
    ['v3-ipv4-unicast', { version: 3, vrid: 54, priority: 100, maxAdvertIntervalCs: 100, addresses: ['198.18.0.104'] }, 'pseudo-header'],
    ['v3-ipv4-unicast-shutdown', { version: 3, vrid: 54, priority: 0, maxAdvertIntervalCs: 100, addresses: ['198.18.0.104'] }, 'pseudo-header'],
    ['v3-ipv4-unicast-old-checksum', { version: 3, vrid: 55, priority: 100, maxAdvertIntervalCs: 100, addresses: ['198.18.0.105'] }, 'pseudo-header-multicast'],
    ['v3-ipv4-unicast-old-checksum-shutdown', { version: 3, vrid: 55, priority: 0, maxAdvertIntervalCs: 100, addresses: ['198.18.0.105'] }, 'pseudo-header-multicast'],
  ];

  it.each(cases)('decodes %s and records its checksum variant', (label, advert, variant) => {
    expect(decodeAdvert(golden(label).payload, addrsOf(label))).toEqual({ ok: true, advert, checksumVariant: variant });
  });

  it.each(cases)('encodes %s byte for byte', (label, advert, variant) => {
    const bytes = encodeAdvert(advert, variant as 'plain', addrsOf(label));
    expect(bytes.toString('hex')).toBe(golden(label).payload.toString('hex'));
  });
});

describe('VRRPv3 IPv4 checksum variants', () => {
  const advert: VrrpAdvert = { version: 3, vrid: 7, priority: 100, maxAdvertIntervalCs: 100, addresses: ['198.18.0.50'] };
  const multicast = { family: 4 as const, src: '198.18.0.1', dst: '224.0.0.18' };

  it('accepts the RFC 9568 form (no pseudo-header) and says so', () => {
    const bytes = encodeAdvert(advert, 'plain', multicast);
    expect(decodeAdvert(bytes, multicast)).toMatchObject({ ok: true, checksumVariant: 'plain' });
  });

  it('the RFC 5798 and RFC 9568 forms differ on the wire', () => {
    expect(encodeAdvert(advert, 'plain', multicast).equals(encodeAdvert(advert, 'pseudo-header', multicast))).toBe(false);
  });

  it('IPv6 requires the pseudo-header', () => {
    const v6 = { family: 6 as const, src: 'fe80::1', dst: 'ff02::12' };
    const v6advert: VrrpAdvert = { ...advert, addresses: ['2001:2::50'] };
    expect(decodeAdvert(encodeAdvert(v6advert, 'plain', v6), v6)).toEqual({ ok: false, reason: 'bad-checksum' });
  });

  it('rejects a checksum computed for another source (pseudo-header covers it)', () => {
    const bytes = encodeAdvert(advert, 'pseudo-header', multicast);
    expect(decodeAdvert(bytes, { ...multicast, src: '198.18.0.9' })).toEqual({ ok: false, reason: 'bad-checksum' });
  });

  it('VRRPv2 accepts only the plain checksum', () => {
    const v2: VrrpAdvert = { version: 2, vrid: 7, priority: 100, authType: 0, advertIntervalSec: 1, addresses: ['198.18.0.50'] };
    expect(decodeAdvert(encodeAdvert(v2, 'pseudo-header', multicast), multicast)).toEqual({ ok: false, reason: 'bad-checksum' });
  });

  it('checksum ignores whatever is in the checksum field', () => {
    const bytes = Buffer.from(golden('v3-ipv4').payload);
    const expected = bytes.readUInt16BE(6);
    bytes.writeUInt16BE(0xbeef, 6);
    expect(vrrpChecksum(bytes, 'pseudo-header', addrsOf('v3-ipv4'))).toBe(expected);
  });
});

describe('decode drops', () => {
  const v4 = { family: 4 as const, src: '198.18.0.1', dst: '224.0.0.18' };
  const base = (): Buffer => Buffer.from(golden('v3-ipv4').payload);
  const reencode = (bytes: Buffer): Buffer => {
    bytes.writeUInt16BE(vrrpChecksum(bytes, 'pseudo-header', v4) ?? 0, 6);
    return bytes;
  };

  it.each([
    ['too-short', () => Buffer.alloc(7)],
    ['bad-version', () => reencode(Object.assign(base(), { 0: 0x41 }))],
    ['bad-type', () => reencode(Object.assign(base(), { 0: 0x32 }))],
    ['bad-address-count', () => reencode(Object.assign(base(), { 3: 0 }))],
    ['bad-length', () => reencode(Object.assign(base(), { 3: 2 }))],
    ['bad-length', () => Buffer.concat([base(), Buffer.alloc(1)])],
    ['bad-interval', () => reencode(Object.assign(base(), { 4: 0xf0, 5: 0 }))],
    ['bad-checksum', () => Object.assign(base(), { 2: 201 })],
  ])('%s', (reason, make) => {
    expect(decodeAdvert(make(), v4)).toEqual({ ok: false, reason });
  });

  it('VRRPv2 over IPv6 is a bad version', () => {
    expect(decodeAdvert(golden('v2-ipv4').payload, { family: 6, src: 'fe80::1', dst: 'ff02::12' })).toEqual({ ok: false, reason: 'bad-version' });
  });

  it('VRRPv2 without Authentication Data (RFC 2338-era senders) is understood', () => {
    const g = golden('v2-ipv4');
    const short = Buffer.from(g.payload.subarray(0, g.payload.length - 8));
    expect(decodeAdvert(short, addrsOf('v2-ipv4'))).toMatchObject({ ok: true, advert: { vrid: 51 } });
  });

  it('ignores the reserved bits of a v3 interval field', () => {
    const bytes = reencode(Object.assign(base(), { 4: 0xf0 }));
    expect(decodeAdvert(bytes, v4)).toMatchObject({ ok: true, advert: { maxAdvertIntervalCs: 50 } });
  });
});

describe('encode refuses what the wire cannot carry', () => {
  const v4 = { family: 4 as const, src: '198.18.0.1', dst: '224.0.0.18' };
  it.each<[string, VrrpAdvert]>([
    ['no addresses', { version: 3, vrid: 1, priority: 100, maxAdvertIntervalCs: 100, addresses: [] }],
    ['vrid 0', { version: 3, vrid: 0, priority: 100, maxAdvertIntervalCs: 100, addresses: ['198.18.0.5'] }],
    ['interval 4096 cs', { version: 3, vrid: 1, priority: 100, maxAdvertIntervalCs: 4096, addresses: ['198.18.0.5'] }],
    ['IPv6 address in an IPv4 advert', { version: 3, vrid: 1, priority: 100, maxAdvertIntervalCs: 100, addresses: ['2001:2::5'] }],
    ['v2 interval 0', { version: 2, vrid: 1, priority: 100, authType: 0, advertIntervalSec: 0, addresses: ['198.18.0.5'] }],
  ])('%s', (_what, advert) => {
    expect(() => encodeAdvert(advert, 'plain', v4)).toThrow(RangeError);
  });
});
