// The IFLA_LINKINFO of a macvlan, byte for byte as include/uapi/linux/if_link.h lays it out.
import { describe, expect, it } from 'vitest';
import { macvlanLinkInfo } from '../../../src/netlink/link-admin.js';

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
