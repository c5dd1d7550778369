// Health-check throughput: one lvsd process TCP-checking 10,000 real servers (listeners on
// 10,000 ports in one namespace, reached over a veth from the root namespace).
//   npx tsc -p tsconfig.json && node test/bench/health-tcp.mjs [targets=10000] [seconds=15] [interval_ms=1000] [open|closed]
// Prints checks/s, the prober's CPU use, and how late probes start against their schedule
// (p50/p99/max). Goal: >= 10,000 checks/s on one core, p99 lateness < 50 ms.
// `closed` starts no listeners: every probe is answered by the namespace's kernel with a RST
// ("refused"), which measures the prober alone when a busy machine starves the listener process.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HealthMonitor } from '../../dist/health/monitor.js';

const targets = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 15);
const interval = Number(process.argv[4] ?? 1000);
const listeners = (process.argv[5] ?? 'open') === 'open';
const firstPort = 20_000;
const ns = `lvsd-health-bench-${process.pid}`;
const rootIf = `lvhb${process.pid % 100000}`;
const subnet = 64 + (process.pid % 190);
const probeAddr = `198.19.${subnet}.1`;
const rsAddr = `198.19.${subnet}.2`;
const serversScript = fileURLToPath(new URL('../fixtures/health/servers.mjs', import.meta.url));

const sh = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).toString();
let servers;
function cleanup() {
  if (servers?.pid) {
    try {
      process.kill(servers.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try { sh('ip', ['link', 'del', rootIf]); } catch { /* gone with the namespace */ }
  try { sh('ip', ['netns', 'del', ns]); } catch { /* never created */ }
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

sh('ip', ['netns', 'add', ns]);
sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
sh('ip', ['link', 'add', rootIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
sh('ip', ['link', 'set', rootIf, 'up']);
sh('ip', ['addr', 'add', `${probeAddr}/24`, 'dev', rootIf]);
sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
sh('ip', ['-n', ns, 'addr', 'add', `${rsAddr}/24`, 'dev', 'eth0']);
// The listener side needs a deep accept backlog: 10,000 connects a second arrive in bursts.
sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.core.somaxconn=4096']);

if (listeners) servers = spawn('ip', ['netns', 'exec', ns, process.execPath, serversScript, JSON.stringify({ tcpRange: [firstPort, targets] })], { stdio: ['ignore', 'pipe', 'inherit'] });
if (servers) await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('listeners not ready within 30 s')), 30_000);
  servers.stdout.on('data', (d) => {
    if (String(d).includes('ready')) {
      clearTimeout(timer);
      resolve();
    }
  });
  servers.once('exit', () => reject(new Error('listener process exited')));
});

const lateness = [];
let measuring = false;
const monitor = new HealthMonitor({ onLateness: (ms) => measuring && lateness.push(ms), ...(process.env.MAX_IN_FLIGHT ? { maxInFlight: Number(process.env.MAX_IN_FLIGHT) } : {}) });
const check = { type: 'tcp', interval, timeout: 500, rise: 1, fall: 1, warmup: 0 };
monitor.update(Array.from({ length: targets }, (_, i) => ({ service: 'bench', address: rsAddr, port: firstPort + i, check })));
monitor.start();

// One interval to get every target through its first probe, then measure.
await new Promise((r) => setTimeout(r, interval + 500));
/** Nanoseconds this process's main thread spent runnable but waiting for a CPU (schedstat). */
const runQueueWaitNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);
const wait0 = runQueueWaitNs();
const before = monitor.stats();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
measuring = true;
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const after = monitor.stats();
const waited = (runQueueWaitNs() - wait0) / 1e9;
monitor.stop();

const sorted = lateness.sort((a, b) => a - b);
const pct = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const down = monitor.status().filter((s) => !s.state.up);
const reasons = {};
for (const s of down) reasons[s.state.reason] = (reasons[s.state.reason] ?? 0) + 1;
/** Listener-side kernel counters: a full accept queue shows up here, not in the prober. */
function listenerDrops() {
  const wanted = ['TcpExtListenOverflows', 'TcpExtListenDrops', 'TcpExtSyncookiesSent', 'TcpExtTCPReqQFullDrop'];
  const out = {};
  try {
    for (const line of sh('ip', ['netns', 'exec', ns, 'nstat', '-az', ...wanted]).split('\n')) {
      const [name, value] = line.trim().split(/\s+/);
      if (wanted.includes(name)) out[name] = Number(value);
    }
  } catch {
    // nstat missing: the counters are a diagnostic, not the result.
  }
  return out;
}

const durations = monitor.status().map((s) => s.state.lastResult?.durationMs ?? NaN).sort((a, b) => a - b);
const result = {
  targets,
  listeners,
  interval_ms: interval,
  seconds: Number(wall.toFixed(2)),
  checks_per_s: Math.round((after.completed - before.completed) / wall),
  // What one fully used core would sustain at this cost per check (the box may be shared).
  checks_per_cpu_second: Math.round((after.completed - before.completed) / ((cpu.user + cpu.system) / 1e6)),
  cpu_percent_of_one_core: Number((((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1)),
  // Time the prober was ready to run but the machine gave the CPU to someone else.
  waiting_for_cpu_percent: Number(((waited / wall) * 100).toFixed(1)),
  cpu_user_system_percent: [Number(((cpu.user / 1e6 / wall) * 100).toFixed(1)), Number(((cpu.system / 1e6 / wall) * 100).toFixed(1))],
  lateness_ms: { p50: Number(pct(50).toFixed(2)), p99: Number(pct(99).toFixed(2)), max: Number(sorted.at(-1)?.toFixed(2)) },
  probe_duration_ms: { p50: Number(durations[Math.floor(durations.length / 2)]?.toFixed(2)), p99: Number(durations[Math.floor(durations.length * 0.99)]?.toFixed(2)) },
  timed_out: after.timedOut - before.timedOut,
  skipped_busy: after.skippedBusy - before.skippedBusy,
  down_at_end: down.length,
  down_reasons: reasons,
  listener_kernel: listenerDrops(),
};
console.log(JSON.stringify(result, null, 2));
process.exit(0);
