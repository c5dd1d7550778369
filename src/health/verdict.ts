// A real server with several checks (a TCP connect and an HTTP GET, a PING and a DNS query): the
// server is up while every check is up. Pure, like state.ts, which it builds on.
//
// Each check keeps its own HealthState and rise/fall counting, and the server's state is derived
// from them, rather than all results being folded into one counter. The checks run at their own
// intervals (a ping every second, an HTTP GET every ten), so a shared counter would let three
// quick pings count as the "rise" of an HTTP check that has answered once, and a single slow
// failure be diluted by the fast successes around it. Per check, "fall: 3" means three failures
// of that check, as the operator wrote it. The server goes down as soon as any one check is down
// (the first one in config order is named as the reason) and comes back once the last one is up.
import type { AgentState } from './agent.js';
import type { HealthState, HealthTransition } from './state.js';

/** One check of a real server, as the monitor keeps it. */
export interface CheckHealth {
  /** "tcp", "http /healthz", "ping": how the check is named in reasons and status. */
  label: string;
  state: HealthState;
}

/**
 * The server's state from its checks' states (in config order) and its previous state; the
 * transition when up/down flipped, when its first verdict is a failure, or when the weight of
 * an up server changed. With one check the server's state is that check's, unchanged.
 */
export function combineChecks(
  previous: HealthState,
  checks: readonly CheckHealth[],
  now: number,
): { state: HealthState; transition?: HealthTransition } {
  const agent: { agent?: AgentState } = previous.agent ? { agent: previous.agent } : {};
  const only = checks.length === 1 ? checks[0] : undefined;
  const next: HealthState = only ? { ...only.state, ...agent } : { ...merged(checks, previous), ...agent };
  if (!only && (next.up !== previous.up || (previous.pending && !next.pending))) next.since = now;
  if (next.up !== previous.up) return { state: next, transition: withWeight({ up: next.up, reason: next.reason }, next.up ? next.weight : undefined) };
  if (!next.up && previous.pending && !next.pending) return { state: next, transition: { up: false, reason: next.reason } };
  if (next.up && next.weight !== previous.weight) return { state: next, transition: withWeight({ up: true, reason: `weight ${String(next.weight)}` }, next.weight) };
  return { state: next };
}

/** Several checks folded into one state: up while all are, counters of the deciding check. */
function merged(checks: readonly CheckHealth[], previous: HealthState): HealthState {
  const up = checks.every((c) => c.state.up);
  // A check that failed names the reason before one that has not answered yet.
  const failing = checks.find((c) => !c.state.up && !c.state.pending) ?? checks.find((c) => !c.state.up);
  const last = checks.reduce<HealthState['lastResult']>((latest, c) => {
    const r = c.state.lastResult;
    return r && (!latest || r.at >= latest.at) ? r : latest;
  }, undefined);
  const weights = checks.map((c) => c.state.weight).filter((w): w is number => w !== undefined);
  const state: HealthState = {
    up,
    // No verdict yet while nothing has failed and some check has not answered: a new server is
    // reported (down) at its first failure or (up) once every check has passed, not before.
    pending: failing?.state.pending !== false && checks.some((c) => c.state.pending),
    since: previous.since,
    reason: failing ? `${failing.label}: ${failing.state.reason}` : `all ${checks.length} checks passed`,
    // Up: the check nearest to failing decides; down: the failing one.
    consecutiveOk: failing ? failing.state.consecutiveOk : Math.min(...checks.map((c) => c.state.consecutiveOk)),
    consecutiveFail: failing ? failing.state.consecutiveFail : Math.max(...checks.map((c) => c.state.consecutiveFail)),
    probes: checks.reduce((n, c) => n + c.state.probes, 0),
  };
  // Checks that report a weight (exec weight=N): the smallest one wins, the cautious choice.
  if (weights.length > 0) state.weight = Math.min(...weights);
  if (last) state.lastResult = last;
  return state;
}

function withWeight(t: HealthTransition, weight: number | undefined): HealthTransition {
  return weight === undefined ? t : { ...t, weight };
}

/**
 * Names for a server's checks: the type, plus the port or path that tells two of a kind apart
 * ("tcp:8080", "http /healthz"); still equal ones get "#2", "#3".
 */
export function checkLabels(checks: readonly { type: string; port?: number | undefined; path?: string | undefined; urls?: readonly unknown[] | undefined }[]): string[] {
  const base = checks.map((c) => {
    let label = c.type;
    if (c.port !== undefined) label += `:${c.port}`;
    if (c.path !== undefined && c.urls === undefined) label += ` ${c.path}`;
    return label;
  });
  const seen = new Map<string, number>();
  return base.map((label) => {
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return n === 1 ? label : `${label}#${n}`;
  });
}
