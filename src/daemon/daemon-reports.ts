// What the running daemon shows, read from its parts when asked: the sources /metrics scrapes
// (turned into views by metrics-sources.ts) and the inputs of `lvsd status` and the status page
// (status.ts). Parts that a reload can bring in (IPVS, VRRP, runtime changes) are looked up at
// each read.
import type { HealthMonitor } from '../health/index.js';
import type { KernelIpvs } from '../ipvs/types.js';
import type { NameFollower } from '../resolve/follower.js';
import type { BgpLifecycle } from './bgp-lifecycle.js';
import type { LoadedConfig } from './config-file.js';
import type { IpvsManager } from './ipvs-manager.js';
import type { LoopDelayMonitor } from './loop-delay.js';
import type { IpvsStatsCache, LoopDelayView, MetricsSource } from './metrics.js';
import { ipvsStatsViews, realServerMetricsViews, vrrpMetricsViews } from './metrics-sources.js';
import type { RuntimeChanges } from './runtime-changes.js';
import { statusReport, type StatusReport } from './status.js';
import type { VrrpThread } from './vrrp-thread.js';

export interface RunningParts {
  loaded(): LoadedConfig;
  health: HealthMonitor;
  names: NameFollower;
  bgp: BgpLifecycle;
  mainLoopDelay: LoopDelayMonitor;
  /** The IPVS table as last read; undefined while IPVS is not managed. */
  ipvsSnapshot(): IpvsStatsCache<KernelIpvs> | undefined;
  ipvs(): IpvsManager | undefined;
  vrrp(): VrrpThread | undefined;
  runtime(): RuntimeChanges | undefined;
}

export function metricsSource(p: RunningParts): MetricsSource {
  return {
    vrrp: async () => vrrpMetricsViews((await p.vrrp()?.status()) ?? []),
    loopDelay: async (): Promise<LoopDelayView[]> => {
      const vrrp = p.vrrp();
      return [{ loop: 'main', delay: p.mainLoopDelay.read(true) }, ...(vrrp ? [{ loop: 'vrrp' as const, delay: (await vrrp.snapshot(true)).loopDelay }] : [])];
    },
    realServers: () => realServerMetricsViews(p.loaded().config, p.health.status(), (service, server) => p.ipvs()?.programmedWeight(service, server)),
    ipvsStats: async () => {
      const kernel = await p.ipvsSnapshot()?.get();
      return kernel ? ipvsStatsViews(p.loaded().config, kernel) : [];
    },
    bgp: () => p.bgp.status(),
    names: () => p.names.status(),
    draining: () => {
      const drains = p.ipvs()?.drainsList() ?? [];
      const realServers = drains.filter((d) => d.dest).length;
      return { realServers, services: drains.length - realServers };
    },
    peer: () => p.runtime()?.peerStatus(),
    runtimeChanges: () => p.runtime()?.active() ?? [],
  };
}

/** The status report with IPVS from `kernel` (a fresh read, or the snapshot /metrics serves); no IPVS part while IPVS is not managed. */
export async function daemonStatus(p: RunningParts, kernel: (() => Promise<KernelIpvs>) | undefined): Promise<StatusReport> {
  const { config, hash } = p.loaded();
  const ipvs = p.ipvs();
  const runtime = p.runtime();
  const peer = runtime?.peerStatus();
  return statusReport({
    config,
    configHash: hash,
    vrrp: (await p.vrrp()?.status()) ?? [],
    health: p.health.status(),
    overrides: ipvs?.overridesList() ?? [],
    drains: ipvs?.drainsList() ?? [],
    names: p.names.status(),
    quorum: (name) => ipvs?.quorumState(name),
    kernel,
    bgp: () => p.bgp.status(),
    runtime: runtime?.active() ?? [],
    ...(peer ? { peer } : {}),
  });
}
