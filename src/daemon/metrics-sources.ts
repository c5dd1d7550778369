// The daemon's state as the rows metrics.ts exports: pure functions from what the daemon holds
// (config, VRRP status, health, the IPVS table) to the metric views, so each mapping is tested
// without a daemon. Names follow the status report: services by config name, servers by hostPort.
import type { Config } from '../config/types.js';
import type { RealServerStatus } from '../health/index.js';
import { serviceIdFromConfig } from '../ipvs/desired.js';
import { serviceName } from '../ipvs/names.js';
import type { KernelIpvs } from '../ipvs/types.js';
import { hostPort } from '../net/address.js';
import type { IpvsStatsView, RealServerMetricsView, VrrpMetricsView } from './metrics.js';
import type { VrrpInstanceView } from './vrrp-status.js';

export function vrrpMetricsViews(status: readonly VrrpInstanceView[]): VrrpMetricsView[] {
  return status.map((s) => ({
    instance: s.name,
    state: s.state,
    priority: s.configuredPriority,
    effectivePriority: s.priority,
    transitions: s.counters.transitions,
    advertsSent: s.counters.advertsSent,
    advertsReceived: s.counters.advertsReceived,
    drops: s.counters.drops,
    notifyHooks: s.notifyHooks,
  }));
}

/**
 * Every configured real server: up by its checks (a server without a check is up), and the
 * weight programmed in IPVS beside the configured one (a drained server shows 0, not its config).
 */
export function realServerMetricsViews(config: Config, health: readonly RealServerStatus[], programmedWeight: (service: string, server: string) => number | undefined): RealServerMetricsView[] {
  const up = new Map(health.map((h) => [`${h.service}|${h.realServer}`, h.state.up]));
  return config.services.flatMap((svc) =>
    svc.real_servers.map((rs) => {
      const server = hostPort(rs);
      return {
        service: svc.name,
        server,
        up: up.get(`${svc.name}|${server}`) ?? (rs.check ?? svc.check ? false : true),
        weight: programmedWeight(svc.name, server) ?? 0,
        configuredWeight: rs.weight,
      };
    }),
  );
}

/** Counters of every kernel service and real server; a service lvsd does not configure keeps its IPVS name. */
export function ipvsStatsViews(config: Config, kernel: KernelIpvs): IpvsStatsView[] {
  const names = new Map(config.services.map((s) => [serviceName(serviceIdFromConfig(s)), s.name]));
  const out: IpvsStatsView[] = [];
  for (const row of kernel.services) {
    const service = names.get(serviceName(row.service)) ?? serviceName(row.service);
    const st = row.service.stats;
    out.push({ service, connections: Number(st.conns), packetsIn: Number(st.inPackets), packetsOut: Number(st.outPackets), bytesIn: Number(st.inBytes), bytesOut: Number(st.outBytes) });
    for (const d of row.destinations) {
      out.push({
        service,
        server: hostPort(d),
        connections: Number(d.stats.conns),
        packetsIn: Number(d.stats.inPackets),
        packetsOut: Number(d.stats.outPackets),
        bytesIn: Number(d.stats.inBytes),
        bytesOut: Number(d.stats.outBytes),
        activeConnections: d.activeConns,
        inactiveConnections: d.inactiveConns,
      });
    }
  }
  return out;
}
