// `lvsd status`: one JSON document with the truth from each part — VRRP as the state machines
// see it, health as the checks see it, and IPVS as the kernel reports it (read fresh).
import type { BgpStatus } from '../bgp/types.js';
import type { Config } from '../config/types.js';
import type { OperatorOverride, RealServerStatus } from '../health/index.js';
import { serviceIdFromConfig } from '../ipvs/desired.js';
import { destName, serviceName } from '../ipvs/names.js';
import type { KernelIpvs } from '../ipvs/types.js';
import type { RunnerStatus } from '../vrrp/runner.js';

export interface RealServerReport {
  server: string;
  forwarding: string;
  configuredWeight: number;
  /** Weight in the kernel now; null when the real server is not in the kernel. */
  weight: number | null;
  health: 'up' | 'down' | 'pending' | 'unchecked';
  healthSince: string | null;
  reason: string | null;
  override: OperatorOverride | null;
  activeConnections: number;
  inactiveConnections: number;
  connectionsPerSecond: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
  sorry: boolean;
}

export interface ServiceReport {
  name: string;
  /** "tcp 198.18.0.100:80" or "fwmark 5 ipv4". */
  match: string;
  scheduler: string;
  inKernel: boolean;
  quorumMet: boolean | null;
  disabled: boolean;
  realServers: RealServerReport[];
}

export interface StatusReport {
  node: string;
  configHash: string;
  vrrp: RunnerStatus[];
  services: ServiceReport[];
  /** Kernel services lvsd does not manage (left alone). */
  unmanaged: string[];
  /** BGP mode: announced VIPs and BIRD's sessions; absent without a bgp section. */
  bgp?: BgpStatus;
}

export interface StatusInputs {
  config: Config;
  configHash: string;
  vrrp: RunnerStatus[];
  health: RealServerStatus[];
  overrides: { service: string; realServer?: string; override: OperatorOverride }[];
  quorum: (service: string) => boolean | undefined;
  kernel: (() => Promise<KernelIpvs>) | undefined;
  bgp?: () => Promise<BgpStatus>;
}

export async function statusReport(input: StatusInputs): Promise<StatusReport> {
  const kernel = input.kernel ? await input.kernel() : { services: [] };
  const rows = new Map(kernel.services.map((r) => [serviceName(r.service), r]));
  const health = new Map(input.health.map((h) => [`${h.service}|${h.realServer}`, h.state]));
  const managed = new Set<string>();
  const services = input.config.services.map((svc): ServiceReport => {
    const match = serviceName(serviceIdFromConfig(svc));
    managed.add(match);
    const row = rows.get(match);
    const inKernel = new Map((row?.destinations ?? []).map((d) => [destName(d), d]));
    const overrideOf = (server: string): OperatorOverride | null =>
      input.overrides.find((o) => o.service === svc.name && o.realServer === server)?.override ?? null;
    const disabled = input.overrides.some((o) => o.service === svc.name && o.realServer === undefined);
    const entry = (server: string, forwarding: string, configuredWeight: number, checked: boolean, sorry: boolean): RealServerReport => {
      const d = inKernel.get(server);
      const h = health.get(`${svc.name}|${server}`);
      return {
        server,
        forwarding,
        configuredWeight,
        weight: d ? d.weight : null,
        health: !checked ? 'unchecked' : !h ? 'pending' : h.pending ? 'pending' : h.up ? 'up' : 'down',
        healthSince: h ? new Date(h.since).toISOString() : null,
        reason: h?.reason ?? null,
        override: overrideOf(server),
        activeConnections: d?.activeConns ?? 0,
        inactiveConnections: d?.inactiveConns ?? 0,
        connectionsPerSecond: d?.stats.cps ?? 0,
        bytesInPerSecond: d?.stats.inBps ?? 0,
        bytesOutPerSecond: d?.stats.outBps ?? 0,
        sorry,
      };
    };
    const realServers = svc.real_servers.map((rs) => entry(destName(rs), rs.forwarding, rs.weight, (rs.check ?? svc.check) !== undefined, false));
    if (svc.sorry_server) realServers.push(entry(destName(svc.sorry_server), svc.sorry_server.forwarding, 1, false, true));
    return { name: svc.name, match, scheduler: svc.scheduler, inKernel: row !== undefined, quorumMet: input.quorum(svc.name) ?? null, disabled, realServers };
  });
  return {
    node: input.config.node.name,
    configHash: input.configHash,
    vrrp: input.vrrp,
    services,
    unmanaged: [...rows.keys()].filter((k) => !managed.has(k)),
    ...(input.bgp ? { bgp: await input.bgp() } : {}),
  };
}
