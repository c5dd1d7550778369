// Types for bgp-topology.mjs, for the kernel tests.
import type { Netns, NetnsProcess } from '../support/netns.mjs';
import type { LabStatus } from './topology.mjs';
import type { ClientDriver } from './traffic.mjs';

export interface RouteEvent {
  /** When `ip monitor` saw the change (epoch ms). */
  t: number;
  /** The director names the VIP's route leads to after it; empty when deleted. */
  hops: string[];
}
export function directorConfig(name: string, dir: string): string;
export function routerBirdConfig(): string;
export class BgpLab {
  static build(opts?: { log?: (line: string) => void }): Promise<BgpLab>;
  readonly dir: string;
  readonly ns: Record<string, Netns>;
  /** lvsd runs on every director from the start, BIRD on the first ones until join. */
  readonly directors: Record<string, { lvsd: NetnsProcess; bird?: NetnsProcess }>;
  readonly routerBird: NetnsProcess;
  /** resilient-ecmp.py: BIRD's route into the router's resilient nexthop group. */
  readonly resilientEcmp: NetnsProcess;
  readonly client: ClientDriver;
  /** The director of each hash bucket of the router's resilient group, by bucket index. */
  routerBuckets(): string[];
  configPath(name: string): string;
  socketPath(name: string): string;
  startLvsd(name: string): NetnsProcess;
  startBird(name: string): NetnsProcess;
  startDirector(name: string): { lvsd: NetnsProcess; bird: NetnsProcess };
  routerHops(): string[];
  waitAnnounced(names: string[], timeoutMs?: number): Promise<unknown>;
  status(name: string): Promise<LabStatus | undefined>;
  waitReady(name: string, timeoutMs?: number): Promise<LabStatus>;
  drainNode(name: string, undo?: boolean): Promise<{ maintenance: boolean; announced: string[] }>;
  crash(name: string): Promise<number>;
  stopDirector(name: string): Promise<void>;
  recover(name: string): { lvsd: NetnsProcess; bird: NetnsProcess };
  routerSessionDownAt(name: string, since: number): number | undefined;
  watchRoutes(): { events(): RouteEvent[]; linkDownAt(name: string, since: number): number | undefined; stop(): Promise<RouteEvent[]> };
  flowDirectors(ports: number[]): Record<number, string>;
  ipvsClientPorts(name: string): Set<number>;
  ipvsStats(name: string): { conns: number; inPackets: number };
  cleanup(): Promise<void>;
}
