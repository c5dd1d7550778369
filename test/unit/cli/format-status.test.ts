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

  it('names the peer node an override came from, lists runtime real-server changes and the peer sync state', () => {
    const now = Date.now();
    const report: StatusReport = {
      node: 'lb2',
      configHash: 'abc',
      vrrp: [],
      unmanaged: [],
      services: [
        service({
          realServers: [server({ override: 'drain', overrideSource: 'peer', overrideNode: 'lb1', weight: 0 })],
          runtimeChanges: [{ server: '198.18.1.13:80', change: 'add', weight: 5, node: 'lb1', at: new Date(now - 30_000).toISOString() }],
        }),
      ],
      peer: {
        listen: '198.18.0.2:9811',
        records: 2,
        recordsApplied: 2,
        recordsSent: 0,
        framesAccepted: 9,
        connectionsRefused: 1,
        dropped: { malformed: 0, forged: 3, replayed: 0, stale: 0, misdirected: 0 },
        peers: [{ address: '198.18.0.1:9811', node: 'lb1', connected: true, since: now - 60_000, lastAck: now - 1_000, rttMs: 2, inbound: false, lastReceived: now - 5_000 }],
      },
    };
    const lines = formatStatus(report).split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/override: drain \(peer lb1\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}runtime \+ 198\.18\.1\.13:80 weight 5 \(lvsd add-server on lb1, 30s ago; not in the config file\)$/));
    expect(lines).toContain('peer sync (listening on 198.18.0.2:9811, 2 record(s), 2 applied from the peer)');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}198\.18\.0\.1:9811 +lb1 +connected +1s ago +2ms +DOWN +5s ago$/));
    expect(lines).toContain('  dropped: 3 forged, 1 connection(s) from unknown addresses');
  });
});
