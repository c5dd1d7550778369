// `lvsd status`: one JSON document with the truth from each part — VRRP as the state machines
// see it, health as the checks see it, and IPVS as the kernel reports it (read fresh). Removals
// still draining are listed beside the configured real servers (a removed real server) and
// services (a removed service), with their active connections and the time left.
import type { BgpStatus } from '../bgp/types.js';
import { mastershipServices } from '../config/derived.js';
import type { Config } from '../config/types.js';
import type { OperatorOverride, RealServerStatus } from '../health/index.js';
import { serviceIdFromConfig, sorryDestination } from '../ipvs/desired.js';
import { drainKey, type Drain } from '../ipvs/drain.js';
import { serviceName } from '../ipvs/names.js';
import { hostPort } from '../net/address.js';
import type { DestinationEntry, KernelIpvs, ServiceId } from '../ipvs/types.js';
import type { NameStatus } from '../resolve/follower.js';
import type { RunnerStatus } from '../vrrp/runner.js';
import type { ChangeRecord } from '../peer/types.js';
import type { OverrideSource, StoredOverride } from './override-state.js';
import type { PeerSyncReport } from './runtime-changes.js';

/** A removal under way: weight 0 until the active connections end, deleted at `deadline` at the latest. */
export interface DrainReport {
  since: string;
  deadline: string;
  secondsLeft: number;
}

export interface RealServerReport {
  server: string;
  forwarding: string;
  configuredWeight: number;
  /** Weight in the kernel now; null when the real server is not in the kernel. */
  weight: number | null;
  health: 'up' | 'down' | 'pending' | 'unchecked';
  healthSince: string | null;
  reason: string | null;
  /** With several checks: each one's health and reason, in config order ("http /ready": down, "status 503"). */
  checks?: Array<{ label: string; health: 'up' | 'down' | 'pending'; reason: string }>;
  /** What the real server's agent says (agent checks only): "drain", "ready 50%", "unreachable (…)". */
  agent?: string;
  override: OperatorOverride | null;
  /** Who set the override: this node's CLI, or the peer node. */
  overrideSource: OverrideSource | null;
  /** The node whose operator set the override. */
  overrideNode?: string;
  /** False: removed from the config, still in the kernel while it drains. */
  inConfig: boolean;
  draining: DrainReport | null;
  activeConnections: number;
  inactiveConnections: number;
  connectionsPerSecond: number;
  packetsInPerSecond: number;
  packetsOutPerSecond: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
  sorry: boolean;
  /** The DNS name this real server's address comes from (address: NAME or discover: NAME). */
  name?: string;
}

/** A real-server name and its last resolution. */
export interface NameReport {
  name: string;
  addresses: string[];
  resolvedAt: string | null;
  lastLookup: { at: string; outcome: string; detail?: string } | null;
  /** Failing since then; its last addresses are held until holdUntil, dropped after. */
  failingSince: string | null;
  holdUntil: string | null;
  expired: boolean;
  /** Where it is used, and the addresses each use has now (old ones kept while a new one is checked are in `leaving` too). */
  uses: Array<{ service: string; port: number; discover: boolean; placed: string[]; leaving: string[] }>;
}

export interface ServiceReport {
  name: string;
  /** "tcp 198.18.0.100:80" or "fwmark 5 ipv4". */
  match: string;
  scheduler: string;
  inKernel: boolean;
  /**
   * A service with active_on: master: the VRRP instance it follows and that instance's state here;
   * it belongs in the kernel only while that is master. Null for a service active on every node.
   */
  activeOn: { instance: string; state: string; active: boolean } | null;
  quorumMet: boolean | null;
  disabled: boolean;
  /** False: removed from the config (its name is then its match), still in the kernel while it drains. */
  inConfig: boolean;
  draining: DrainReport | null;
  realServers: RealServerReport[];
  /** Real servers added or removed at runtime (lvsd add-server / remove-server): differences from the config file. */
  runtimeChanges?: RuntimeServerReport[];
}

