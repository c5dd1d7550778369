// Parts of `lvsd status`'s report for tests of what shows it (the CLI table, the status page):
// a real server and a service with every field at a plain value, each test overriding its own.
import type { RealServerReport, ServiceReport } from '../../src/daemon/status.js';

export const realServerReport = (over: Partial<RealServerReport> = {}): RealServerReport => ({
  server: '198.18.1.11:80',
  forwarding: 'dr',
  configuredWeight: 100,
  weight: 100,
  health: 'unchecked',
  healthSince: null,
  reason: null,
  override: null,
  overrideSource: null,
  inConfig: true,
  draining: null,
  activeConnections: 0,
  inactiveConnections: 0,
  connectionsPerSecond: 0,
  packetsInPerSecond: 0,
  packetsOutPerSecond: 0,
  bytesInPerSecond: 0,
  bytesOutPerSecond: 0,
  sorry: false,
  ...over,
});

export const serviceReport = (over: Partial<ServiceReport> = {}): ServiceReport => ({
  name: 'web',
  match: 'tcp 198.18.0.100:80',
  scheduler: 'wrr',
  inKernel: true,
  activeOn: null,
  quorumMet: null,
  disabled: false,
  inConfig: true,
  draining: null,
  realServers: [],
  ...over,
});
