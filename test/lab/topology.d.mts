// Types for topology.mjs, for the E2E kernel tests.
import type { Netns, NetnsProcess } from '../support/netns.mjs';
import type { ClientDriver } from './traffic.mjs';

export type Preparation = Record<string, 'cli' | 'script'>;
export interface PreparationResult {
  tool: 'cli' | 'script';
  ok: boolean;
  output: string;
}
/** What `lvsd status` reports, as far as the lab reads it. */
export interface LabStatus {
  node: string;
  vrrp: { name: string; state: string }[];
  services: { name: string; inKernel: boolean; realServers: { server: string; health: string; weight: number | null }[] }[];
}
export const CLI: string;
export const SCRIPT: string;
export const DEFAULT_PREPARATION: Preparation;
export class Lab {
  readonly dir: string;
  readonly ns: Record<string, Netns>;
  readonly daemons: Record<string, NetnsProcess>;
  readonly client: ClientDriver;
  readonly preparation: Record<string, PreparationResult>;
  static build(opts?: { log?: (line: string) => void; preparation?: Preparation }): Promise<Lab>;
  writeConfig(name: string, opts: { syncDaemon: boolean }): void;
  reconfigure(opts: { syncDaemon: boolean }): Promise<void>;
  configPath(name: string): string;
  socketPath(name: string): string;
  realServerCommand(rsName: string, tool: 'cli' | 'script', args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }>;
  checkRealServer(rsName: string, tool: 'cli' | 'script', modes?: ('dr' | 'tun' | 'nat')[]): Promise<{ ok: boolean; output: string }>;
  waitDaemons(opts?: { timeoutMs?: number }): Promise<void>;
  status(name: string): Promise<LabStatus | undefined>;
  vrrpState(name: string): Promise<string>;
  waitState(name: string, state: string, timeoutMs?: number): Promise<unknown>;
  waitReady(name: string, timeoutMs: number): Promise<unknown>;
  /** Links down, then the daemon SIGKILLed; resolves with the time of the crash (epoch ms). */
  crash(name: string): Promise<number>;
  recover(name: string): NetnsProcess;
  transitionTime(name: string, state: string, since?: number): number | undefined;
  outerMacs(): Record<string, string>;
  ipvsConnections(name: string): string[];
  cleanup(): Promise<void>;
}
