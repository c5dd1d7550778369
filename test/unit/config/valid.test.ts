// The full-vocabulary example loads cleanly: every feature at once, no errors, no warnings.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../../src/cli/check-report.js';
import { instanceFamily } from '../../../src/config/derived.js';
import { formatIssue, loadConfigFile } from '../../../src/config/load.js';

const full = fileURLToPath(new URL('../../fixtures/config/valid/full.yaml', import.meta.url));

describe('test/fixtures/config/valid/full.yaml', () => {
  it('loads without errors or warnings', async () => {
    const result = await loadConfigFile(full);
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
    expect(result.warnings.map(formatIssue)).toEqual([]);
    const { config } = result;
    expect(config.vrrp.instances.map(instanceFamily)).toEqual([4, 6, 4]);
    expect(config.ipvs.timeouts).toEqual({ tcp: 900_000, tcpfin: 120_000, udp: 300_000 });
    expect(config.vrrp.instances[0]?.track.scripts[0]).toEqual({
      name: 'haproxy', command: ['/usr/bin/pgrep', '-x', 'haproxy'], interval: 2000, timeout: 1000, weight: -20, rise: 2, fall: 2,
    });
    const marked = config.services.find((s) => s.name === 'marked');
    expect(marked?.real_servers.map((rs) => [rs.address, rs.port, rs.forwarding])).toEqual([['198.18.5.1', 0, 'tun'], ['198.18.5.2', 0, 'tun']]);
    expect(config.services.find((s) => s.name === 'web')?.persistence_netmask).toBe(24);

    expect(formatSummary(config, 'full.yaml')).toEqual([
      'full.yaml: OK, node lb1',
      'VRRP instances: 3',
      '  front4  eth0  vrid 51  prio 150  v3  every 100ms  unicast to 198.18.0.3  198.18.0.100/24 198.18.0.101/24',
      '  front6  eth0  vrid 51  prio 150  v3  every 1s     multicast              2001:2::100/64',
      '  legacy  eth1  vrid 12  prio 100  v2  every 1s     multicast              198.18.2.100/24',
      'sync groups: 1',
      '  front  front4, front6',
      'services: 5',
      '  web     tcp 198.18.0.100:443  mh   dr   3 real servers  check https  persistence 5m',
      '  web6    tcp [2001:2::100]:80  wlc  nat  2 real servers  check http',
      '  dns     udp 198.18.0.101:53   sh   dr   2 real servers  check dns',
      '  syslog  udp 198.18.2.100:514  wlc  dr   1 real server   check udp',
      '  marked  fwmark 42 ipv4        rr   tun  2 real servers  check exec   persistence 10m',
    ]);
  });
});
