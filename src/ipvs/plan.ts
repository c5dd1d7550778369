// The reconciler's pure core: what lvsd wants (DesiredIpvs) against what the kernel holds
// (KernelIpvs, read with dumps) gives the fewest operations that make the kernel match, in a safe
// order. The desired services are the managed ones; every other kernel service is unmanaged and
// only reported, unless the caller asks to purge them or names them as retired (services lvsd
// managed until now that left its config). Rules:
//  - settings that IPVS can change in place (scheduler, flags, persistence, weight, thresholds,
//    forwarding, tunnel) become edits, never delete + add, so connections and stats survive;
//  - new services and real servers go in before old real servers come out, so a service never
//    passes through an empty state during a change;
//  - a service whose identity changed (vip, port, protocol, fwmark) is replaced: the new one is
//    added first, the old one is deleted last and only if its replacement went in (apply.ts);
//  - with a DrainContext, a real server or retired service that leaves is drained (drain.ts):
//    set to weight 0 in the last phase, next to the deletions, and deleted by a later plan once
//    idle or past its deadline; a real server declared again during its drain gets its weight back;
//  - a kernel that already matches gives an empty plan.
import { schedulerFlagBits, schedulerFlagNames } from './codec.js';
import { drainKey, drainStep, type Drain, type DrainContext, type DrainEnd } from './drain.js';
import { serviceIdOf, serviceKey, serviceName } from './names.js';
import { hostPort } from '../net/address.js';
import type { DesiredIpvs, Destination, DestinationEntry, DestinationId, KernelIpvs, Service, ServiceId, Tunnel } from './types.js';

/** One field that differs: its name and both values as an operator reads them. */
export interface Change {
  field: string;
  from: string;
  to: string;
}

export type Operation =
  | { kind: 'add-service'; service: Service }
  | { kind: 'edit-service'; service: Service; changes: Change[] }
  | { kind: 'delete-service'; service: ServiceId; replacedBy?: ServiceId; drained?: DrainEnd }
  | { kind: 'add-dest'; service: ServiceId; dest: Destination }
  | { kind: 'edit-dest'; service: ServiceId; dest: Destination; changes: Change[] }
  /** A leaving real server set to weight 0 (its own or its retired service's drain). */
  | { kind: 'drain-dest'; service: ServiceId; dest: Destination; deadline: number; replacedBy?: ServiceId }
  | { kind: 'delete-dest'; service: ServiceId; dest: DestinationId; drained?: DrainEnd };

export interface Plan {
  /** In execution order: service adds and edits, destination adds and edits, then drains and deletions. */
  operations: Operation[];
  /** Kernel services lvsd does not declare and leaves alone (empty when purging). */
  unmanaged: ServiceId[];
  /** Drains still under way after this plan, for the kernel services it was given (with a DrainContext). */
  drains: Drain[];
}

/** A kernel service lvsd managed that is no longer declared: it is deleted, or drained first. */
export interface Retirement {
  service: ServiceId;
  /** The declared service that takes its place (same name, new identity), if any. */
  replacedBy?: ServiceId;
  /** The drain_timeout (ms) it had; absent or 0 = deleted at once. Used only with a DrainContext. */
  drainTimeout?: number;
}

export interface PlanOptions {
  /** Delete kernel services that lvsd does not declare. */
  purgeUnmanaged: boolean;
  /** Undeclared kernel services that lvsd managed: deleted even without purgeUnmanaged. */
  retire?: readonly Retirement[];
  /** Drain leaving real servers and retired services instead of deleting them at once. */
  drain?: DrainContext;
}

const phase: Record<Operation['kind'], number> = {
  'add-service': 0,
  'edit-service': 0,
  'add-dest': 1,
  'edit-dest': 1,
  'drain-dest': 2,
  'delete-dest': 2,
  'delete-service': 2,
};

/** The execution phase of an operation: each phase may start only when the previous one is done. */
export function phaseOf(op: Operation): number {
  return phase[op.kind];
}

function persistenceText(s: Service): string {
  if (s.persistence === 0) return 'off';
  const host = s.persistencePrefix === 32 || s.persistencePrefix === 128;
  return host ? `${s.persistence}s` : `${s.persistence}s/${s.persistencePrefix}`;
}

const flagsText = (s: Service): string => schedulerFlagNames(s.scheduler, schedulerFlagBits(s.schedulerFlags)).join(',') || 'none';

