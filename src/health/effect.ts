// What health means for IPVS: from a service's configured real servers, their health and the
// operator's overrides, the destinations the kernel should have. Pure; the reconciler diffs
// the result against the kernel and applies it in one batch.
//
// Rules, in order of precedence:
// 1. Operator overrides win over checks and persist until cleared: `disable` removes the real
//    server, `drain` keeps it with weight 0 (existing connections finish, no new ones),
//    `enable` keeps it in service at its configured weight whatever its checks say.
// 2. A real server without a check (neither its own nor its service's) is always healthy;
//    one with a check and no health yet is down (it has not passed a check).
//    A down real server is removed (`on_failure: remove`) or kept with weight 0 (`drain`).
// 3. An up real server gets the weight its check reported (exec `weight=N`), else its
//    configured weight.
// 4. Quorum: the sum of the weights from 3 over in-service real servers must reach `quorum`,
//    and at least 1 (`quorum: 0` means "any": some real server must still take new
//    connections). With `quorum_hysteresis` h, a met quorum is lost below quorum − h and a lost
//    one is regained at quorum + h, so a farm hovering at the edge does not flap. While quorum
//    is lost and a sorry server is configured, traffic goes to the sorry server only: every
//    real server is treated as failed (removed or drained per `on_failure`), because a farm
//    below quorum would be overloaded anyway. Without a sorry server the healthy remainder
//    keeps serving and `quorumMet: false` lets the daemon report it.
import { realServerKey } from './types.js';

export type OperatorOverride = 'drain' | 'enable' | 'disable';

export interface EffectRealServer {
  address: string;
  port: number;
  /** Configured weight. */
  weight: number;
  /** Its own check, replacing the service's. */
  check?: unknown;
}

/** The fields of a loaded service config this function reads. */
export interface EffectService {
  /** Absent on the service and on a real server: that real server is never checked. */
  check?: unknown;
  real_servers: EffectRealServer[];
  on_failure: 'remove' | 'drain';
  quorum?: number;
  quorum_hysteresis?: number;
  sorry_server?: { address: string; port: number };
}

/** The part of a real server's HealthState this function reads. */
export interface RealServerHealth {
  up: boolean;
  weight?: number;
}

export interface EffectiveDestination {
  address: string;
  port: number;
  weight: number;
  /** False: the destination must not exist in the kernel. */
  present: boolean;
  sorry: boolean;
}

export interface EffectiveService {
  destinations: EffectiveDestination[];
  sorryServerActive: boolean;
  quorumMet: boolean;
  /** Sum of in-service weights the quorum was judged on. */
  healthyWeight: number;
}

/**
 * @param states health by real-server key (see realServerKey); a checked real server without an
 *   entry is treated as down (it has not passed a check yet).
 * @param overrides operator overrides by real-server key.
 * @param previousQuorumMet the last result's `quorumMet`; undefined on the first evaluation
 *   (then the quorum is judged without hysteresis).
 */
export function effectiveDestinations(
  service: EffectService,
  states: ReadonlyMap<string, RealServerHealth>,
  overrides: ReadonlyMap<string, OperatorOverride>,
  previousQuorumMet?: boolean,
): EffectiveService {
  const serving = service.real_servers.map((rs) => {
    const key = realServerKey(rs.address, rs.port);
    const unchecked = service.check === undefined && rs.check === undefined;
    return servingWeight(rs, unchecked ? { up: true } : states.get(key), overrides.get(key));
  });
  const healthyWeight = serving.reduce<number>((sum, s) => sum + (s.kind === 'serving' ? s.weight : 0), 0);

  const quorum = Math.max(1, service.quorum ?? 0);
  const h = service.quorum_hysteresis ?? 0;
  let quorumMet: boolean;
  if (previousQuorumMet === undefined) quorumMet = healthyWeight >= quorum;
  else if (previousQuorumMet) quorumMet = healthyWeight >= quorum - h;
  else quorumMet = healthyWeight >= quorum + h;

  const sorryServerActive = !quorumMet && service.sorry_server !== undefined;
  const destinations: EffectiveDestination[] = service.real_servers.map((rs, i) => {
    const s = serving[i] as Serving;
    const base = { address: rs.address, port: rs.port, sorry: false };
    if (s.kind === 'forced') return { ...base, ...s.destination };
    if (s.kind === 'serving' && !sorryServerActive) return { ...base, weight: s.weight, present: true };
    return service.on_failure === 'drain' ? { ...base, weight: 0, present: true } : { ...base, weight: 0, present: false };
  });
  if (service.sorry_server) {
    const { address, port } = service.sorry_server;
    destinations.push({ address, port, weight: sorryServerActive ? 1 : 0, present: sorryServerActive, sorry: true });
  }
  return { destinations, sorryServerActive, quorumMet, healthyWeight };
}

type Serving =
  | { kind: 'serving'; weight: number }
  | { kind: 'failed' }
  /** Overridden by the operator to out-of-service: not subject to quorum or on_failure. */
  | { kind: 'forced'; destination: { weight: number; present: boolean } };

function servingWeight(rs: EffectRealServer, health: RealServerHealth | undefined, override: OperatorOverride | undefined): Serving {
  switch (override) {
    case 'disable':
      return { kind: 'forced', destination: { weight: 0, present: false } };
    case 'drain':
      return { kind: 'forced', destination: { weight: 0, present: true } };
    case 'enable':
      return { kind: 'serving', weight: rs.weight };
    case undefined:
      if (!health?.up) return { kind: 'failed' };
      return { kind: 'serving', weight: health.weight ?? rs.weight };
  }
}
