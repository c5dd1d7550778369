// Graceful removal, the rule the planner follows when a real server or a whole service leaves
// (config change, `lvsd disable`, identity change): it is set to weight 0 first, so the kernel
// schedules no new connections to it while the established ones carry on, and it is deleted once
// its active connections reach 0 or its `drain_timeout` has passed. Deleting at once, as lvsd and
// keepalived did, breaks every established connection (keepalived #1228, kubernetes #57841).
//
// Pure: the deadline is wall-clock epoch milliseconds so that a drain keeps its end across a
// restart (the daemon persists the records); `now` is given by the caller.
import { serviceKey } from './names.js';
import { hostPort } from '../net/address.js';
import type { DestinationId, ServiceId } from './types.js';

/** A removal in progress: a real server of a service, or a whole service (no `dest`). */
export interface Drain {
  service: ServiceId;
  dest?: DestinationId;
  /** Epoch ms: when the drain began. */
  since: number;
  /** Epoch ms: deleted at this moment at the latest, connections or not. */
  deadline: number;
}

/** What the planner needs to drain instead of deleting. */
export interface DrainContext {
  /** Epoch ms. */
  now: number;
  /** Drains under way, by drainKey. */
  current: ReadonlyMap<string, Drain>;
  /** drain_timeout in ms of each declared service, by serviceKey; absent or 0 = delete at once. */
  timeouts: ReadonlyMap<string, number>;
  /**
   * Real servers (drainKey) that are absent from the desired state but leave at once, as before:
   * those removed by a failed check (`on_failure: remove`) and a sorry server no longer needed.
   */
  abrupt: ReadonlySet<string>;
}

/** Why a drained object is deleted now. */
export type DrainEnd = 'idle' | 'timeout';

/** One map key per drain: the service's key, plus the real server's for a real-server drain. */
export function drainKey(service: ServiceId, dest?: DestinationId): string {
  return dest ? `${serviceKey(service)}|${hostPort(dest)}` : serviceKey(service);
}

export type DrainStep = { delete: true; end?: DrainEnd } | { delete: false; drain: Drain };

/**
 * One look at a leaving object: keep draining it (with its record, new or carried on) or delete
 * it now. `end` says why a drain ended; it is absent when there was no drain (timeout 0, or no
 * active connection when it left).
 */
export function drainStep(ctx: DrainContext, service: ServiceId, dest: DestinationId | undefined, timeoutMs: number, activeConns: number): DrainStep {
  if (timeoutMs <= 0) return { delete: true };
  const known = ctx.current.get(drainKey(service, dest));
  if (activeConns <= 0) return known ? { delete: true, end: 'idle' } : { delete: true };
  // A drain_timeout shortened during a drain takes effect; a longer one does not stretch it.
  const drain: Drain = !known
    ? { service, ...(dest ? { dest: { address: dest.address, port: dest.port } } : {}), since: ctx.now, deadline: ctx.now + timeoutMs }
    : known.since + timeoutMs < known.deadline
      ? { ...known, deadline: known.since + timeoutMs }
      : known;
  if (ctx.now >= drain.deadline) return { delete: true, end: 'timeout' };
  return { delete: false, drain };
}

/** The earliest deadline among the drains, or undefined when none. */
export function nextDeadline(drains: Iterable<Drain>): number | undefined {
  let next: number | undefined;
  for (const d of drains) if (next === undefined || d.deadline < next) next = d.deadline;
  return next;
}
