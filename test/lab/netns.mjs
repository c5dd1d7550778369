// Namespaces and processes for the lab, in plain JavaScript so `npm run demo` needs no build of
// the test tree (test/support/netns.ts is the TypeScript counterpart for the test suites; this
// file keeps only what the lab uses). Every command has a time limit, every process is stopped by
// PID, and namespaces are named lvsd-lab-<pid>-<random>-<label> so a later run can sweep the ones
// a killed run left behind without touching live ones.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { BlockList } from 'node:net';

const COMMAND_TIMEOUT_MS = 15_000;

/** Runs a command synchronously and returns its stdout; throws with its stderr. */
export function sh(cmd, args, { timeoutMs = COMMAND_TIMEOUT_MS, allowFailure = false, env, input } = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', stdio: ['pipe', 'pipe', 'pipe'], input, env: env ?? process.env });
  } catch (err) {
    if (allowFailure) return err.stdout ?? '';
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr ?? '').trim() || err.message}`);
  }
}

/**
 * Runs a command without blocking, so several slow ones (node under emulation) can run at once.
 * Never throws: { status, stdout, stderr }, status null when killed by the timeout.
 */
export function shAsync(cmd, args, { timeoutMs = COMMAND_TIMEOUT_MS, env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => (stderr += err.message));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code, stdout, stderr });
    });
  });
}

/** Polls `probe` until it returns something other than undefined/false; bounded in time. */
export async function waitFor(what, probe, { timeoutMs = 10_000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    // ESRCH: it exited between our check and the signal.
  }
}

/** A long-lived process inside a namespace; `ip netns exec` execs in place, so its PID is the command's. */
export class LabProcess {
  constructor(child, name) {
    this.child = child;
    this.name = name;
    this.output = '';
    this.exit = undefined;
    const keep = (d) => {
      // Bounded: a chatty daemon must not grow the demo's memory without limit.
      this.output = (this.output + d).slice(-256 * 1024);
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, sig) => resolve((this.exit = { code, signal: sig })));
      child.once('error', (err) => {
        keep(`\nspawn error: ${err.message}`);
        resolve((this.exit ??= { code: null, signal: null }));
      });
    });
  }

  get pid() {
    return this.child.pid;
  }

  get running() {
    return this.exit === undefined;
  }

  /** Resolves with the first match of `pattern` in the output; fails if the process exits first. */
  waitForOutput(pattern, timeoutMs = 10_000) {
    return waitFor(`${this.name} to print ${pattern}`, () => {
      const m = this.output.match(pattern);
      if (m) return m;
      if (!this.running) throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before printing ${pattern}: ${this.output.slice(-2000)}`);
      return undefined;
    }, { timeoutMs, intervalMs: 20 });
  }

  async waitForExit(timeoutMs) {
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const result = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    return result;
  }

  /** `sig` (default SIGTERM), then SIGKILL after `graceMs`. Safe after the process exited. */
  async stop(sig = 'SIGTERM', graceMs = 5_000) {
    if (!this.running || this.pid === undefined) return this.exit;
    signal(this.pid, sig);
    if ((await this.waitForExit(graceMs)) === undefined) {
      signal(this.pid, 'SIGKILL');
      await this.waitForExit(graceMs);
    }
    return this.exit;
  }

  killNow() {
    if (this.running && this.pid !== undefined) signal(this.pid, 'SIGKILL');
  }
}

const labRange = new BlockList();
labRange.addSubnet('198.18.0.0', 15, 'ipv4');

/** Throws unless `cidr`'s address is in 198.18.0.0/15, the only range the lab may put on a link. */
export function assertLabAddress(cidr) {
  const ip = cidr.split('/')[0] ?? '';
  if (!labRange.check(ip, 'ipv4')) throw new Error(`${cidr} is outside 198.18.0.0/15; the lab must not use it`);
}

const live = new Set();

/** `ip -batch`: many commands, one process; `netns` runs them inside that namespace. */
export function ipBatch(lines, netns) {
  if (lines.length === 0) return;
  sh('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/** A network namespace this process created and will delete. */
export class LabNetns {
  constructor(name, label) {
    this.name = name;
    this.label = label;
    this.processes = new Set();
  }

  /** Creates one namespace per label with one `ip` run for all (forks are slow under emulation). */
  static createMany(runId, labels) {
    const all = labels.map((label) => new LabNetns(`lvsd-lab-${process.pid}-${runId}-${label}`, label));
    for (const ns of all) live.add(ns);
    ipBatch(all.map((ns) => `netns add ${ns.name}`));
    return all;
  }

  ip(...args) {
    return sh('ip', ['-n', this.name, ...args]);
  }

  /** Several `ip` commands (one per line, without the leading "ip") in this namespace, one process. */
  batch(lines) {
    ipBatch(lines, this.name);
  }

  exec(cmd, args = [], opts = {}) {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  execAsync(cmd, args = [], opts = {}) {
    return shAsync('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** Sets sysctls inside the namespace (net.* keys are per namespace): { key: value }. */
  sysctls(values) {
    this.exec('sysctl', ['-qw', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)]);
  }

  spawn(cmd, args = [], { stdin = 'ignore', env } = {}) {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], { stdio: [stdin, 'pipe', 'pipe'], env: env ?? process.env });
    const proc = new LabProcess(child, `${cmd} in ${this.label}`);
    this.processes.add(proc);
    return proc;
  }

  /** The MAC address of `ifname`. */
  mac(ifname) {
    const [link] = JSON.parse(this.ip('-j', 'link', 'show', 'dev', ifname));
    return link.address;
  }

  async delete() {
    await Promise.all([...this.processes].map((p) => p.stop()));
    this.deleteNow();
  }

  deleteNow() {
    for (const p of this.processes) p.killNow();
    if (!live.delete(this)) return;
    sh('ip', ['netns', 'delete', this.name], { allowFailure: true });
  }
}

/** Synchronous last resort (exit, signals): kill every lab process by PID, delete every namespace. */
export function deleteAllNow() {
  for (const ns of [...live]) ns.deleteNow();
}

/** Ctrl-C or SIGTERM deletes the lab and exits 130; the returned function stops listening. */
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

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Deletes lab namespaces whose creating process no longer exists (a run killed before cleanup). */
export function sweepStaleNamespaces() {
  const pattern = /^lvsd-lab-(\d+)-[0-9a-f]{6}-\S+$/;
  for (const line of sh('ip', ['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = pattern.exec(name)?.[1];
    if (pid !== undefined && Number(pid) !== process.pid && !pidAlive(Number(pid))) sh('ip', ['netns', 'delete', name], { allowFailure: true });
  }
}

export const newRunId = () => randomBytes(3).toString('hex');
