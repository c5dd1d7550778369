// Driving VRRP nodes in network namespaces: each node is one process hosting the VrrpManager
// (vrrp-node.mjs, from dist/) with a YAML config written here; commands go over its stdin,
// state changes come back on its stdout. Processes are stopped by PID, always.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { VrrpInstanceView } from '../../../src/daemon/vrrp-status.js';
import type { VrrpState } from '../../../src/vrrp/instance.js';
import { waitFor, type Netns } from '../../support/netns.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const DRIVER = path.join(here, 'vrrp-node.mjs');
const BUILT_MANAGER = path.join(root, 'dist', 'daemon', 'vrrp-manager.js');

/** The driver runs the compiled manager; say so instead of failing obscurely. */
export function assertBuilt(): void {
  if (!existsSync(BUILT_MANAGER)) throw new Error(`${BUILT_MANAGER} is missing: run \`npm run build\` before the netns VRRP tests`);
}

/** One `vrrp.instances[]` entry as written in YAML (snake_case keys). */
export type InstanceYaml = Record<string, unknown> & { name: string; interface: string; vrid: number; vips: unknown[] };

export function configYaml(node: string, instances: readonly InstanceYaml[], syncGroups: readonly Record<string, unknown>[] = []): string {
  return stringify({ node: { name: node }, vrrp: { instances, sync_groups: syncGroups } });
}

export interface StateEvent {
  instance: string;
  state: VrrpState;
  reason: string;
  /** Wall clock, ms. */
  at: number;
}

let nextId = 1;

export class VrrpNode {
  readonly events: StateEvent[] = [];
  private stdout = '';
  private stderr = '';
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Promise<void>;
  private running = true;
  private ready = false;

  private constructor(
    readonly ns: Netns,
    readonly name: string,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.onStdout(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.once('exit', () => {
      this.running = false;
      for (const p of this.pending.values()) p.reject(new Error(`${name} exited`));
      this.pending.clear();
      resolve();
    }));
  }

  /**
   * Writes the config and starts the node; resolves once the manager runs. `host` picks another
   * driver speaking the same protocol (daemon-node.mjs runs the whole daemon) and its arguments;
   * `nodeArgs` go to node itself (the V8 flags `lvsd run` runs with).
   */
  static async start(
    lab: VrrpProcesses,
    ns: Netns,
    name: string,
    yaml: string,
    host: { driver?: string; args?: string[]; nodeArgs?: readonly string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ): Promise<VrrpNode> {
    const dir = mkdtempSync(path.join(tmpdir(), `lvsd-vrrp-${name}-`));
    const config = path.join(dir, 'lvsd.yaml');
    writeFileSync(config, yaml);
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, ...(host.nodeArgs ?? []), host.driver ?? DRIVER, config, ...(host.args ?? [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...host.env },
    });
    const node = new VrrpNode(ns, name, dir, child);
    lab.track(node);
    await waitFor(`${name} to start`, () => {
      if (!node.running) throw new Error(`${name} exited during start: ${node.stderr.slice(-2000)}`);
      return node.ready;
    }, { timeoutMs: host.timeoutMs ?? 10_000 });
    return node;
  }

  /** Resolves with the exit status once the process is gone (bounded). */
  async exitStatus(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    await Promise.race([this.exited, new Promise((_, reject) => setTimeout(() => reject(new Error(`${this.name} did not exit`)), timeoutMs))]);
    return { code: this.child.exitCode, signal: this.child.signalCode };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The JSON log lines the manager wrote. */
  get log(): string {
    return this.stderr;
  }

  request(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<unknown> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.stdin?.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  async status(): Promise<VrrpInstanceView[]> {
    return ((await this.request('status')) as { instances: VrrpInstanceView[] }).instances;
  }

  async instance(name: string): Promise<VrrpInstanceView> {
    const found = (await this.status()).find((i) => i.name === name);
    if (!found) throw new Error(`${this.name} runs no instance ${name}`);
    return found;
  }

  async state(instance: string): Promise<VrrpState> {
    return (await this.instance(instance)).state;
  }

  async reload(yaml: string): Promise<void> {
    const file = path.join(this.dir, `reload-${nextId}.yaml`);
    writeFileSync(file, yaml);
    await this.request('reload', { path: file });
  }

  /** Sends a signal by PID; resolves when the process is gone (bounded). */
  async kill(signal: NodeJS.Signals, timeoutMs = 5_000): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, signal);
    } catch {
      return;
    }
    await Promise.race([this.exited, new Promise((_, reject) => setTimeout(() => reject(new Error(`${this.name} did not exit on ${signal}`)), timeoutMs))]);
  }

  /** SIGTERM, SIGKILL if it hangs, then removes its files. */
  async dispose(): Promise<void> {
    await this.kill('SIGTERM').catch(() => this.kill('SIGKILL'));
    rmSync(this.dir, { recursive: true, force: true });
  }

  killNow(): void {
    if (this.running && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private onStdout(chunk: string): void {
    this.stdout += chunk;
    const lines = this.stdout.split('\n');
    this.stdout = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const msg = JSON.parse(line) as { event?: string; id?: number; result?: unknown; error?: string } & StateEvent;
      if (msg.event === 'ready') this.ready = true;
      if (msg.event === 'state') this.events.push({ instance: msg.instance, state: msg.state, reason: msg.reason, at: msg.at });
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error !== undefined) p?.reject(new Error(`${this.name}: ${msg.error}`));
        else p?.resolve(msg.result);
      }
    }
  }
}

/** Every node process of a test file, killed by PID in afterAll and on worker exit. */
export class VrrpProcesses {
  private readonly nodes = new Set<VrrpNode>();
  private readonly onExit = (): void => {
    for (const n of this.nodes) n.killNow();
  };

  constructor() {
    process.once('exit', this.onExit);
  }

  track(node: VrrpNode): void {
    this.nodes.add(node);
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.nodes].map((n) => n.dispose()));
    this.nodes.clear();
    process.removeListener('exit', this.onExit);
  }
}

/** Which of `nodes` hold `address` on `ifname`. */
export function holders(nodes: readonly Netns[], ifname: string, address: string): string[] {
  return nodes.filter((ns) => ns.addresses(ifname).some((a) => a.split('/')[0] === address)).map((ns) => ns.name);
}

/** Waits until `address` is on exactly `owner` among `nodes` (none when owner is undefined). */
export async function waitForVipOn(nodes: readonly Netns[], ifname: string, address: string, owner: Netns | undefined, timeoutMs = 5_000): Promise<void> {
  const want = owner ? [owner.name] : [];
  let last: string[] = [];
  await waitFor(`${address} on exactly ${owner?.name ?? 'no node'}`, () => {
    last = holders(nodes, ifname, address);
    return last.length === want.length && last.every((n, i) => n === want[i]);
  }, { timeoutMs, intervalMs: 25 }).catch((err: Error) => {
    throw new Error(`${err.message}; it is on [${last.join(', ')}]`);
  });
}

/** Waits until `node` reports `state` for `instance`. */
export async function waitForState(node: VrrpNode, instance: string, state: VrrpState, timeoutMs = 5_000): Promise<void> {
  await waitFor(`${node.name}/${instance} to be ${state}`, async () => (await node.state(instance)) === state, { timeoutMs, intervalMs: 25 });
}