export interface RuntimeServerReport {
  server: string;
  change: 'add' | 'remove';
  /** With add. */
  weight?: number;
  /** The node whose operator made the change; `at` when. */
  node: string;
  at: string;
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
  /** The peer protocol (peer section): connections, acks, dropped frames; absent without it. */
  peer?: PeerSyncReport;
  /** Real servers given by DNS name; absent when the config has none. */
  names?: NameReport[];
}

export interface StatusInputs {
  config: Config;
  configHash: string;
  vrrp: RunnerStatus[];
  health: RealServerStatus[];
  overrides: readonly StoredOverride[];
  /** Removals still draining. */
  drains: readonly Drain[];
  quorum: (service: string) => boolean | undefined;
  kernel: (() => Promise<KernelIpvs>) | undefined;
  /** BGP mode's announced VIPs and sessions; undefined while BGP mode is off. */
  bgp?: () => Promise<BgpStatus | undefined>;
  /** Runtime changes in force (the real-server ones are reported per service). */
  runtime?: readonly ChangeRecord[];
  peer?: PeerSyncReport;
  names?: readonly NameStatus[];
  /** Epoch ms; default Date.now. */
  now?: number;
}

export async function statusReport(input: StatusInputs): Promise<StatusReport> {
  const kernel = input.kernel ? await input.kernel() : { services: [] };
  const bgp = await input.bgp?.();
  const now = input.now ?? Date.now();
  const rows = new Map(kernel.services.map((r) => [serviceName(r.service), r]));
  const health = new Map(input.health.map((h) => [`${h.service}|${h.realServer}`, h.state]));
  const checksOf = new Map(input.health.filter((h) => h.checks.length > 1).map((h) => [`${h.service}|${h.realServer}`, h.checks]));
  const drains = new Map(input.drains.map((d) => [drainKey(d.service, d.dest), d]));
  // Keyed once: at 10,000 services a scan of every override per real server is quadratic.
  const overrides = new Map(input.overrides.map((o) => [`${o.service}|${o.realServer ?? ''}`, o]));
  const drainOf = (service: ServiceId, dest?: DestinationEntry): DrainReport | null => {
    const d = drains.get(drainKey(service, dest));
    if (!d) return null;
    return { since: new Date(d.since).toISOString(), deadline: new Date(d.deadline).toISOString(), secondsLeft: Math.max(0, Math.ceil((d.deadline - now) / 1000)) };
  };
  const managed = new Set<string>();
  const following = mastershipServices(input.config);
  const vrrpStates = new Map(input.vrrp.map((v) => [v.name, v.state]));
  const activeOn = (service: string): ServiceReport['activeOn'] => {
    const instance = following.get(service);
    if (instance === undefined) return null;
    const state = vrrpStates.get(instance) ?? 'initialize';
    return { instance, state, active: state === 'master' };
  };
  const services = input.config.services.map((svc): ServiceReport => {
    const id = serviceIdFromConfig(svc);
    const match = serviceName(id);
    managed.add(match);
    const row = rows.get(match);
    const inKernel = new Map((row?.destinations ?? []).map((d) => [hostPort(d), d]));
    const overrideOf = (server: string): StoredOverride | undefined => overrides.get(`${svc.name}|${server}`);
    const disabled = overrides.has(`${svc.name}|`);
    const entry = (server: string, forwarding: string, configuredWeight: number, checked: boolean, sorry: boolean): RealServerReport => {
      const d = inKernel.get(server);
      const h = health.get(`${svc.name}|${server}`);
      const o = overrideOf(server);
      return {
        server,
        forwarding,
        configuredWeight,
        weight: d ? d.weight : null,
        health: !checked ? 'unchecked' : !h ? 'pending' : h.pending ? 'pending' : h.up ? 'up' : 'down',
        healthSince: h ? new Date(h.since).toISOString() : null,
        reason: h?.reason ?? null,
        ...(checksOf.has(`${svc.name}|${server}`)
          ? { checks: (checksOf.get(`${svc.name}|${server}`) ?? []).map((c) => ({ label: c.label, health: c.pending ? 'pending' : c.up ? 'up' : 'down', reason: c.reason })) }
          : {}),
        ...(h?.agent ? { agent: h.agent.reason } : {}),
        override: o?.override ?? null,
        overrideSource: o?.source ?? null,
        ...(o?.node !== undefined ? { overrideNode: o.node } : {}),
        inConfig: true,
        draining: d ? drainOf(id, d) : null,
        activeConnections: d?.activeConns ?? 0,
        inactiveConnections: d?.inactiveConns ?? 0,
        connectionsPerSecond: d?.stats.cps ?? 0,
        packetsInPerSecond: d?.stats.inPps ?? 0,
        packetsOutPerSecond: d?.stats.outPps ?? 0,
        bytesInPerSecond: d?.stats.inBps ?? 0,
        bytesOutPerSecond: d?.stats.outBps ?? 0,
        sorry,
      };
    };
    const realServers = svc.real_servers.map((rs) => {
      const report = entry(hostPort(rs), rs.forwarding, rs.weight, (rs.check ?? svc.check) !== undefined, false);
      return rs.host !== undefined ? { ...report, name: rs.host } : report;
    });
    if (svc.sorry_server) realServers.push(entry(hostPort(svc.sorry_server), svc.sorry_server.forwarding, sorryDestination(svc.sorry_server).weight, false, true));
    const listed = new Set(realServers.map((r) => r.server));
    for (const d of row?.destinations ?? []) if (!listed.has(hostPort(d)) && drains.has(drainKey(id, d))) realServers.push(removed(d, drainOf(id, d)));
    const runtimeChanges = (input.runtime ?? []).flatMap((r): RuntimeServerReport[] =>
      r.kind === 'server' && r.service === svc.name && r.realServer !== undefined && (r.value === 'add' || r.value === 'remove')
        ? [{ server: r.realServer, change: r.value, ...(r.value === 'add' ? { weight: r.weight ?? 1 } : {}), node: r.node, at: new Date(r.at).toISOString() }]
        : [],
    );
    return { name: svc.name, match, scheduler: svc.scheduler, inKernel: row !== undefined, activeOn: activeOn(svc.name), quorumMet: input.quorum(svc.name) ?? null, disabled, inConfig: true, draining: null, realServers, runtimeChanges };
  });
  // Services removed from the config, still draining.
  for (const row of kernel.services) {
    const match = serviceName(row.service);
    const draining = drainOf(row.service);
    if (managed.has(match) || !draining) continue;
    managed.add(match);
    const realServers = row.destinations.map((d) => removed(d, draining));
    services.push({ name: match, match, scheduler: row.service.scheduler, inKernel: true, activeOn: null, quorumMet: null, disabled: false, inConfig: false, draining, realServers, runtimeChanges: [] });
  }
  return {
    node: input.config.node.name,
    configHash: input.configHash,
    vrrp: input.vrrp,
    services,
    unmanaged: [...rows.keys()].filter((k) => !managed.has(k)),
    ...(bgp ? { bgp } : {}),
    ...(input.peer ? { peer: input.peer } : {}),
    ...(input.names && input.names.length > 0 ? { names: input.names.map(nameReport) } : {}),
  };
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

function nameReport(n: NameStatus): NameReport {
  return {
    name: n.name,
    addresses: n.addresses,
    resolvedAt: iso(n.resolvedAt),
    lastLookup: n.last ? { at: new Date(n.last.at).toISOString(), outcome: n.last.outcome, ...(n.last.detail !== undefined ? { detail: n.last.detail } : {}) } : null,
    failingSince: iso(n.failingSince),
    holdUntil: iso(n.holdUntil),
    expired: n.expired,
    uses: n.entries,
  };
}

/** A real server the config no longer has, still in the kernel while it drains. */
function removed(d: DestinationEntry, draining: DrainReport | null): RealServerReport {
  return {
    server: hostPort(d),
    forwarding: d.forwarding,
    configuredWeight: 0,
    weight: d.weight,
    health: 'unchecked',
    healthSince: null,
    reason: null,
    override: null,
    overrideSource: null,
    inConfig: false,
    draining,
    activeConnections: d.activeConns,
    inactiveConnections: d.inactiveConns,
    connectionsPerSecond: d.stats.cps,
    packetsInPerSecond: d.stats.inPps,
    packetsOutPerSecond: d.stats.outPps,
    bytesInPerSecond: d.stats.inBps,
    bytesOutPerSecond: d.stats.outBps,
    sorry: false,
  };
}
