// What the VRRP benchmarks share: network namespaces on one bridge (named after the bench and
// this process, deleted on exit), processes started inside them (killed by PID on exit), and a
// VRRP daemon, lvsd or keepalived, with the same timers on either side.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const lvsdMain = path.join(root, 'dist', 'cli', 'main.js');

export const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
export const ip = (ns, ...args) => sh('ip', ['-n', ns, ...args]);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, probe, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Does `ns` hold `vip` on eth0? */
export function hasVip(ns, vip) {
  const parsed = JSON.parse(ip(ns, '-j', 'addr', 'show', 'dev', 'eth0'));
  return (parsed[0]?.addr_info ?? []).some((a) => a.local === vip);
}

export class BenchLab {
  /** `area` names the bench in namespace and directory names ([a-z]+). */
  constructor(area) {
    this.tag = `${area}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.work = mkdtempSync(path.join(tmpdir(), `lvsd-${area}-`));
    this.children = new Set();
    this.namespaces = [];
    process.on('exit', () => this.cleanup());
    process.on('SIGINT', () => process.exit(130));
    process.on('SIGTERM', () => process.exit(143));
  }

  cleanup() {
    for (const child of this.children) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const ns of this.namespaces) {
      try {
        sh('ip', ['netns', 'delete', ns]);
      } catch {
        // already gone
      }
    }
    rmSync(this.work, { recursive: true, force: true });
  }

  /**
   * A bridge namespace `sw` and one namespace per member with eth0 on the bridge (port p-<member>)
   * at `addresses[member]`/24. Returns { sw, [member]: namespace name }.
   */
  setUpLan(addresses) {
    const ns = { sw: `lvsd-${this.tag}-sw` };
    for (const member of Object.keys(addresses)) ns[member] = `lvsd-${this.tag}-${member}`;
    for (const n of Object.values(ns)) {
      sh('ip', ['netns', 'add', n]);
      this.namespaces.push(n);
      ip(n, 'link', 'set', 'lo', 'up');
    }
    ip(ns.sw, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
    ip(ns.sw, 'link', 'set', 'br0', 'up');
    for (const [member, address] of Object.entries(addresses)) {
      ip(ns[member], 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p-${member}`, 'netns', ns.sw);
      ip(ns[member], 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip(ns[member], 'link', 'set', 'eth0', 'up');
      ip(ns.sw, 'link', 'set', `p-${member}`, 'master', 'br0');
      ip(ns.sw, 'link', 'set', `p-${member}`, 'up');
    }
    return ns;
  }

  /** Starts `cmd` inside `ns` (ip netns exec execs in place: the PID is the command's). */
  spawnIn(ns, cmd, args) {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (output += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.children.add(child);
    exited.then(() => this.children.delete(child));
    return { child, exited, output: () => output };
  }

  /**
   * One VRRP daemon with one VRRPv2/v3 instance on eth0. `vrrpPids()` are the processes doing
   * VRRP, first the one to measure (keepalived: its VRRP child, then the parent that would
   * respawn it); lvsd also gets a control `socket`.
   */
  startDaemon(impl, ns, { label, priority, version, intervalMs, vrid, vip, logLevel = 'warn' }) {
    const dir = mkdtempSync(path.join(this.work, `${impl}-${label}-`));
    if (impl === 'lvsd') {
      const config = path.join(dir, 'lvsd.yaml');
      const socket = path.join(dir, 'lvsd.sock');
      writeFileSync(
        config,
        [
          `node: { name: ${label} }`,
          `control: { socket: ${socket} }`,
          `logging: { level: ${logLevel} }`,
          'vrrp:',
          '  instances:',
          '    - name: bench',
          '      interface: eth0',
          `      vrid: ${vrid}`,
          `      priority: ${priority}`,
          `      version: ${version}`,
          `      advert_interval: ${intervalMs}ms`,
          '      garp: { delay: 0s }',
          `      vips: [${vip}/24]`,
          '',
        ].join('\n'),
      );
      const proc = this.spawnIn(ns, process.execPath, [lvsdMain, 'run', '-c', config]);
      return { ...proc, vrrpPids: () => [proc.child.pid], socket };
    }
    const config = path.join(dir, 'keepalived.conf');
    writeFileSync(config, keepalivedBenchConfig({ routerId: label, vrid, priority, version, intervalMs, vip }));
    const vrrpPid = path.join(dir, 'vrrp.pid');
    const proc = this.spawnIn(ns, 'keepalived', ['-P', '-n', '-l', '-f', config, '-p', path.join(dir, 'keepalived.pid'), '-r', vrrpPid]);
    const vrrpPids = () => {
      const pids = [proc.child.pid];
      try {
        pids.unshift(Number(readFileSync(vrrpPid, 'utf8').trim()));
      } catch {
        // no child yet
      }
      return pids;
    };
    return { ...proc, vrrpPids };
  }
}

/** Signals a process started by spawnIn and waits (bounded) for it to exit. */
export async function stopProcess(d, signal = 'SIGTERM') {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  try {
    process.kill(d.child.pid, signal);
  } catch {
    return;
  }
  await Promise.race([d.exited, sleep(5_000)]);
}

/** The keepalived.conf of one bench node: one VRRP instance floating `vip` on eth0. */
/** keepalived.conf for one bench instance; `rtPriority` sets vrrp_rt_priority (SCHED_RR for its VRRP process). */
export function keepalivedBenchConfig({ routerId, vrid, priority, version, intervalMs, vip, rtPriority }) {
  return [
    'global_defs {',
    `  router_id ${routerId}`,
    '  vrrp_garp_master_delay 0',
    ...(rtPriority ? [`  vrrp_rt_priority ${rtPriority}`] : []),
    '}',
    'vrrp_instance bench {',
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${vrid}`,
    `  priority ${priority}`,
    `  version ${version}`,
    `  advert_int ${intervalMs / 1000}`,
    `  virtual_ipaddress { ${vip}/24 dev eth0 }`,
    '}',
    '',
  ].join('\n');
}
