// Graceful removal and persistent overrides in IpvsManager, on the in-memory IPVS kernel: a real
// server or service removed by a reload or `disable` keeps weight 0 while it has active
// connections, is deleted when they end or at drain_timeout, is read back alone (never the whole
// table) while it drains, and its drain survives a restart; overrides are saved with their
// source and come back at start.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../../src/config/types.js';
import { IpvsManager, type RestoredState } from '../../../src/daemon/ipvs-manager.js';
import type { StoredOverride } from '../../../src/daemon/override-state.js';
import { diffServices } from '../../../src/daemon/reload-decision.js';
import { statusReport } from '../../../src/daemon/status.js';
import { HealthMonitor, type ProbeResult } from '../../../src/health/index.js';
import type { Drain } from '../../../src/ipvs/drain.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { servicesConfig, setOverride } from '../../support/ipvs-harness.js';
import { FakeClock } from '../../support/fake-clock.js';
import { logSink } from './vrrp-fakes.js';

const T0 = Date.UTC(2026, 11, 1, 2, 0, 0);
const WEB = { protocol: 'tcp' as const, address: '198.18.0.100', port: 80 };
const API = { protocol: 'tcp' as const, address: '198.18.0.101', port: 443 };
const rs = (last: number, port = 80) => ({ address: `198.18.1.${last}`, port });

const web = (servers: number[], more = ''): string =>
  `  - { name: web, vip: 198.18.0.100, port: 80, protocol: tcp, drain_timeout: 2m${more}, real_servers: [${servers.map((n) => `{ address: 198.18.1.${n}, weight: 100 }`).join(', ')}] }\n`;
const api = `  - { name: api, vip: 198.18.0.101, port: 443, protocol: tcp, drain_timeout: 1m, real_servers: [{ address: 198.18.1.21, weight: 10 }] }\n`;
/** Drain checks every second: the interval the scoped read-backs follow. */
const config = (services: string): Config => {
  const c = servicesConfig(services);
  c.metrics.ipvs_stats_interval = 1000;
  return c;
};

interface Node {
  manager: IpvsManager;
  saved: { drains: Drain[] };
  messages: () => string[];
  /** The health checks' clock, and which real servers ("198.18.1.12:80") fail their check. */
  checks: FakeClock;
  failing: Set<string>;
}

