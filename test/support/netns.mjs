// Network namespaces for tests, the lab and the benches: create them, wire them with veth pairs
// and bridges, run commands and long-lived processes inside them, and tear everything down by PID
// and by name, even when a test fails, the worker exits early or Ctrl-C stops a demo.
//
//   const lab = new NetnsLab('vrrp');           // namespaces are named lvsd-vrrp-<pid>-<rand>-<label>
//   afterAll(() => lab.cleanup());
//   const [a, b] = [lab.ns('a'), lab.ns('b')];
//   veth(a, 'eth0', b, 'eth0');
//   a.addr('eth0', '198.18.0.1/24'); b.addr('eth0', '198.18.0.2/24');
//   const srv = b.spawn('busybox', ['httpd', '-f', '-p', '198.18.0.2:8080']);
//   await srv.waitForExit(...) / await srv.stop();
//
// Plain JavaScript with its types beside it (netns.d.mts), like the rest of test/lab: `npm run
// demo` and the benches run it with node alone, without a build (Node 20 cannot import .ts), and
// the TypeScript suites import the same file. Running code inside a namespace from this process
// (setns) is the addon's job: `inNetns(ns.path, fn)` from src/kernel/native.ts.
//
// Every command has a time limit and every wait is bounded. Addresses handed to `addr` are checked
// against the ranges tests may use (198.18.0.0/15, 2001:2::/48, link-local), so a typo cannot put
// a real-world address on a test link.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

const DEFAULT_TIMEOUT_MS = 10_000;
/** A process's kept output: a chatty daemon must not grow a long demo's memory without limit. */
const OUTPUT_LIMIT = 1024 * 1024;

/** Runs a command on the host synchronously. Throws with its stderr unless `allowFailure`. */
export function run(cmd, args, opts = {}) {
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
    const result = { stdout: err.stdout ?? '', stderr: err.stderr ?? '', status: err.status ?? null };
    if (opts.allowFailure) return result;
    throw new Error(`${cmd} ${args.join(' ')} failed (status ${String(result.status)}): ${result.stderr.trim() || err.message}`);
  }
}

