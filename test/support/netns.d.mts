// Types for netns.mjs (the code and its comments are there).
import type { ChildProcess, StdioNull, StdioPipe } from 'node:child_process';

export interface RunOptions {
  /** Kill the command after this long (default 10 s). */
  timeoutMs?: number;
  /** Written to the command's stdin. */
  input?: string;
  /** Do not throw on a non-zero exit; the caller inspects the result. */
  allowFailure?: boolean;
  /** Environment of the command (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit status, or null when the command was killed by a signal (e.g. the timeout). */
  status: number | null;
}

export function run(cmd: string, args: readonly string[], opts?: RunOptions): RunResult;
export function runAsync(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
export function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  opts?: { timeoutMs?: number; intervalMs?: number },
): Promise<T>;
export function sleep(ms: number): Promise<void>;
export function assertTestAddress(address: string): void;
export function ipBatch(lines: readonly string[], netns?: string): void;
export function sweepStaleNamespaces(area: string): string[];
export function deleteAllNow(): void;
export function deleteAllOnSignal(): () => void;

/** What `ip -j link show` says about an interface, trimmed to what tests look at. */
export interface LinkInfo {
  ifindex: number;
  ifname: string;
  mac: string;
  mtu: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Carrier present (IFF_LOWER_UP). */
  lowerUp: boolean;
}

/** One neighbour-table entry, from `ip -j neigh show`. */
export interface NeighbourEntry {
  dst: string;
  /** Absent when the listing was filtered by device. */
  dev?: string;
  lladdr?: string;
  state: string[];
}

export interface NetnsOptions {
  /** Keep IPv6 duplicate address detection on (default off). */
  dad?: boolean;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class NetnsProcess {
  constructor(child: ChildProcess, description: string);
  readonly child: ChildProcess;
  readonly description: string;
  get pid(): number | undefined;
  get output(): string;
  get running(): boolean;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  waitForExit(timeoutMs?: number): Promise<ExitStatus>;
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<void>;
  killNow(): void;
}

export class Netns {
  private constructor(name: string, label?: string);
  readonly name: string;
  readonly label: string | undefined;
  static create(area: string, label?: string, opts?: NetnsOptions): Netns;
  static createMany(area: string, labels: readonly string[]): Netns[];
  sysctls(values: Record<string, string | number>): void;
  sysctl(key: string, value: string | number): void;
  get path(): string;
  exec(cmd: string, args?: readonly string[], opts?: RunOptions): string;
  execResult(cmd: string, args?: readonly string[], opts?: RunOptions): RunResult;
  execAsync(cmd: string, args?: readonly string[], opts?: RunOptions): Promise<RunResult>;
  ip(...args: string[]): string;
  batch(lines: readonly string[]): void;
  spawn(cmd: string, args?: readonly string[], opts?: { env?: NodeJS.ProcessEnv; stdin?: StdioPipe | StdioNull }): NetnsProcess;
  addr(ifname: string, cidr: string): void;
  link(ifname: string): LinkInfo;
  addresses(ifname: string): string[];
  linkLocal(ifname: string): string | undefined;
  neighbours(family: 4 | 6, ifname?: string): NeighbourEntry[];
  delete(): Promise<void>;
  deleteNow(): void;
}

export function veth(a: Netns, aIf: string, b: Netns, bIf: string): void;
export function lan(sw: Netns, members: ReadonlyArray<{ ns: Netns; ifname: string }>): void;

export class NetnsLab {
  constructor(area: string);
  readonly area: string;
  ns(label?: string, opts?: NetnsOptions): Netns;
  pair(subnet: number, opts?: { names?: [string, string]; ipv6?: boolean }): [Netns, Netns];
  cleanup(): Promise<void>;
}

/** A bare namespace of a kernel IPVS test. */
export interface TestNetns {
  name: string;
  /** /run/netns/<name>, for IpvsClient.open({ netns }). */
  path: string;
  /** Runs a command inside the namespace (with `input` on stdin) and returns its stdout. */
  run(cmd: string, args: readonly string[], input?: string): string;
  /** Opens a TCP connection from inside the namespace and gives up after `seconds`: enough for IPVS to schedule the SYN. */
  connectTcp(address: string, port: number, seconds: number): void;
  /** Deletes the namespace (and with it its IPVS table and interfaces). */
  remove(): void;
}
export function createNetns(area: string): TestNetns;