/** Fields of a service that differ, in the order an operator reads them. */
export function serviceChanges(want: Service, have: Service): Change[] {
  const changes: Change[] = [];
  const diff = (field: string, to: string, from: string): void => {
    if (to !== from) changes.push({ field, from, to });
  };
  diff('scheduler', want.scheduler, have.scheduler);
  // Scheduler flags compare as bits: "sh-port" and "flag-2" are the same bit.
  if (schedulerFlagBits(want.schedulerFlags) !== schedulerFlagBits(have.schedulerFlags)) {
    changes.push({ field: 'flags', from: flagsText(have), to: flagsText(want) });
  }
  diff('one-packet', String(want.onePacket), String(have.onePacket));
  // The persistence netmask means nothing on a service that is not persistent.
  const prefixMatters = want.persistence > 0 || have.persistence > 0;
  if (want.persistence !== have.persistence || (prefixMatters && want.persistencePrefix !== have.persistencePrefix)) {
    changes.push({ field: 'persistent', from: persistenceText(have), to: persistenceText(want) });
  }
  diff('pe', want.persistenceEngine ?? 'none', have.persistenceEngine ?? 'none');
  return changes;
}

const tunnelText = (t: Tunnel | undefined): string => (t ? `${t.type}${t.port ? `:${t.port}` : ''}${t.checksum === 'none' ? '' : ` ${t.checksum}`}` : 'none');

/** Fields of a real server that differ. */
export function destinationChanges(want: Destination, have: Destination): Change[] {
  const changes: Change[] = [];
  const diff = (field: string, to: string | number, from: string | number): void => {
    if (to !== from) changes.push({ field, from: String(from), to: String(to) });
  };
  diff('forwarding', want.forwarding, have.forwarding);
  diff('weight', want.weight, have.weight);
  diff('upper-threshold', want.upperThreshold, have.upperThreshold);
  diff('lower-threshold', want.lowerThreshold, have.lowerThreshold);
  if (want.forwarding === 'tun') diff('tunnel', tunnelText(want.tunnel ?? { type: 'ipip', port: 0, checksum: 'none' }), tunnelText(have.tunnel));
  return changes;
}

/** Only the declared fields: kernel entries carry counters that must not leak into a plan. */
function serviceOf(s: Service): Service {
  const out: Service = {
    ...serviceIdOf(s),
    scheduler: s.scheduler,
    schedulerFlags: [...s.schedulerFlags],
    onePacket: s.onePacket,
    persistence: s.persistence,
    persistencePrefix: s.persistencePrefix,
  };
  if (s.persistenceEngine !== undefined) out.persistenceEngine = s.persistenceEngine;
  return out;
}

/** Weight 0 for a leaving real server, unless it already has it. */
function drainOperation(service: ServiceId, d: DestinationEntry, drain: Drain, replacedBy?: ServiceId): Operation[] {
  if (d.weight === 0) return [];
  const dest: Destination = { address: d.address, port: d.port, forwarding: d.forwarding, weight: 0, upperThreshold: d.upperThreshold, lowerThreshold: d.lowerThreshold };
  if (d.tunnel) dest.tunnel = { ...d.tunnel };
  return [{ kind: 'drain-dest', service, dest, deadline: drain.deadline, ...(replacedBy ? { replacedBy } : {}) }];
}

export function planChanges(desired: DesiredIpvs, actual: KernelIpvs, opts: PlanOptions): Plan {
  const operations: Operation[] = [];
  const unmanaged: ServiceId[] = [];
  const drains: Drain[] = [];
  const ctx = opts.drain;
  const kernel = new Map(actual.services.map((row) => [serviceKey(row.service), row]));
  const declared = new Set<string>();

  for (const { service, destinations } of desired.services) {
    const key = serviceKey(service);
    if (declared.has(key)) throw new Error(`service ${serviceName(service)} is declared twice`);
    declared.add(key);
    const id = serviceIdOf(service);
    const row = kernel.get(key);
    if (!row) {
      operations.push({ kind: 'add-service', service: serviceOf(service) });
    } else {
      const changes = serviceChanges(service, row.service);
      if (changes.length > 0) operations.push({ kind: 'edit-service', service: serviceOf(service), changes });
    }
    const have = new Map((row?.destinations ?? []).map((d) => [hostPort(d), d]));
    const wanted = new Set<string>();
    for (const dest of destinations) {
      const dk = hostPort(dest);
      if (wanted.has(dk)) throw new Error(`real server ${hostPort(dest)} is declared twice in ${serviceName(service)}`);
      wanted.add(dk);
      const current = have.get(dk);
      if (!current) {
        operations.push({ kind: 'add-dest', service: id, dest: { ...dest } });
      } else {
        const changes = destinationChanges(dest, current);
        if (changes.length > 0) operations.push({ kind: 'edit-dest', service: id, dest: { ...dest }, changes });
      }
    }
    for (const [dk, current] of have) {
      if (wanted.has(dk)) continue;
      const destId = { address: current.address, port: current.port };
      const timeout = ctx && !ctx.abrupt.has(drainKey(id, destId)) ? (ctx.timeouts.get(key) ?? 0) : 0;
      const step = ctx ? drainStep(ctx, id, destId, timeout, current.activeConns) : { delete: true as const };
      if (step.delete) operations.push({ kind: 'delete-dest', service: id, dest: destId, ...(step.end ? { drained: step.end } : {}) });
      else {
        drains.push(step.drain);
        operations.push(...drainOperation(id, current, step.drain));
      }
    }
  }

  const retired = new Map((opts.retire ?? []).map((r) => [serviceKey(r.service), r]));
  for (const [key, row] of kernel) {
    if (declared.has(key)) continue;
    const retirement = retired.get(key);
    const id = serviceIdOf(row.service);
    const replacedBy = retirement?.replacedBy ? { replacedBy: serviceIdOf(retirement.replacedBy) } : {};
    if (retirement && ctx) {
      const active = row.destinations.reduce((sum, d) => sum + d.activeConns, 0);
      const step = drainStep(ctx, id, undefined, retirement.drainTimeout ?? 0, active);
      if (!step.delete) {
        drains.push(step.drain);
        for (const d of row.destinations) operations.push(...drainOperation(id, d, step.drain, replacedBy.replacedBy));
        continue;
      }
      operations.push({ kind: 'delete-service', service: id, ...replacedBy, ...(step.end ? { drained: step.end } : {}) });
    } else if (retirement || opts.purgeUnmanaged) operations.push({ kind: 'delete-service', service: id, ...replacedBy });
    else unmanaged.push(id);
  }

  // Stable sort: within a phase the declaration order is kept.
  operations.sort((a, b) => phaseOf(a) - phaseOf(b));
  return { operations, unmanaged, drains };
}

