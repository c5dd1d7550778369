// From YAML through the config loader to the health monitor's input: the two subsystems agree
// on field names and defaults. (effectiveDestinations reads IPVS destinations the daemon maps
// from the config; test/unit/daemon/ipvs-manager.test.ts covers that path.)
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { checkTargets } from '../../../src/health/targets.js';

const yaml = `
node: { name: lb1 }
services:
  - name: web
    vip: 198.18.0.100
    port: 80
    check: { type: http, path: /healthz, interval: 5s }
    real_servers:
      - { address: 198.18.1.11, weight: 100 }
      - { address: 198.18.1.12, weight: 50, check: { type: tcp, port: 8080 } }
  - name: dns
    vip: 198.18.0.53
    port: 53
    protocol: udp
    real_servers:
      - { address: 198.18.1.21 }
`;

function load(): Config {
  const r = parseConfigText(yaml, 'test.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.config;
}

describe('checkTargets', () => {
  it('monitors each real server with its own check or its service’s, with the loader’s defaults', () => {
    const targets = checkTargets(load().services, (service, rs) => service === 'web' && rs === '198.18.1.12:80');
    expect(targets).toEqual([
      {
        service: 'web',
        address: '198.18.1.11',
        port: 80,
        initialUp: false,
        check: expect.objectContaining({ type: 'http', method: 'GET', path: '/healthz', interval: 5000, timeout: 1000, rise: 2, fall: 3, expect_status: [200] }),
      },
      { service: 'web', address: '198.18.1.12', port: 80, initialUp: true, check: expect.objectContaining({ type: 'tcp', port: 8080, interval: 2000 }) },
    ]);
  });
});
