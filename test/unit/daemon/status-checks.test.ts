// lvsd status with several checks on a real server: the reason names the failing check, and the
// JSON lists each check's health and reason.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { statusReport } from '../../../src/daemon/status.js';
import { HealthMonitor } from '../../../src/health/monitor.js';
import { checkTargets } from '../../../src/health/targets.js';
import type { CheckSpec, ProbeResult } from '../../../src/health/types.js';
import { FakeClock } from '../../support/fake-clock.js';

describe('status of a real server with several checks', () => {
  it('names the failing check in the reason and lists every check', async () => {
    const r = parseConfigText(`node: { name: lb1 }
services:
  - name: web
    vip: 198.18.0.100
    port: 80
    check: [{ type: tcp, rise: 1, fall: 1 }, { type: http, path: /ready, rise: 1, fall: 1 }]
    real_servers: [{ address: 198.18.1.11 }]
`, 't.yaml');
    if (!r.ok) throw new Error('config');
    const clock = new FakeClock();
    const monitor = new HealthMonitor({
      clock, jitter: 0, random: () => 0,
      checker: async (_t, spec: CheckSpec): Promise<ProbeResult> => (spec.type === 'tcp' ? { ok: true, reason: 'connected', durationMs: 1 } : { ok: false, reason: 'status 503', durationMs: 1 }),
    });
    monitor.update(checkTargets(r.config.services));
    monitor.start();
    await clock.advance(100);
    monitor.stop();
    const report = await statusReport({ config: r.config, configHash: 'h', vrrp: [], health: monitor.status(), overrides: [], drains: [], quorum: () => undefined, kernel: undefined });
    expect(report.services[0]?.realServers[0]).toMatchObject({
      health: 'down',
      reason: 'http /ready: status 503',
      checks: [{ label: 'tcp', health: 'up', reason: 'passed check' }, { label: 'http /ready', health: 'down', reason: 'status 503' }],
    });
  });
});
