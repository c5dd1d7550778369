// Types for bgp-scenarios.mjs.
import type { BgpLab } from './bgp-topology.mjs';
import type { BurstResult } from './traffic.mjs';

export const FLOW_PORTS: number[];
export const POOL_TIMING: { intervalMs: number; timeoutMs: number };
export const STREAM_TIMING: { intervalMs: number; timeoutMs: number };
export const CRASH_STREAM_TIMING: { intervalMs: number; timeoutMs: number };
export interface StreamOutcome {
  total: number;
  failed: number;
  /** Median and largest interval between two requests' starts, ms: the gap's resolution. */
  spacingMs: { median: number; max: number };
}
export interface PoolOutcome {
  total: number;
  working: number;
  serverChanged: number;
  errors: string[];
}
export function spread(lab: BgpLab, directors: string[], n?: number): Promise<{ burst: BurstResult; perDirector: Array<{ director: string; conns: number; inPackets: number; flowShare: number }> }>;
export function join(lab: BgpLab, name: string, running: string[], opts?: { settleMs?: number }): Promise<{ moved: number; toNew: number; movedBetweenOld: number; bucketsMoved: number; pool: PoolOutcome; poolMoved: PoolOutcome }>;
export function drain(
  lab: BgpLab,
  name: string,
  remaining: string[],
  opts?: { settleMs?: number },
): Promise<{ reply: { maintenance: boolean; announced: string[] }; withdrawMs: number | undefined; stream: StreamOutcome; pool: PoolOutcome; poolViaDrained: PoolOutcome }>;
export function crash(
  lab: BgpLab,
  victim: string,
  survivors: string[],
  opts?: { settleMs?: number },
): Promise<{
  /** From the victim's link losing carrier to the router's FIB without it. */
  withdrawMs: number | undefined;
  /** ... to the router's BIRD taking the session down (BFD's detection). */
  sessionDownMs: number | undefined;
  /** From the crash call to the link losing carrier. */
  linkDownLagMs: number;
  gapMs: number;
  stream: StreamOutcome;
  all: PoolOutcome;
  viaSurvivors: PoolOutcome;
  viaDead: PoolOutcome;
}>;
