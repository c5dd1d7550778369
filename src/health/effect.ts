// What health means for IPVS: from a service's real servers (as the destinations the kernel
// holds at full weight), their health and the operator's overrides, the destinations the kernel
// should have, with every field the caller gave and the weight decided here. Pure; the reconciler
// diffs the result against the kernel and applies it in one batch.
//
// Rules, in order of precedence:
// 1. Operator overrides win over checks and persist until cleared: `disable` removes the real
//    server, `drain` keeps it with weight 0 (existing connections finish, no new ones),
//    `enable` keeps it in service at its configured weight whatever its checks say.
// 2. A real server without a check (neither its own nor its service's) is always healthy;
//    one with a check and no health yet is down (it has not passed a check).
//    A down real server is removed (`on_failure: remove`) or kept with weight 0 (`drain`),
//    as its own on_failure says, else its service's.
// 3. An up real server gets the weight its check reported (exec `weight=N`), else its
//    configured weight. Its agent (agent check), when it has one, has the last word below the
//    operator: `maint` takes it out like `disable`, `drain` like `drain`, `down` fails it like a
//    failed check, and a percentage scales the weight.
// 4. Quorum: the sum of the weights from 3 over in-service real servers must reach `quorum`,
//    and at least 1 (`quorum: 0` means "any": some real server must still take new
//    connections). With `quorum_hysteresis` h, a met quorum is lost below quorum − h and a lost
//    one is regained at quorum + h, so a farm hovering at the edge does not flap. While quorum
//    is lost and a sorry server is configured, traffic goes to the sorry server only: every
//    real server is treated as failed (removed or drained per `on_failure`), because a farm
//    below quorum would be overloaded anyway. Without a sorry server the healthy remainder
//    keeps serving and `quorumMet: false` lets the daemon report it.
import { type AgentState, agentWeight } from './agent.js';
import { hostPort } from '../net/address.js';

export type OperatorOverride = 'drain' | 'enable' | 'disable';

/** What the policy reads of a destination; the daemon passes IPVS destinations and gets them back. */
export interface Weighted {
  address: string;
  port: number;
  /** Full weight: the configured one (a check may report another). */
  weight: number;
}

export interface EffectRealServer<D extends Weighted = Weighted> {
  /** The real server as the kernel should hold it when in service at its configured weight. */
  destination: D;
  /** False when neither it nor its service has a check: it is always healthy. */
  checked: boolean;
  /** Its own on_failure (keepalived's per-server inhibit_on_failure); default the service's. */
  onFailure?: 'remove' | 'drain';
}

/** A service as the policy reads it (mapped from its config by the daemon). */
export interface EffectService<D extends Weighted = Weighted> {
  realServers: EffectRealServer<D>[];
  onFailure: 'remove' | 'drain';
  /** 0 = any: some real server must still take new connections. */
  quorum: number;
  quorumHysteresis: number;
  /** The sorry server at the weight it gets while active. */
  sorryServer?: D;
}

/** The part of a real server's HealthState this function reads. */
export interface RealServerHealth {
  up: boolean;
  weight?: number;
  agent?: Pick<AgentState, 'admin' | 'up' | 'percent'>;
}

export interface EffectiveService<D extends Weighted = Weighted> {
  /**
   * What the kernel should hold, in config order, each at its effective weight: the real servers
   * in service or drained, then the sorry server while it is active. Absent ones must not exist.
   */
  destinations: D[];
  sorryServerActive: boolean;
  quorumMet: boolean;
  /** Sum of in-service weights the quorum was judged on. */
  healthyWeight: number;
}

/**
 * @param states health by real-server key (see hostPort); a checked real server without an
 *   entry is treated as down (it has not passed a check yet).
 * @param overrides operator overrides by real-server key.
 * @param previousQuorumMet the last result's `quorumMet`; undefined on the first evaluation
 *   (then the quorum is judged without hysteresis).
 */
export function effectiveDestinations<D extends Weighted>(
  service: EffectService<D>,
  states: ReadonlyMap<string, RealServerHealth>,
  overrides: ReadonlyMap<string, OperatorOverride>,
  previousQuorumMet?: boolean,
): EffectiveService<D> {
  const serving = service.realServers.map(({ destination: d, checked }) => {
    const key = hostPort(d);
    return servingWeight(d, checked ? states.get(key) : { up: true }, overrides.get(key));
  });
  const healthyWeight = serving.reduce<number>((sum, s) => sum + (s.kind === 'serving' ? s.weight : 0), 0);

  const quorum = Math.max(1, service.quorum);
  const h = service.quorumHysteresis;
  let quorumMet: boolean;
  if (previousQuorumMet === undefined) quorumMet = healthyWeight >= quorum;
  else if (previousQuorumMet) quorumMet = healthyWeight >= quorum - h;
  else quorumMet = healthyWeight >= quorum + h;

  const sorryServerActive = !quorumMet && service.sorryServer !== undefined;
  const destinations: D[] = [];
  service.realServers.forEach(({ destination, onFailure }, i) => {
    const s = serving[i] as Serving;
    let weight: number | undefined;
    if (s.kind === 'forced') weight = s.weight;
    else if (s.kind === 'serving' && !sorryServerActive) weight = s.weight;
    else if ((onFailure ?? service.onFailure) === 'drain') weight = 0;
    if (weight !== undefined) destinations.push({ ...destination, weight });
  });
  if (sorryServerActive && service.sorryServer) destinations.push(service.sorryServer);
  return { destinations, sorryServerActive, quorumMet, healthyWeight };
}

type Serving =
  | { kind: 'serving'; weight: number }
  | { kind: 'failed' }
  /** Overridden by the operator to out-of-service: not subject to quorum or on_failure; undefined weight = absent. */
  | { kind: 'forced'; weight: number | undefined };

function servingWeight(d: Weighted, health: RealServerHealth | undefined, override: OperatorOverride | undefined): Serving {
  switch (override) {
    case 'disable':
      return { kind: 'forced', weight: undefined };
    case 'drain':
      return { kind: 'forced', weight: 0 };
    case 'enable':
      return { kind: 'serving', weight: d.weight };
    case undefined: {
      if (!health?.up) return { kind: 'failed' };
      const { agent } = health;
      const weight = health.weight ?? d.weight;
      if (!agent) return { kind: 'serving', weight };
      if (agent.admin === 'maint') return { kind: 'forced', weight: undefined };
      if (agent.admin === 'drain') return { kind: 'forced', weight: 0 };
      if (!agent.up) return { kind: 'failed' };
      return { kind: 'serving', weight: agentWeight(weight, agent.percent) };
    }
  }
}