let now = T0;
const running: IpvsManager[] = [];
beforeEach(() => {
  now = T0;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(async () => {
  for (const m of running.splice(0)) await m.stop();
  vi.useRealTimers();
});

async function start(kernel: FakeIpvsKernel, c: Config, restored?: RestoredState): Promise<Node> {
  const { logger, lines } = logSink();
  const saved: Node['saved'] = { drains: [] };
  const checks = new FakeClock();
  const failing = new Set<string>();
  const checker = async (t: { address: string; port: number }): Promise<ProbeResult> => {
    const ok = !failing.has(`${t.address}:${t.port}`);
    return { ok, reason: ok ? 'answered' : 'refused', durationMs: 1 };
  };
  const manager = await IpvsManager.start(
    c,
    {
      client: kernel,
      health: new HealthMonitor({ clock: checks, jitter: 0, random: () => 0, checker, logger }),
      log: logger,
      now: () => now,
      persist: {
        drains: async (d) => void (saved.drains = [...d]),
      },
    },
    [],
    restored,
  );
  running.push(manager);
  return { manager, saved, messages: () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg), checks, failing };
}

/** Lets time pass on both clocks: the drain deadlines' and the timers'. */
async function pass(ms: number, m: IpvsManager): Promise<void> {
  now += ms;
  await vi.advanceTimersByTimeAsync(ms);
  await m.settled();
}

async function reload(m: IpvsManager, before: Config, after: Config): Promise<void> {
  const report = await m.reload(after, diffServices(before, after));
  expect(report.result.failed).toEqual([]);
}

describe('IpvsManager graceful removal', () => {
  it('keeps a real server removed by a reload at weight 0 while it has connections, deletes it when they end, reading only its service', async () => {
    const kernel = new FakeIpvsKernel();
    const c1 = config(web([11, 12]) + api);
    const n = await start(kernel, c1);
    kernel.setDestinationStats(WEB, rs(12), { activeConns: 3 });
    const c2 = config(web([11]) + api);
    await reload(n.manager, c1, c2);
    expect(kernel.weight(WEB, rs(12))).toBe(0);
    expect(n.saved.drains).toEqual([{ service: WEB, dest: rs(12), since: T0, deadline: T0 + 120_000 }]);
    expect(n.messages()).toContain('drain real server 198.18.1.12:80 of tcp 198.18.0.100:80: weight 0 until idle, deleted by 2026-12-01T02:02:00.000Z at the latest');

    const status = await statusReport({ config: c2, configHash: 'h', vrrp: [], health: [], overrides: [], drains: n.manager.drainsList(), quorum: () => undefined, kernel: () => kernel.read(), now: T0 + 30_000 });
    expect(status.services[0]?.realServers[1]).toMatchObject({ server: '198.18.1.12:80', inConfig: false, weight: 0, activeConnections: 3, draining: { secondsLeft: 90 } });

    kernel.clearCalls();
    await pass(1000, n.manager);
    expect(kernel.weight(WEB, rs(12))).toBe(0);
    kernel.setDestinationStats(WEB, rs(12), { activeConns: 0, inactiveConns: 2 });
    await pass(1000, n.manager);
    expect(kernel.weight(WEB, rs(12))).toBeUndefined();
    expect(n.messages()).toContain('delete real server 198.18.1.12:80 of tcp 198.18.0.100:80 (drained: no active connections left)');
    expect(n.saved.drains).toEqual([]);
    // Two checks, each a scoped read of the draining service: no full dump, nothing of api's.
    expect(kernel.count('read')).toBe(0);
    expect(kernel.calls.filter((c) => c.method === 'service').map((c) => c.target)).toEqual(['tcp 198.18.0.100:80', 'tcp 198.18.0.100:80']);
    // Nothing left to drain: no more reads.
    kernel.clearCalls();
    await pass(5000, n.manager);
    expect(kernel.calls).toEqual([]);
  });

  it('deletes a draining real server with its connections when drain_timeout expires', async () => {
    const kernel = new FakeIpvsKernel();
    const c1 = config(web([11, 12]));
    const n = await start(kernel, c1);
    kernel.setDestinationStats(WEB, rs(12), { activeConns: 3 });
    await reload(n.manager, c1, config(web([11])));
    await pass(119_000, n.manager);
    expect(kernel.weight(WEB, rs(12))).toBe(0);
    await pass(1000, n.manager);
    expect(kernel.weight(WEB, rs(12))).toBeUndefined();
    expect(n.messages()).toContain('delete real server 198.18.1.12:80 of tcp 198.18.0.100:80 (drain_timeout expired)');
  });

  it('gives a real server added back during its drain its weight again', async () => {
    const kernel = new FakeIpvsKernel();
    const c1 = config(web([11, 12]));
    const n = await start(kernel, c1);
    kernel.setDestinationStats(WEB, rs(12), { activeConns: 3 });
    const c2 = config(web([11]));
    await reload(n.manager, c1, c2);
    await reload(n.manager, c2, c1);
    expect(kernel.weight(WEB, rs(12))).toBe(100);
    expect(n.manager.drainsList()).toEqual([]);
    expect(n.saved.drains).toEqual([]);
  });

  it('drains a service removed from the config as a whole, then deletes it when idle', async () => {
    const kernel = new FakeIpvsKernel();
    const c1 = config(web([11, 12]) + api);
    const n = await start(kernel, c1);
    kernel.setDestinationStats(API, rs(21, 443), { activeConns: 1 });
    await reload(n.manager, c1, config(web([11, 12])));
    expect(kernel.summary()).toContain('tcp/198.18.0.101/443 wlc 198.18.1.21:443w0');
    expect(n.manager.drainsList()).toEqual([{ service: API, since: T0, deadline: T0 + 60_000 }]);
    kernel.setDestinationStats(API, rs(21, 443), { activeConns: 0 });
    await pass(1000, n.manager);
    expect(kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w100']);
    expect(n.messages()).toContain('delete service tcp 198.18.0.101:443 (drained: no active connections left)');
  });

  it('drains the old identity of a service whose port changed', async () => {
    const kernel = new FakeIpvsKernel();
    const c1 = config(api);
    const n = await start(kernel, c1);
    kernel.setDestinationStats(API, rs(21, 443), { activeConns: 2 });
    await reload(n.manager, c1, config(api.replace('port: 443', 'port: 8443')));
    expect(kernel.summary()).toEqual(['tcp/198.18.0.101/443 wlc 198.18.1.21:443w0', 'tcp/198.18.0.101/8443 wlc 198.18.1.21:8443w10']);
    await pass(60_000, n.manager);
    expect(kernel.summary()).toEqual(['tcp/198.18.0.101/8443 wlc 198.18.1.21:8443w10']);
  });

  it('carries a drain across a restart to its original deadline', async () => {
    const kernel = new FakeIpvsKernel();
    const c1 = config(web([11, 12]));
    const first = await start(kernel, c1);
    kernel.setDestinationStats(WEB, rs(12), { activeConns: 3 });
    const c2 = config(web([11]));
    await reload(first.manager, c1, c2);
    await first.manager.stop();
    now += 100_000;
    const second = await start(kernel, c2, { drains: first.saved.drains, overrides: [] });
    // Adopted still draining, with the deadline of the first run (not 2 minutes from now).
    expect(kernel.weight(WEB, rs(12))).toBe(0);
    expect(second.manager.drainsList()).toEqual([{ service: WEB, dest: rs(12), since: T0, deadline: T0 + 120_000 }]);
    await pass(20_000, second.manager);
    expect(kernel.weight(WEB, rs(12))).toBeUndefined();
  });

  it('drains a real server the operator disables, or deletes it at once with drain_timeout 0', async () => {
    const kernel = new FakeIpvsKernel();
    const c = config(web([11, 12]) + api.replace('drain_timeout: 1m', 'drain_timeout: 0s'));
    const n = await start(kernel, c);
    kernel.setDestinationStats(WEB, rs(12), { activeConns: 3 });
    kernel.setDestinationStats(API, rs(21, 443), { activeConns: 3 });
    setOverride(n.manager, 'web', '198.18.1.12:80', 'disable');
    setOverride(n.manager, 'api', '198.18.1.21:443', 'disable');
    await n.manager.settled();
    expect(kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w0', 'tcp/198.18.0.101/443 wlc ']);
    expect(n.manager.drainsList()).toEqual([{ service: WEB, dest: rs(12), since: T0, deadline: T0 + 120_000 }]);
  });

  it('removes at once a real server whose check failed (on_failure: remove), connections or not', async () => {
    const kernel = new FakeIpvsKernel();
    const n = await start(kernel, config(web([11, 12], ', check: { type: tcp, interval: 1s, timeout: 500ms, rise: 1, fall: 1 }')));
    await n.checks.advance(1000);
    await n.manager.settled();
    expect(kernel.weight(WEB, rs(12))).toBe(100);
    kernel.setDestinationStats(WEB, rs(12), { activeConns: 3 });
    n.failing.add('198.18.1.12:80');
    await n.checks.advance(1000);
    await n.manager.settled();
    expect(kernel.weight(WEB, rs(12))).toBeUndefined();
    expect(n.manager.drainsList()).toEqual([]);
  });
});

describe('IpvsManager restored overrides', () => {
  it('a restarted manager applies the overrides it is given (the daemon saves them) from its first reconcile', async () => {
    // A new kernel: as after a reboot, everything is programmed again, with the overrides.
    const fresh = new FakeIpvsKernel();
    const overrides: StoredOverride[] = [
      { service: 'web', realServer: '198.18.1.11:80', override: 'drain', source: 'cli', at: T0 },
      { service: 'api', override: 'disable', source: 'peer', at: T0, node: 'lb2' },
    ];
    const n = await start(fresh, config(web([11, 12]) + api), { drains: [], overrides });
    expect(fresh.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w0,198.18.1.12:80w100', 'tcp/198.18.0.101/443 wlc 198.18.1.21:443w0']);
    setOverride(n.manager, 'web', '198.18.1.11:80', 'clear');
    await n.manager.settled();
    expect(fresh.weight(WEB, rs(11))).toBe(100);
  });
});
