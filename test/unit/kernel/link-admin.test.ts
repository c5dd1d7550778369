// The IFLA_LINKINFO of a macvlan and the IFLA_AF_SPEC of per-interface settings, byte for byte as
// include/uapi/linux/if_link.h and ip.h lay them out.
import { describe, expect, it } from 'vitest';
import { linkAfSpec, macvlanLinkInfo } from '../../../src/kernel/link-admin.js';

describe('macvlanLinkInfo', () => {
  it('is IFLA_INFO_KIND "macvlan" and a nested IFLA_INFO_DATA holding IFLA_MACVLAN_MODE', () => {
    expect(macvlanLinkInfo('private').toString('hex')).toBe(
      [
        '0c00', '0100', Buffer.from('macvlan\0').toString('hex'), // IFLA_INFO_KIND, 8 bytes of payload
        '0c00', '0280', // IFLA_INFO_DATA | NLA_F_NESTED, one attribute inside
        '0800', '0100', '01000000', // IFLA_MACVLAN_MODE = MACVLAN_MODE_PRIVATE
      ].join(''),
    );
    expect(macvlanLinkInfo('bridge').subarray(-4).readUInt32LE(0)).toBe(4);
  });
});

describe('linkAfSpec', () => {
  it('puts net.ipv4.conf values under AF_INET / IFLA_INET_CONF by IPV4_DEVCONF index, addr_gen_mode under AF_INET6', () => {
    const spec = linkAfSpec({ ipv4: { arp_ignore: 1, rp_filter: 0 }, ipv6AddrGenMode: 'none' });
    expect([...spec.keys()]).toEqual([2, 10]);
    expect(spec.get(2)?.toString('hex')).toBe(['1400', '0180', '0800', '1300', '01000000', '0800', '0800', '00000000'].join(''));
    expect(spec.get(10)?.toString('hex')).toBe(['0500', '0800', '01000000'].join(''));
    expect(linkAfSpec({}).size).toBe(0);
  });
});
