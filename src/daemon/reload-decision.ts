// The decisions of a reload (and of a start after a restart), as data: which services to
// reconcile, which kernel services lvsd managed and must now delete, and whether the change may
// go ahead at all. No I/O; the daemon runs what this decides and commits the new config only when
// IPVS and VRRP have taken it.
//
// Why a removal guard: a config file caught half-written (an editor's save, a truncated copy)
// parses fine and declares fewer services. Applied blindly it would delete live services, so a
// change that removes more than `ipvs.max_removal_percent` of the managed services is refused
// with the count, unless the operator forces it (`lvsd reload --force`).
import { DEFAULT_DRAIN_TIMEOUT_MS } from '../config/schema.js';
import type { Config, ServiceConfig } from '../config/types.js';
import { describeOperation, type ApplyResult } from '../ipvs/apply.js';
import { serviceIdFromConfig } from '../ipvs/desired.js';
import { serviceKey } from '../ipvs/names.js';
import type { Retirement } from '../ipvs/plan.js';
import type { ServiceId } from '../ipvs/types.js';

/** What a new config changes in IPVS, relative to the running one. Retired services drain for their old drain_timeout. */
export interface ServiceDiff {
  /** New services and services whose configuration differs: reconciled one by one. */
  changed: ServiceConfig[];
  /** Kernel services lvsd managed that the new config no longer declares: deleted last. */
  retired: Retirement[];
  /** The `ipvs` block changed (purge_unmanaged, timeouts, ...): a full reconcile. */
  full: boolean;
}

/**
 * Compares two configs. `managed` holds services lvsd still manages beyond `before` (recorded in
 * the state file, e.g. left by a refused removal); they retire too when `after` does not declare
 * them. A service that keeps its name but changes identity (vip, port, protocol, fwmark) is
 * replaced: its old identity retires with `replacedBy` naming the new one.
 */
export function diffServices(before: Config, after: Config, managed: readonly ServiceId[] = []): ServiceDiff {
  const oldByName = new Map(before.services.map((s) => [s.name, s]));
  const oldByKey = new Map(before.services.map((s) => [serviceKey(serviceIdFromConfig(s)), s]));
  const declared = new Set(after.services.map((s) => serviceKey(serviceIdFromConfig(s))));
  const changed = after.services.filter((s) => JSON.stringify(s) !== JSON.stringify(oldByName.get(s.name)));
  const replacement = new Map<string, ServiceId>();
  for (const s of after.services) {
    const old = oldByName.get(s.name);
    if (old) replacement.set(serviceKey(serviceIdFromConfig(old)), serviceIdFromConfig(s));
  }
  const retired = new Map<string, Retirement>();
  for (const id of [...before.services.map(serviceIdFromConfig), ...managed]) {
    const key = serviceKey(id);
    if (declared.has(key) || retired.has(key)) continue;
    const by = replacement.get(key);
    const drainTimeout = oldByKey.get(key)?.drain_timeout ?? DEFAULT_DRAIN_TIMEOUT_MS;
    retired.set(key, by ? { service: id, replacedBy: by, drainTimeout } : { service: id, drainTimeout });
  }
  return { changed, retired: [...retired.values()], full: JSON.stringify(before.ipvs) !== JSON.stringify(after.ipvs) };
}

/** The services a node manages: those it declares plus those still recorded as its own. */
export function managedServices(config: Config, recorded: readonly ServiceId[] = []): ServiceId[] {
  const out = new Map<string, ServiceId>();
  for (const id of [...config.services.map(serviceIdFromConfig), ...recorded]) out.set(serviceKey(id), id);
  return [...out.values()];
}

export type RemovalVerdict = { ok: true } | { ok: false; removed: number; managed: number; maxPercent: number };

/**
 * Refuses a change that removes more than `maxPercent` of the managed services. A replaced
 * service is not a removal (its traffic moves to the new identity).
 */
export function removalGuard(retired: readonly Retirement[], managedCount: number, maxPercent: number, force: boolean): RemovalVerdict {
  const removed = retired.filter((r) => !r.replacedBy).length;
  if (force || removed === 0 || removed * 100 <= managedCount * maxPercent) return { ok: true };
  return { ok: false, removed, managed: managedCount, maxPercent };
}

/** The refusal as the operator reads it, naming the count. */
export function refusalMessage(v: { removed: number; managed: number; maxPercent: number }, consequence: string): string {
  return `refusing to remove ${v.removed} of ${v.managed} managed IPVS services (more than ipvs.max_removal_percent, ${v.maxPercent}%): ${consequence}`;
}

export type ReloadDecision =
  | { kind: 'unchanged' }
  | { kind: 'refused'; message: string }
  | { kind: 'apply'; diff: ServiceDiff };

export interface ReloadInput {
  current: { config: Config; hash: string };
  next: { config: Config; hash: string };
  /** Services recorded as lvsd's own beyond the current config. */
  recorded: readonly ServiceId[];
  force: boolean;
}

/**
 * What a reload does. The hash compared is the one committed by the last reload that succeeded,
 * so a reload that failed can be retried with the same file; a forced reload of the same file
 * still runs (it retires services a refused removal kept). The guard's limit is the one in force
 * (the running config's), not the one in a file that may be half-written.
 */
export function decideReload(input: ReloadInput): ReloadDecision {
  const { current, next, recorded, force } = input;
  if (next.hash === current.hash && !force) return { kind: 'unchanged' };
  const diff = diffServices(current.config, next.config, recorded);
  const managed = managedServices(current.config, recorded).length;
  const verdict = removalGuard(diff.retired, managed, current.config.ipvs.max_removal_percent, force);
  if (!verdict.ok) return { kind: 'refused', message: refusalMessage(verdict, 'nothing changed; check the file (a half-written save?) or force it with "lvsd reload --force"') };
  return { kind: 'apply', diff };
}

export interface StartDecision {
  /** Recorded services the config dropped while lvsd was down: deleted by the first reconcile. */
  retire: Retirement[];
  /** Recorded services kept although undeclared, because the guard refused their removal. */
  kept: ServiceId[];
  refused?: string;
}

/** At start: which recorded services to delete because the config no longer declares them. */
export function decideStart(config: Config, recorded: readonly ServiceId[]): StartDecision {
  const declared = new Set(config.services.map((s) => serviceKey(serviceIdFromConfig(s))));
  const undeclared = recorded.filter((id) => !declared.has(serviceKey(id)));
  const retire = undeclared.map((service) => ({ service, drainTimeout: DEFAULT_DRAIN_TIMEOUT_MS }));
  const verdict = removalGuard(retire, managedServices(config, recorded).length, config.ipvs.max_removal_percent, false);
  if (verdict.ok) return { retire, kept: [] };
  return { retire: [], kept: undeclared, refused: refusalMessage(verdict, 'they stay in the kernel; "lvsd reload --force" removes them') };
}

/** Why a reload failed in IPVS: how many changes failed, and the first one. */
export function failedChanges(failed: ApplyResult['failed']): string {
  const first = failed[0];
  if (!first) return 'no IPVS change failed';
  // A kernel refusal already names the operation ("edit service …: scheduler … (ENOENT)").
  const what = describeOperation(first.operation);
  const why = first.error.message.startsWith(what) ? first.error.message : `${what}: ${first.error.message}`;
  return `${failed.length} IPVS change(s) failed, first: ${why}`;
}
