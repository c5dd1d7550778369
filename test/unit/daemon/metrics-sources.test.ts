// The daemon's state as metric rows (metrics-sources.ts), without a daemon.
import { describe, expect, it } from 'vitest';
import { realServerMetricsViews } from '../../../src/daemon/metrics-sources.js';
import type { Config } from '../../../src/config/types.js';
import type { RealServerStatus } from '../../../src/health/index.js';

const config = {
  services: [
    {
      name: 'web',
      check: { type: 'tcp' },
      real_servers: [
        { address: '198.18.1.11', port: 80, weight: 100 },
        { address: '2001:2::12', port: 80, weight: 50 },
      ],
    },
  ],
} as unknown as Config;

describe('real-server metric rows', () => {
  it('carry the weight programmed in IPVS beside the configured one, and the health verdict', () => {
    const health = [{ service: 'web', realServer: '198.18.1.11:80', state: { up: true } }] as unknown as RealServerStatus[];
    const programmed = new Map([['web|198.18.1.11:80', 0]]);
    const rows = realServerMetricsViews(config, health, (service, server) => programmed.get(`${service}|${server}`));
    expect(rows).toEqual([
      // Drained: 0 in the kernel, 100 in the config.
      { service: 'web', server: '198.18.1.11:80', up: true, weight: 0, configuredWeight: 100 },
      // Checked, no verdict yet, not in the kernel.
      { service: 'web', server: '[2001:2::12]:80', up: false, weight: 0, configuredWeight: 50 },
    ]);
  });
});
