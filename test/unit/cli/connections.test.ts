// How `lvsd connections` reads its SERVICE argument: the address forms ipvsadm prints, or else a
// service name looked up in the config.
import { describe, expect, it } from 'vitest';
import { filterFromAddress } from '../../../src/cli/commands/connections.js';

describe('lvsd connections SERVICE', () => {
  it('takes VIP:PORT, [IPv6]:PORT, a bare VIP and an optional protocol', () => {
    expect(filterFromAddress('198.18.0.100:80')).toEqual({ vip: '198.18.0.100', vport: 80 });
    expect(filterFromAddress('udp [2001:2:0::53]:53')).toEqual({ vip: '2001:2::53', vport: 53, protocol: 'UDP' });
    expect(filterFromAddress('198.18.0.100')).toEqual({ vip: '198.18.0.100', vport: 0 });
    expect(filterFromAddress('TCP 2001:2::1')).toEqual({ vip: '2001:2::1', vport: 0, protocol: 'TCP' });
  });

  it('leaves anything else to be a service name', () => {
    for (const name of ['web', 'web-80', 'tcp', '198.18.0.100:99999', 'icmp 198.18.0.1']) expect(filterFromAddress(name)).toBeUndefined();
  });
});
