// Per-real-server health: rise/fall counting and up/down transitions. Pure: the caller passes
// the clock reading, this module never looks at time or sockets.
//
// Initial state. A real server lvsd has never seen starts DOWN ("pending"): an operator adding
// a server expects no traffic to reach it before it has answered a check. A single success is
// enough to bring a pending server up (it never failed, so there is no flapping to dampen);
// after a real failure it needs `rise` successes. A restart of lvsd must not drop a healthy
// farm, so the daemon starts servers it finds already programmed in the kernel as UP
// (`initialUp`); they then need `fall` failures to go down like any up server.
import type { AgentState } from './agent.js';
import type { ProbeResult } from './types.js';

export interface HealthCounts {
  rise: number;
  fall: number;
}

export interface HealthState {
  up: boolean;
  /** True until the first probe result arrives. */
  pending: boolean;
  /** Clock reading of the last up/down change, or of creation (the monitor's clock: epoch ms). */
  since: number;
  /** Why the server is in its current state, e.g. "refused", "status 503", "passed 2 checks". */
  reason: string;
  consecutiveOk: number;
  consecutiveFail: number;
  /** Dynamic weight from the last successful probe that reported one. */
  weight?: number;
  lastResult?: ProbeResult & { at: number };
  probes: number;
  /** What the real server's agent last said; absent without an agent check. */
  agent?: AgentState;
}

/**
 * Something the monitor reports, once: up/down flipped, a new real server's first check failed
 * (down, though it never served), or the dynamic weight changed while up.
 */
export interface HealthTransition {
  up: boolean;
  weight?: number;
  reason: string;
}

export function initialHealthState(initialUp: boolean, now: number): HealthState {
  return {
    up: initialUp,
    pending: true,
    since: now,
    reason: initialUp ? 'assumed up (already in service)' : 'not checked yet',
    consecutiveOk: 0,
    consecutiveFail: 0,
    probes: 0,
  };
}

/** What of a HealthState outlives a restart: the verdict and its counters, not the last probe. */
export type SavedHealth = Pick<HealthState, 'up' | 'since' | 'reason' | 'consecutiveOk' | 'consecutiveFail' | 'weight' | 'agent'>;

/** The part worth saving; undefined while no probe has answered (there is nothing to keep). */
export function savedHealth(state: HealthState): SavedHealth | undefined {
  if (state.pending) return undefined;
  const { up, since, reason, consecutiveOk, consecutiveFail, weight, agent } = state;
  return { up, since, reason, consecutiveOk, consecutiveFail, ...(weight !== undefined ? { weight } : {}), ...(agent ? { agent } : {}) };
}

/**
 * A saved verdict taken up again after a restart: not pending, so a server that was down needs
 * `rise` passed checks (not one) before it gets traffic, and one that was up needs `fall` failures.
 */
export function restoredHealthState(saved: SavedHealth): HealthState {
  return { ...saved, pending: false, probes: 0 };
}

/** Folds one probe result into the state; returns the new state and the transition, if any. */
export function applyProbeResult(
  state: HealthState,
  result: ProbeResult,
  counts: HealthCounts,
  now: number,
): { state: HealthState; transition?: HealthTransition } {
  const next: HealthState = {
    ...state,
    pending: false,
    probes: state.probes + 1,
    lastResult: { ...result, at: now },
    consecutiveOk: result.ok ? state.consecutiveOk + 1 : 0,
    consecutiveFail: result.ok ? 0 : state.consecutiveFail + 1,
  };
  if (result.ok && result.weight !== undefined) next.weight = result.weight;

  if (state.up && !result.ok) {
    if (next.consecutiveFail < Math.max(1, counts.fall)) return { state: next };
    next.up = false;
    next.since = now;
    next.reason = result.reason;
    return { state: next, transition: { up: false, reason: result.reason } };
  }
  if (!state.up && result.ok) {
    const needed = state.pending ? 1 : Math.max(1, counts.rise);
    if (next.consecutiveOk < needed) return { state: next };
    next.up = true;
    next.since = now;
    next.reason = needed === 1 ? 'passed check' : `passed ${needed} checks`;
    return { state: next, transition: withWeight({ up: true, reason: next.reason }, next.weight) };
  }
  if (!state.up) {
    if (!result.ok && state.pending) {
      // A new real server's first verdict is a fact worth one log line, though it was already
      // out of service.
      next.since = now;
      next.reason = result.reason;
      return { state: next, transition: { up: false, reason: result.reason } };
    }
    // Still down: keep the latest failure as the reason (it may change from "timeout" to
    // "refused"), but that is not a transition.
    next.reason = result.ok ? state.reason : result.reason;
    return { state: next };
  }
  if (next.weight !== state.weight) {
    return { state: next, transition: withWeight({ up: true, reason: `weight ${String(next.weight)}` }, next.weight) };
  }
  return { state: next };
}

function withWeight(t: HealthTransition, weight: number | undefined): HealthTransition {
  return weight === undefined ? t : { ...t, weight };
}
