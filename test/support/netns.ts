// Network namespaces for tests: create them, wire them with veth pairs and bridges, run commands
// and long-lived processes inside them, and tear everything down by PID and by name, even when a
// test fails or the worker exits early.
//
//   const lab = new NetnsLab('vrrp');           // namespaces are named lvsd-vrrp-<pid>-<rand>-<label>
//   afterAll(() => lab.cleanup());
//   const [a, b] = [lab.ns('a'), lab.ns('b')];
//   veth(a, 'eth0', b, 'eth0');
//   a.addr('eth0', '198.18.0.1/24'); b.addr('eth0', '198.18.0.2/24');
//   const srv = b.spawn('busybox', ['httpd', '-f', '-p', '198.18.0.2:8080']);
//   await srv.waitForExit(...) / await srv.stop();
//
// Every command has a time limit and every wait is bounded. Addresses handed to `addr` are checked
// against the ranges tests may use (198.18.0.0/15, 2001:2::/48, link-local), so a typo cannot put
// a real-world address on a test link.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { inNetns } from '../../src/kernel/native.js';

const DEFAULT_TIMEOUT_MS = 10_000;

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

/** Runs a command on the host synchronously. Throws with its stderr unless `allowFailure`. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  try {
    const stdout = execFileSync(cmd, args, {
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      input: opts.input,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      killSignal: 'SIGKILL',
    });
    return { stdout, stderr: '', status: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; status?: number | null; message: string };
    const result = { stdout: e.stdout ?? '', stderr: e.stderr ?? '', status: e.status ?? null };
    if (opts.allowFailure) return result;
    throw new Error(`${cmd} ${args.join(' ')} failed (status ${String(result.status)}): ${result.stderr.trim() || e.message}`);
  }
}

/** Asynchronous `run`, for commands that must not block the event loop (e.g. while a socket receives). */
export function runAsync(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { encoding: 'utf8', timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 << 20, env: opts.env ?? process.env },
      (err, stdout, stderr) => {
        const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        const result = { stdout, stderr, status };
        if (err && !opts.allowFailure) {
          reject(new Error(`${cmd} ${args.join(' ')} failed (status ${String(status)}): ${stderr.trim() || err.message}`));
        } else {
          resolve(result);
        }
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Polls `probe` until it returns a value other than undefined/false; bounded in time. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 5_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const testRanges = new BlockList();
testRanges.addSubnet('198.18.0.0', 15, 'ipv4');
testRanges.addSubnet('224.0.0.0', 24, 'ipv4'); // link-local multicast (VRRP 224.0.0.18)
testRanges.addSubnet('2001:2::', 48, 'ipv6');
testRanges.addSubnet('fe80::', 10, 'ipv6');
testRanges.addSubnet('ff02::', 16, 'ipv6'); // link-scope multicast (VRRP ff02::12)

/** Throws unless `ip` lies in a range tests are allowed to use (RFC 2544 / RFC 5180 benchmarking, link-local). */
export function assertTestAddress(ip: string): void {
  const family = isIP(ip);
  if (family === 0) throw new Error(`not an IP address: ${ip}`);
  if (!testRanges.check(ip, family === 4 ? 'ipv4' : 'ipv6')) {
    throw new Error(`${ip} is outside the test ranges (198.18.0.0/15, 2001:2::/48, link-local); tests must not use it`);
  }
}

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

/** A process started inside a namespace. Stopped by PID, never by name. */
export class NetnsProcess {
  private out = '';
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly child: ChildProcess,
    readonly description: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
      // A spawn failure (ENOENT) emits 'error' and maybe no 'exit'.
      child.once('error', (err) => {
        this.out += `\nspawn error: ${err.message}`;
        this.exitStatus ??= { code: null, signal: null };
        resolve(this.exitStatus);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** stdout and stderr interleaved, as received so far. */
  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** Resolves with the first match of `pattern` in the output; fails early if the process exits first. */
  async waitForOutput(pattern: RegExp, timeoutMs = 5_000): Promise<RegExpMatchArray> {
    return waitFor(
      `${this.description} to print ${String(pattern)}`,
      () => {
        const m = this.out.match(pattern);
        if (m) return m;
        if (!this.running) throw new Error(`${this.description} exited before printing ${String(pattern)}; output: ${this.out.slice(-1000)}`);
        return undefined;
      },
      { timeoutMs, intervalMs: 10 },
    );
  }

  /** Waits for the process to exit by itself; bounded in time. */
  async waitForExit(timeoutMs = 5_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.description} did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Safe to call twice or after the process exited. */
  async stop(graceMs = 2_000): Promise<void> {
    if (!this.running || this.pid === undefined) return;
    signalPid(this.pid, 'SIGTERM');
    try {
      await this.waitForExit(graceMs);
    } catch {
      signalPid(this.pid, 'SIGKILL');
      await this.waitForExit(graceMs).catch(() => undefined);
    }
  }

  /** Synchronous last resort for process-exit cleanup. */
  killNow(): void {
    if (this.running && this.pid !== undefined) signalPid(this.pid, 'SIGKILL');
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: it already exited between our check and the signal.
  }
}

/** A network namespace that this test process created and will delete. */
export class Netns {
  private readonly processes = new Set<NetnsProcess>();
  private deleted = false;

  private constructor(readonly name: string) {}

  /**
   * Creates `lvsd-<area>-<pid>-<random>[-<label>]` with loopback up. IPv6 duplicate address
   * detection is off unless `dad` is set, so addresses (link-local ones too) are usable at once
   * instead of after a second of tentative state.
   */
  static create(area: string, label?: string, { dad = false }: NetnsOptions = {}): Netns {
    if (!/^[a-z0-9]+$/.test(area)) throw new Error(`netns area must be [a-z0-9]+: ${area}`);
    if (!swept.has(area)) {
      swept.add(area);
      sweepStaleNamespaces(area);
    }
    const name = [`lvsd-${area}`, process.pid, randomBytes(3).toString('hex'), label].filter(Boolean).join('-');
    run('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    live.add(ns);
    ns.ip('link', 'set', 'lo', 'up');
    if (!dad) {
      ns.sysctl('net.ipv6.conf.all.accept_dad', '0');
      ns.sysctl('net.ipv6.conf.default.accept_dad', '0');
    }
    return ns;
  }

  /** Sets a sysctl inside the namespace (net.* keys are per namespace). */
  sysctl(key: string, value: string): void {
    this.exec('sysctl', ['-qw', `${key}=${value}`]);
  }

  /** The bind-mounted namespace file; what setns(2) opens. */
  get path(): string {
    return `/run/netns/${this.name}`;
  }

  /** Runs a command inside the namespace synchronously; returns stdout. */
  exec(cmd: string, args: readonly string[] = [], opts: RunOptions = {}): string {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts).stdout;
  }

  /** Like `exec` but returns the whole result (use with `allowFailure`). */
  execResult(cmd: string, args: readonly string[] = [], opts: RunOptions = {}): RunResult {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** Runs a command inside the namespace without blocking the event loop. */
  execAsync(cmd: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<RunResult> {
    return runAsync('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** `ip -n <ns> ...`; returns stdout. */
  ip(...args: string[]): string {
    return run('ip', ['-n', this.name, ...args]).stdout;
  }

  /**
   * Starts a long-lived process inside the namespace. `ip netns exec` execs the command in
   * place, so the child's PID is the command's PID and stopping it by PID reaches the real process.
   */
  spawn(cmd: string, args: readonly string[] = [], opts: { env?: NodeJS.ProcessEnv } = {}): NetnsProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    const proc = new NetnsProcess(child, `${cmd} in ${this.name}`);
    this.processes.add(proc);
    return proc;
  }

  /**
   * Runs `fn` with this thread switched into the namespace (setns), then switches back. Sockets
   * opened synchronously inside `fn` (VrrpSocket.open, rtnetlink sockets) stay in this namespace
   * for their whole life. Do not await inside `fn`: only synchronous work sees the namespace.
   */
  enter<T>(fn: () => T): T {
    return inNetns(this.path, fn);
  }

  /** Adds an address (IPv6 gets `nodad` so it is usable at once). Only test ranges are accepted. */
  addr(ifname: string, cidr: string): void {
    const ip = cidr.split('/')[0] ?? '';
    assertTestAddress(ip);
    this.ip('addr', 'add', cidr, 'dev', ifname, ...(isIP(ip) === 6 ? ['nodad'] : []));
  }

  link(ifname: string): LinkInfo {
    const parsed = JSON.parse(this.ip('-j', 'link', 'show', 'dev', ifname)) as Array<{
      ifindex: number;
      ifname: string;
      address: string;
      mtu: number;
      flags: string[];
    }>;
    const l = parsed[0];
    if (!l) throw new Error(`${this.name}: no link ${ifname}`);
    return { ifindex: l.ifindex, ifname: l.ifname, mac: l.address, mtu: l.mtu, up: l.flags.includes('UP'), lowerUp: l.flags.includes('LOWER_UP') };
  }

  /** Addresses on `ifname` as `addr/prefix` strings. */
  addresses(ifname: string): string[] {
    const parsed = JSON.parse(this.ip('-j', 'addr', 'show', 'dev', ifname)) as Array<{
      addr_info?: Array<{ local: string; prefixlen: number }>;
    }>;
    return (parsed[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  }

  /** The link-local IPv6 address the kernel gave `ifname` (needs the link up). */
  linkLocal(ifname: string): string | undefined {
    return this.addresses(ifname)
      .map((a) => a.split('/')[0] ?? '')
      .find((a) => a.startsWith('fe80:'));
  }

  neighbours(family: 4 | 6, ifname?: string): NeighbourEntry[] {
    const args = [`-${family}`, '-j', 'neigh', 'show', ...(ifname ? ['dev', ifname] : [])];
    return JSON.parse(this.ip(...args) || '[]') as NeighbourEntry[];
  }

  /** Stops this namespace's processes (by PID), then deletes it. Idempotent. */
  async delete(): Promise<void> {
    if (this.deleted) return;
    await Promise.all([...this.processes].map((p) => p.stop()));
    this.deleteNow();
  }

  /** Synchronous teardown for process-exit handlers: SIGKILL by PID, then delete. */
  deleteNow(): void {
    if (this.deleted) return;
    for (const p of this.processes) p.killNow();
    this.deleted = true;
    live.delete(this);
    run('ip', ['netns', 'delete', this.name], { allowFailure: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes namespaces of `area` left behind by test processes that no longer exist (killed before
 * their cleanup ran). The creating PID is part of every name, so live runs are never touched.
 * Returns the names it deleted.
 */
export function sweepStaleNamespaces(area: string): string[] {
  const pattern = new RegExp(`^lvsd-${area}-(\\d+)-[0-9a-f]{6}(-\\S*)?$`);
  const stale = run('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => {
      const pid = pattern.exec(name)?.[1];
      return pid !== undefined && Number(pid) !== process.pid && !pidAlive(Number(pid));
    });
  for (const name of stale) run('ip', ['netns', 'delete', name], { allowFailure: true });
  return stale;
}

const swept = new Set<string>();

/** Namespaces not yet deleted; the exit hook removes them if a test run dies before afterAll. */
const live = new Set<Netns>();
process.once('exit', () => {
  for (const ns of [...live]) ns.deleteNow();
});

/**
 * Connects `a:aIf` to `b:bIf` with a veth pair and brings both ends up. The pair is created
 * directly inside the namespaces, so the names never collide with the host's interfaces.
 */
export function veth(a: Netns, aIf: string, b: Netns, bIf: string): void {
  a.ip('link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.name);
  a.ip('link', 'set', aIf, 'up');
  b.ip('link', 'set', bIf, 'up');
}

/**
 * A switched LAN: a bridge `br0` inside `sw`, and one veth per member whose member end is named
 * `ifname` and whose switch end (`p<index>`) is a bridge port. Bridge multicast snooping is off so
 * VRRP multicast reaches every member immediately.
 */
export function lan(sw: Netns, members: ReadonlyArray<{ ns: Netns; ifname: string }>): void {
  sw.ip('link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
  sw.ip('link', 'set', 'br0', 'up');
  members.forEach((m, i) => {
    veth(m.ns, m.ifname, sw, `p${i}`);
    sw.ip('link', 'set', `p${i}`, 'master', 'br0');
  });
}

/** A set of namespaces for one test file, torn down together in afterAll. */
export class NetnsLab {
  private readonly namespaces: Netns[] = [];

  /** `area` names your test area in namespace names, e.g. 'vrrp', 'health' ([a-z0-9]+). */
  constructor(readonly area: string) {}

  ns(label?: string, opts?: NetnsOptions): Netns {
    const ns = Netns.create(this.area, label, opts);
    this.namespaces.push(ns);
    return ns;
  }

  /**
   * Two namespaces joined by a veth pair, `eth0` in each, at 198.18.`subnet`.1/24 and .2/24 (and
   * 2001:2:0:`subnet`::1/64 and ::2 with `ipv6`): the fixture of the native addon's tests. Each
   * file takes a subnet of its own so two files never share addresses.
   */
  pair(subnet: number, { names = ['a', 'b'], ipv6 = false }: { names?: [string, string]; ipv6?: boolean } = {}): [Netns, Netns] {
    const a = this.ns(names[0]);
    const b = this.ns(names[1]);
    veth(a, 'eth0', b, 'eth0');
    a.addr('eth0', `198.18.${subnet}.1/24`);
    b.addr('eth0', `198.18.${subnet}.2/24`);
    if (ipv6) {
      a.addr('eth0', `2001:2:0:${subnet}::1/64`);
      b.addr('eth0', `2001:2:0:${subnet}::2/64`);
    }
    return [a, b];
  }

  async cleanup(): Promise<void> {
    const all = this.namespaces.splice(0);
    await Promise.all(all.map((ns) => ns.delete()));
  }
}