function serviceSummary(s: Service): string {
  const parts = [s.scheduler];
  if (s.schedulerFlags.length > 0) parts.push(`flags ${flagsText(s)}`);
  if (s.onePacket) parts.push('one-packet');
  if (s.persistence > 0) parts.push(`persistent ${persistenceText(s)}`);
  if (s.persistenceEngine) parts.push(`pe ${s.persistenceEngine}`);
  return parts.join(' ');
}

function destinationSummary(d: Destination): string {
  const parts = [d.forwarding, `weight ${d.weight}`];
  if (d.forwarding === 'tun' && d.tunnel && d.tunnel.type !== 'ipip') parts.push(`tunnel ${tunnelText(d.tunnel)}`);
  if (d.upperThreshold > 0) parts.push(`upper ${d.upperThreshold}`);
  if (d.lowerThreshold > 0) parts.push(`lower ${d.lowerThreshold}`);
  return parts.join(' ');
}

/** Why a drained object goes, as a plan line or log says it. */
export const drainEndText: Record<DrainEnd, string> = { idle: 'drained: no active connections left', timeout: 'drain_timeout expired' };

const changesText = (changes: Change[]): string => changes.map((c) => `${c.field} ${c.from} -> ${c.to}`).join(', ');

/**
 * The plan as a diff, one line per operation, grouped under their service:
 *   + service tcp 198.18.0.100:80 wrr persistent 300s
 *   +   dest 198.18.1.11:80 dr weight 100
 *     service tcp 198.18.0.101:80
 *   ~   dest 198.18.1.12:80 weight 100 -> 50
 *   ? service udp 198.18.0.200:53 unmanaged, left alone
 * Execution order is `plan.operations`; this view is for people.
 */
export function formatPlan(plan: Plan): string {
  const groups = new Map<string, { head?: string; id: ServiceId; lines: string[] }>();
  const group = (id: ServiceId): { head?: string; id: ServiceId; lines: string[] } => {
    const key = serviceKey(id);
    let g = groups.get(key);
    if (!g) {
      g = { id, lines: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const op of plan.operations) {
    switch (op.kind) {
      case 'add-service':
        group(op.service).head = `+ service ${serviceName(op.service)} ${serviceSummary(op.service)}`;
        break;
      case 'edit-service':
        group(op.service).head = `~ service ${serviceName(op.service)} ${changesText(op.changes)}`;
        break;
      case 'delete-service':
        group(op.service).head = `- service ${serviceName(op.service)}${op.replacedBy ? ` (replaced by ${serviceName(op.replacedBy)})` : ''}${op.drained ? ` (${drainEndText[op.drained]})` : ''}`;
        break;
      case 'add-dest':
        group(op.service).lines.push(`+   dest ${hostPort(op.dest)} ${destinationSummary(op.dest)}`);
        break;
      case 'edit-dest':
        group(op.service).lines.push(`~   dest ${hostPort(op.dest)} ${changesText(op.changes)}`);
        break;
      case 'drain-dest':
        group(op.service).lines.push(`~   dest ${hostPort(op.dest)} draining: weight 0 until idle, deleted by ${new Date(op.deadline).toISOString()} at the latest`);
        break;
      case 'delete-dest':
        group(op.service).lines.push(`-   dest ${hostPort(op.dest)}${op.drained ? ` (${drainEndText[op.drained]})` : ''}`);
        break;
    }
  }
  const out: string[] = [];
  for (const g of groups.values()) out.push(g.head ?? `  service ${serviceName(g.id)}`, ...g.lines);
  for (const id of plan.unmanaged) out.push(`? service ${serviceName(id)} unmanaged, left alone`);
  return out.length > 0 ? out.join('\n') : 'no changes';
}
