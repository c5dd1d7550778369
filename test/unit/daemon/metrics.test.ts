import { afterEach, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { DaemonMetrics, IpvsStatsCache, serveMetrics, type IpvsStatsView, type MetricsSource } from '../../../src/daemon/metrics.js';

const source = (): MetricsSource & { dumps: number; vrrpReads: number } => {
  const s = {
    dumps: 0,
    vrrpReads: 0,
    vrrp: async () => {
      s.vrrpReads++;
      return [
      { instance: 'web', state: 'master' as const, priority: 150, effectivePriority: 140, transitions: 3, advertsSent: 42, advertsReceived: 7, drops: { ttl: 2, checksum: 1 }, notifyHooks: { ok: 4, failed: 1 } },
      ];
    },
    loopDelay: async () => [
      { loop: 'main' as const, delay: { p50: 1, p99: 250, max: 400, windowSeconds: 15 } },
      { loop: 'vrrp' as const, delay: { p50: 0, p99: 0.5, max: 2, windowSeconds: 15 } },
    ],
    realServers: () => [
      { service: 'web', server: '198.18.1.11:80', up: true, weight: 100, configuredWeight: 100 },
      { service: 'web', server: '198.18.1.12:80', up: false, weight: 0, configuredWeight: 50 },
    ],
    ipvsStats: async () => {
      s.dumps++;
      return [
        { service: 'web', connections: 10, packetsIn: 100, packetsOut: 90, bytesIn: 5000, bytesOut: 4000 },
        { service: 'web', server: '198.18.1.11:80', connections: 10, packetsIn: 100, packetsOut: 90, bytesIn: 5000, bytesOut: 4000, activeConnections: 2, inactiveConnections: 1 },
      ];
    },
  };
  return s;
};

let server: Server | undefined;
afterEach(() => server?.close());

describe('metrics', () => {
  it('exposes every family with values read at scrape time, one kernel dump for every IPVS family and one VRRP thread read per scrape', async () => {
    const src = source();
    const m = new DaemonMetrics(src);
    m.recordReconcile(true, 0.004);
    m.recordReload(false);
    m.setConfigHash('abc123');
    const text = await m.registry.metrics();
    expect(text).toContain('lvsd_vrrp_state{vrrp_instance="web",state="master"} 1');
    expect(text).toContain('lvsd_vrrp_state{vrrp_instance="web",state="backup"} 0');
    expect(text).toContain('lvsd_vrrp_adverts_dropped_total{vrrp_instance="web",reason="ttl"} 2');
    expect(text).toContain('lvsd_vrrp_effective_priority{vrrp_instance="web"} 140');
    expect(text).toContain('lvsd_vrrp_notify_hooks_total{vrrp_instance="web",result="failed"} 1');
    expect(text).toContain('lvsd_realserver_up{service="web",server="198.18.1.12:80"} 0');
    expect(text).toContain('lvsd_realserver_weight{service="web",server="198.18.1.12:80"} 0');
    expect(text).toContain('lvsd_realserver_configured_weight{service="web",server="198.18.1.12:80"} 50');
    expect(text).toContain('lvsd_ipvs_connections_total{service="web",server=""} 10');
    expect(text).toContain('lvsd_ipvs_active_connections{service="web",server="198.18.1.11:80"} 2');
    expect(text).toContain('lvsd_reconcile_total{result="success"} 1');
    expect(text).toContain('lvsd_config_reloads_total{result="failure"} 1');
    expect(text).toContain('lvsd_config_info{hash="abc123"} 1');
    expect(text).toContain('lvsd_event_loop_delay_seconds{loop="vrrp",quantile="1"} 0.002');
    expect(text).toContain('lvsd_event_loop_delay_seconds{loop="main",quantile="0.99"} 0.25');
    expect(src.dumps).toBe(1);
    expect(src.vrrpReads).toBe(1);
  });

  it('refreshes the IPVS snapshot in the background once it is older than the interval, one read at a time', async () => {
    let clock = 0;
    let reads = 0;
    const pending: Array<(v: IpvsStatsView[]) => void> = [];
    const view = (connections: number): IpvsStatsView[] => [{ service: 'web', connections, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 }];
    const cache = new IpvsStatsCache<IpvsStatsView[]>(() => (reads++, new Promise((resolve) => pending.push(resolve))), 10_000, () => clock);
    const first = cache.get(); // nothing cached yet: the first scrape waits
    pending.shift()?.(view(1));
    expect((await first)?.[0]?.connections).toBe(1);
    clock = 9_999;
    expect((await cache.get())?.[0]?.connections).toBe(1);
    expect(reads).toBe(1);
    clock = 10_000; // stale: served at once from the snapshot while the kernel is read again
    expect((await cache.get())?.[0]?.connections).toBe(1);
    expect((await cache.get())?.[0]?.connections).toBe(1);
    expect(reads).toBe(2);
    pending.shift()?.(view(2));
    await new Promise((r) => setImmediate(r));
    expect((await cache.get())?.[0]?.connections).toBe(2);
    expect(reads).toBe(2);
  });

  it('keeps serving the last IPVS snapshot when a read fails, and reports the error', async () => {
    let clock = 0;
    let fail = false;
    const errors: unknown[] = [];
    const cache = new IpvsStatsCache(
      async () => {
        if (fail) throw new Error('ENOBUFS');
        return [{ service: 'web', connections: 3, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 }];
      },
      1_000,
      () => clock,
      (e) => errors.push(e),
    );
    expect(await cache.get()).toHaveLength(1);
    fail = true;
    clock = 5_000;
    await cache.get();
    await new Promise((r) => setImmediate(r));
    expect((await cache.get())?.[0]?.connections).toBe(3);
    expect(errors).toHaveLength(1);
  });

  it('serves /metrics over HTTP and 404s anything else', async () => {
    const m = new DaemonMetrics(source());
    server = await serveMetrics(m, '127.0.0.1:19810');
    const ok = await fetch('http://127.0.0.1:19810/metrics');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('lvsd_vrrp_state');
    expect((await fetch('http://127.0.0.1:19810/')).status).toBe(404);
  });

  it('refuses a listen address that is not address:port', async () => {
    await expect(serveMetrics(new DaemonMetrics(source()), '9810')).rejects.toThrow(/expected address:port/);
  });
});
