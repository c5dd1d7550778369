// `lvsd status` as a table: removals still draining and where an override came from.
import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../../src/cli/format-status.js';
import type { StatusReport } from '../../../src/daemon/status.js';
import { realServerReport, serviceReport } from '../../support/status-reports.js';

const server = realServerReport;
const draining = (secondsLeft: number) => ({ since: '2026-12-01T02:00:00.000Z', deadline: '2026-12-01T02:05:00.000Z', secondsLeft });
const service = serviceReport;

describe('formatStatus', () => {
  it('shows removed real servers and services that are draining, with connections and time left, and override sources', () => {
    const report: StatusReport = {
      node: 'lb1',
      configHash: 'abc',
      vrrp: [],
      unmanaged: [],
      services: [
        service({
          realServers: [
            server({ override: 'drain', overrideSource: 'peer', weight: 0 }),
            server({ server: '198.18.1.12:80', configuredWeight: 0, weight: 0, inConfig: false, activeConnections: 7, draining: draining(250) }),
          ],
        }),
        service({ name: 'tcp 198.18.0.101:443', match: 'tcp 198.18.0.101:443', inConfig: false, draining: draining(59), realServers: [server({ server: '198.18.1.21:443', weight: 0, inConfig: false, activeConnections: 2, draining: draining(59) })] }),
      ],
    };
    const lines = formatStatus(report).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}-> 198\.18\.1\.11:80 +dr +0\/100 +0 .* unchecked override: drain \(peer\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}-> 198\.18\.1\.12:80 +dr +0\/- +7 .* removed, draining, 4m10s left$/));
    expect(lines).toContain('tcp 198.18.0.101:443 wrr  [removed, draining, 59s left]');
  });
});