/** Asynchronous `run`, for commands that must not block the event loop (e.g. while a socket receives). */
export function runAsync(cmd, args, opts = {}) {
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
export async function waitFor(what, probe, { timeoutMs = 5_000, intervalMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const testRanges = new BlockList();
testRanges.addSubnet('198.18.0.0', 15, 'ipv4');
testRanges.addSubnet('224.0.0.0', 24, 'ipv4'); // link-local multicast (VRRP 224.0.0.18)
testRanges.addSubnet('2001:2::', 48, 'ipv6');
testRanges.addSubnet('fe80::', 10, 'ipv6');
testRanges.addSubnet('ff02::', 16, 'ipv6'); // link-scope multicast (VRRP ff02::12)

/**
 * Throws unless `address` (an IP, or a CIDR whose address is checked) lies in a range tests are
 * allowed to use (RFC 2544 / RFC 5180 benchmarking, link-local).
 */
export function assertTestAddress(address) {
  const ip = address.split('/')[0] ?? '';
  const family = isIP(ip);
  if (family === 0) throw new Error(`not an IP address: ${address}`);
  if (!testRanges.check(ip, family === 4 ? 'ipv4' : 'ipv6')) {
    throw new Error(`${ip} is outside the test ranges (198.18.0.0/15, 2001:2::/48, link-local); tests must not use it`);
  }
}

function signalPid(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: it already exited between our check and the signal.
  }
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** A process started inside a namespace. Stopped by PID, never by name. */
export class NetnsProcess {
  #out = '';
  #exitStatus = undefined;
  #exited;

  constructor(child, description) {
    this.child = child;
    this.description = description;
    const keep = (d) => {
      this.#out = (this.#out + d).slice(-OUTPUT_LIMIT);
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitStatus = { code, signal };
        resolve(this.#exitStatus);
      });
      // A spawn failure (ENOENT) emits 'error' and maybe no 'exit'.
      child.once('error', (err) => {
        keep(`\nspawn error: ${err.message}`);
        this.#exitStatus ??= { code: null, signal: null };
        resolve(this.#exitStatus);
      });
    });
  }

  get pid() {
    return this.child.pid;
  }

  /** stdout and stderr interleaved, as received so far (the last MiB of it). */
  get output() {
    return this.#out;
  }

  get running() {
    return this.#exitStatus === undefined;
  }

  /** Resolves with the first match of `pattern` in the output; fails early if the process exits first. */
  waitForOutput(pattern, timeoutMs = 5_000) {
    return waitFor(
      `${this.description} to print ${String(pattern)}`,
      () => {
        const m = this.#out.match(pattern);
        if (m) return m;
        if (!this.running) {
          throw new Error(`${this.description} exited before printing ${String(pattern)} (${JSON.stringify(this.#exitStatus)}); output: ${this.#out.slice(-2000)}`);
        }
        return undefined;
      },
      { timeoutMs, intervalMs: 10 },
    );
  }

  /** Waits for the process to exit by itself; bounded in time. */
  async waitForExit(timeoutMs = 5_000) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.description} did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.#exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** `signal` (default SIGTERM), then SIGKILL after `graceMs`. Safe to call twice or after the process exited. */
  async stop(graceMs = 2_000, signal = 'SIGTERM') {
    if (!this.running || this.pid === undefined) return;
    signalPid(this.pid, signal);
    try {
      await this.waitForExit(graceMs);
    } catch {
      signalPid(this.pid, 'SIGKILL');
      await this.waitForExit(graceMs).catch(() => undefined);
    }
  }

  /** Synchronous last resort for process-exit cleanup. */
  killNow() {
    if (this.running && this.pid !== undefined) signalPid(this.pid, 'SIGKILL');
  }
}

/** `ip -batch`: many commands, one process (forks are slow under emulation); `netns` runs them inside that namespace. */
export function ipBatch(lines, netns) {
  if (lines.length === 0) return;
  run('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/** Namespaces not yet deleted; the exit hook and `deleteAllNow` remove them if a run dies before its cleanup. */
const live = new Set();
/** Areas whose stale namespaces this process has swept. */
const swept = new Set();

function nameFor(area, random, label) {
  if (!/^[a-z0-9]+$/.test(area)) throw new Error(`netns area must be [a-z0-9]+: ${area}`);
  if (!swept.has(area)) {
    swept.add(area);
    sweepStaleNamespaces(area);
  }
  return [`lvsd-${area}`, process.pid, random, label].filter(Boolean).join('-');
}

/** A network namespace that this process created and will delete. */
export class Netns {
  #processes = new Set();
  #deleted = false;

  constructor(name, label) {
    this.name = name;
    this.label = label;
    live.add(this);
  }

  /**
   * Creates `lvsd-<area>-<pid>-<random>[-<label>]` with loopback up. IPv6 duplicate address
   * detection is off unless `dad` is set, so addresses (link-local ones too) are usable at once
   * instead of after a second of tentative state.
   */
  static create(area, label, { dad = false } = {}) {
    const name = nameFor(area, randomBytes(3).toString('hex'), label);
    run('ip', ['netns', 'add', name]);
    const ns = new Netns(name, label);
    ns.ip('link', 'set', 'lo', 'up');
    if (!dad) ns.sysctls({ 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0 });
    return ns;
  }

  /**
   * Creates `lvsd-<area>-<pid>-<random>-<label>` for every label with one `ip` process for all,
   * for a lab that then configures each namespace in one batch: they are bare (loopback down,
   * kernel defaults), so the batch brings loopback up itself.
   */
  static createMany(area, labels) {
    const random = randomBytes(3).toString('hex');
    const all = labels.map((label) => new Netns(nameFor(area, random, label), label));
    ipBatch(all.map((ns) => `netns add ${ns.name}`));
    return all;
  }

  /** Sets sysctls inside the namespace (net.* keys are per namespace), one process for all. */
  sysctls(values) {
    this.exec('sysctl', ['-qw', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)]);
  }

  sysctl(key, value) {
    this.sysctls({ [key]: value });
  }

  /** The bind-mounted namespace file; what setns(2) opens. */
  get path() {
    return `/run/netns/${this.name}`;
  }

  /** Runs a command inside the namespace synchronously; returns stdout. */
  exec(cmd, args = [], opts = {}) {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts).stdout;
  }

  /** Like `exec` but returns the whole result (use with `allowFailure`). */
  execResult(cmd, args = [], opts = {}) {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** Runs a command inside the namespace without blocking the event loop. */
  execAsync(cmd, args = [], opts = {}) {
    return runAsync('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** `ip -n <ns> ...`; returns stdout. */
  ip(...args) {
    return run('ip', ['-n', this.name, ...args]).stdout;
  }

  /** Several `ip` commands (one per line, without the leading "ip") in this namespace, one process. */
  batch(lines) {
    ipBatch(lines, this.name);
  }

  /**
   * `ip -ts -o monitor OBJECTS` here: what the kernel reports, one line per event, stamped as it
   * arrives. `events()` and `stop()` return [{ t (epoch ms), line }]. Start it a moment before
   * the events (the process takes that long to start under emulation).
   */
  monitor(objects) {
    const proc = this.spawn('ip', ['-ts', '-o', 'monitor', ...objects]);
    const events = () =>
      proc.output.split('\n').flatMap((l) => {
        const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\]\s*(.*)$/.exec(l);
        return m ? [{ t: Date.parse(m[1].slice(0, 23)), line: m[2] }] : [];
      });
    return {
      events,
      async stop() {
        await proc.stop(2_000);
        return events();
      },
    };
  }

  /**
   * Starts a long-lived process inside the namespace. `ip netns exec` execs the command in
   * place, so the child's PID is the command's PID and stopping it by PID reaches the real process.
   */
  spawn(cmd, args = [], { env, stdin = 'ignore' } = {}) {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], {
      stdio: [stdin, 'pipe', 'pipe'],
      env: env ?? process.env,
    });
    const proc = new NetnsProcess(child, `${cmd} in ${this.label ?? this.name}`);
    this.#processes.add(proc);
    return proc;
  }

  /** Adds an address (IPv6 gets `nodad` so it is usable at once). Only test ranges are accepted. */
  addr(ifname, cidr) {
    assertTestAddress(cidr);
    this.ip('addr', 'add', cidr, 'dev', ifname, ...(isIP(cidr.split('/')[0] ?? '') === 6 ? ['nodad'] : []));
  }

  link(ifname) {
    const l = JSON.parse(this.ip('-j', 'link', 'show', 'dev', ifname))[0];
    if (!l) throw new Error(`${this.name}: no link ${ifname}`);
    return { ifindex: l.ifindex, ifname: l.ifname, mac: l.address, mtu: l.mtu, up: l.flags.includes('UP'), lowerUp: l.flags.includes('LOWER_UP') };
  }

  /** Addresses on `ifname` as `addr/prefix` strings. */
  addresses(ifname) {
    const parsed = JSON.parse(this.ip('-j', 'addr', 'show', 'dev', ifname));
    return (parsed[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  }

  /** The link-local IPv6 address the kernel gave `ifname` (needs the link up). */
  linkLocal(ifname) {
    return this.addresses(ifname)
      .map((a) => a.split('/')[0] ?? '')
      .find((a) => a.startsWith('fe80:'));
  }

  neighbours(family, ifname) {
    const args = [`-${family}`, '-j', 'neigh', 'show', ...(ifname ? ['dev', ifname] : [])];
    return JSON.parse(this.ip(...args) || '[]');
  }

  /** Stops this namespace's processes (by PID), then deletes it. Idempotent. */
  async delete() {
    if (this.#deleted) return;
    await Promise.all([...this.#processes].map((p) => p.stop()));
    this.deleteNow();
  }

  /** Synchronous teardown for process-exit handlers: SIGKILL by PID, then delete. */
  deleteNow() {
    if (this.#deleted) return;
    for (const p of this.#processes) p.killNow();
    this.#deleted = true;
    live.delete(this);
    run('ip', ['netns', 'delete', this.name], { allowFailure: true });
  }
}

/**
 * Deletes namespaces of `area` left behind by processes that no longer exist (killed before their
 * cleanup ran). The creating PID is part of every name, so live runs are never touched. Returns
 * the names it deleted.
 */
export function sweepStaleNamespaces(area) {
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

/** Synchronous last resort (exit, signals): kill every process by PID, delete every namespace. */
export function deleteAllNow() {
  for (const ns of [...live]) ns.deleteNow();
}

process.once('exit', deleteAllNow);

/** Ctrl-C or SIGTERM deletes every namespace and exits 130; the returned function stops listening. */
export function deleteAllOnSignal() {
  const onSignal = () => {
    deleteAllNow();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * Connects `a:aIf` to `b:bIf` with a veth pair and brings both ends up. The pair is created
 * directly inside the namespaces, so the names never collide with the host's interfaces.
 */
export function veth(a, aIf, b, bIf) {
  a.ip('link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.name);
  a.ip('link', 'set', aIf, 'up');
  b.ip('link', 'set', bIf, 'up');
}

/**
 * A switched LAN: a bridge `br0` inside `sw`, and one veth per member whose member end is named
 * `ifname` and whose switch end (`p<index>`) is a bridge port. Bridge multicast snooping is off so
 * VRRP multicast reaches every member immediately.
 */
export function lan(sw, members) {
  sw.ip('link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
  sw.ip('link', 'set', 'br0', 'up');
  members.forEach((m, i) => {
    veth(m.ns, m.ifname, sw, `p${i}`);
    sw.ip('link', 'set', `p${i}`, 'master', 'br0');
  });
}

/** A set of namespaces for one test file, torn down together in afterAll. */
export class NetnsLab {
  #namespaces = [];

  /** `area` names your test area in namespace names, e.g. 'vrrp', 'health' ([a-z0-9]+). */
  constructor(area) {
    this.area = area;
  }

  ns(label, opts) {
    const ns = Netns.create(this.area, label, opts);
    this.#namespaces.push(ns);
    return ns;
  }

  /**
   * Two namespaces joined by a veth pair, `eth0` in each, at 198.18.`subnet`.1/24 and .2/24 (and
   * 2001:2:0:`subnet`::1/64 and ::2 with `ipv6`): the fixture of the native addon's tests. Each
   * file takes a subnet of its own so two files never share addresses.
   */
  pair(subnet, { names = ['a', 'b'], ipv6 = false } = {}) {
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

  async cleanup() {
    const all = this.#namespaces.splice(0);
    await Promise.all(all.map((ns) => ns.delete()));
  }
}

/**
 * A bare namespace for a kernel IPVS test (each has its own IPVS table, so a test file neither
 * sees nor disturbs anything else in the VM): loopback up, which IPVS needs before it takes real
 * servers ("address not unicast"), and nothing else, as few processes as the slow VM allows.
 */
export function createNetns(area) {
  const ns = Netns.create(area, undefined, { dad: true });
  return {
    name: ns.name,
    path: ns.path,
    run: (cmd, args, input) => ns.exec(cmd, args, { input: input ?? '', timeoutMs: 30_000 }),
    connectTcp: (address, port, seconds) => {
      // Detached stdio: in the lab VM the SYN never reached IPVS when the probe's stderr was a
      // pipe to this process (observed, not understood).
      spawnSync('ip', ['netns', 'exec', ns.name, 'timeout', String(seconds), 'bash', '-c', `exec 3<>/dev/tcp/${address}/${port}`], { stdio: 'ignore', timeout: (seconds + 5) * 1000 });
    },
    remove: () => ns.deleteNow(),
  };
}
