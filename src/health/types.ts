// The health subsystem's boundary types. A check is exactly the config's `check:` block as the
// loader returns it (snake_case, durations in milliseconds, defaults filled in), so the daemon
// hands it over without translation.
import type { AgentConfig, CheckConfig } from '../config/types.js';
import type { AgentReply } from './agent.js';

export type CheckSpec = CheckConfig;
export type CheckType = CheckSpec['type'];
export type TcpCheck = Extract<CheckSpec, { type: 'tcp' }>;
/** HTTP or HTTPS; only HTTPS has `tls_verify` and `sni`. */
export type HttpCheck = Extract<CheckSpec, { type: 'http' | 'https' }>;
export type DnsCheck = Extract<CheckSpec, { type: 'dns' }>;
export type DnsQueryType = DnsCheck['query_type'];
export type UdpCheck = Extract<CheckSpec, { type: 'udp' }>;
export type ExecCheck = Extract<CheckSpec, { type: 'exec' }>;
export type PingCheck = Extract<CheckSpec, { type: 'ping' }>;
export type AgentSpec = AgentConfig;
/** The fields every check type has (all but ping also have `port`). */
export type CheckCommon = Pick<CheckSpec, 'interval' | 'timeout' | 'rise' | 'fall' | 'warmup' | 'source'>;

/** What a probe is aimed at: one real server of one service. */
export interface ProbeTarget {
  /** Service name from the config. */
  service: string;
  /** Real server address, canonical form. */
  address: string;
  /** Real server port; 0 for fwmark services without ports (then the check needs `port`). */
  port: number;
}

/** Outcome of one probe. `reason` is short and operator-facing: "refused", "status 503", ... */
export interface ProbeResult {
  ok: boolean;
  reason: string;
  /** Dynamic weight reported by the real server (exec `weight=N`). */
  weight?: number;
  /** What an agent answered (agent checks only; `ok` false: the agent was not reached). */
  agentReply?: AgentReply;
  durationMs: number;
}

/** A probe implementation. It must settle soon after `signal` aborts. */
export type Checker<S extends CheckSpec = CheckSpec> = (
  target: ProbeTarget,
  spec: S,
  signal: AbortSignal,
) => Promise<ProbeResult>;
