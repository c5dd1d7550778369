// `npm run bench`: every benchmark, one after the other, each under a header, with a summary of
// how each ended. Not part of `npm test`: together they take about a quarter of an hour.
//   node test/bench/run.mjs [name ...]      names: ipvs, ipvs-daemon, vrrp, vrrp-reload, vrrp-soak, bgp, bgp-lab, health-tcp, health-scheduler, config, status-page
// ipvs runs inside the lab VM (Debian's kernel has IPVS, this host's may not); vrrp and health-tcp
// use network namespaces on the host. A benchmark whose prerequisites are missing is skipped with
// the reason printed, and the summary says so: a skip is never reported as a result.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const isRoot = process.getuid?.() === 0;
const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Why a benchmark cannot run here, or undefined when it can. */
const missing = (needs) => {
  if (needs.includes('root') && !isRoot) return 'needs root (network namespaces)';
  for (const cmd of needs.filter((n) => n !== 'root')) if (!onPath(cmd)) return `needs ${cmd} on PATH`;
  return undefined;
};

const benches = [
  {
    name: 'ipvs',
    title: 'IPVS: 10,000 services x 4 real servers, lvsd vs ipvsadm (lab VM)',
    command: ['node', 'test/lab/vm.mjs', '--timeout', '2400', '--', 'node', 'test/bench/ipvs-bulk.mjs'],
    needs: ['root', 'qemu-system-x86_64'],
    timeoutS: 2500,
  },
  {
    name: 'ipvs-daemon',
    title: 'Daemon RSS: lvsd run vs keepalived holding 10,000 services x 4 with checks and VRRP (lab VM, 3 rounds)',
    command: ['node', 'test/lab/vm.mjs', '--timeout', '2700', '--', 'node', 'test/bench/ipvs-daemon-rss.mjs', '10000', '3', '60'],
    needs: ['root', 'qemu-system-x86_64'],
    timeoutS: 2800,
  },
  {
    name: 'vrrp',
    title: 'VRRP failover: lvsd vs keepalived (host netns, 3 runs per case)',
    command: ['node', 'test/bench/vrrp-failover.mjs', '3'],
    needs: ['root', 'keepalived', 'ping', 'tcpdump'],
    timeoutS: 900,
  },
  {
    name: 'vrrp-reload',
    title: 'VRRP under load: false failovers at 20 ms adverts with busy cores and 10,000-service reloads, lvsd vs keepalived (host netns, 6 min)',
    command: ['node', 'test/bench/vrrp-reload-stress.mjs', '360'],
    needs: ['root', 'keepalived', 'tcpdump', 'stress-ng'],
    timeoutS: 900,
  },
  {
    name: 'vrrp-soak',
    title: 'VRRP flood soak: 100,000 forged and random adverts/s for 10 s at a master, lvsd vs keepalived (host netns)',
    command: ['node', 'test/bench/vrrp-soak.mjs', '3', '10', '100000'],
    needs: ['root'],
    timeoutS: 300,
  },
  {
    name: 'bgp',
    title: 'BGP mode: withdraw seen at the router (lvsd withdraws, BFD 100 ms x 3, hold timer 3 s without BFD), BIRD on both sides (host netns, 5 rounds)',
    command: ['node', 'test/bench/bgp-withdraw.mjs', '5'],
    needs: ['root', 'bird'],
    timeoutS: 600,
  },
  {
    name: 'bgp-lab',
    title: 'Director crash, join and drain-node: three BGP directors (ECMP, BFD, mh, no sync) beside the VRRP pair (sync on), 200 long-lived connections (lab VM, 3 rounds)',
    command: ['node', 'test/lab/vm.mjs', '--timeout', '3000', '--', 'node', 'test/bench/bgp-lab.mjs', '3'],
    needs: ['root', 'qemu-system-x86_64', 'bird'],
    timeoutS: 3100,
  },
  {
    name: 'health-tcp',
    title: 'Health checks: TCP against 10,000 real servers (host netns)',
    command: ['node', 'test/bench/health-tcp.mjs'],
    needs: ['root'],
    timeoutS: 300,
  },
  {
    name: 'health-scheduler',
    title: 'Health checks: scheduler and state machine without the network',
    command: ['node', 'test/bench/health-scheduler.mjs'],
    needs: [],
    timeoutS: 120,
  },
  {
    name: 'config',
    title: 'Config check: lvsd check vs keepalived -t, 1,000 and 10,000 services x 4 real servers (5 runs each)',
    command: ['node', 'test/bench/config-check.mjs', '5'],
    needs: ['keepalived', 'python3'],
    timeoutS: 900,
  },
  {
    name: 'status-page',
    title: 'Status page: /status.json per request vs the whole lvsd status report, 10,000 services x 4 real servers (7 runs)',
    command: ['node', 'test/bench/status-page.mjs', '10000', '7'],
    needs: [],
    timeoutS: 300,
  },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !benches.some((b) => b.name === w));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; known: ${benches.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length > 0 ? benches.filter((b) => wanted.includes(b.name)) : benches;

if (!existsSync(new URL('../../dist/ipvs/client.js', import.meta.url))) {
  console.log('== dist/ missing: npm run build');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('bench: npm run build failed');
    process.exit(1);
  }
}

/** Runs one benchmark with its output passed through; resolves with its exit code (or a signal). */
function run(bench) {
  return new Promise((resolve) => {
    const [cmd, ...args] = bench.command;
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit' });
    const timer = setTimeout(() => child.kill('SIGTERM'), bench.timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ? `killed by ${signal}${signal === 'SIGTERM' ? ` (over ${bench.timeoutS} s)` : ''}` : code);
    });
  });
}

const summary = [];
for (const bench of selected) {
  console.log(`\n==== ${bench.title}\n==== ${bench.command.join(' ')}`);
  const reason = missing(bench.needs);
  if (reason) {
    console.log(`SKIPPED: ${reason}`);
    summary.push([bench.name, `skipped: ${reason}`]);
    continue;
  }
  const t0 = performance.now();
  const outcome = await run(bench);
  const seconds = Math.round((performance.now() - t0) / 1000);
  summary.push([bench.name, outcome === 0 ? `ok, ${seconds} s` : `FAILED (${outcome}), ${seconds} s`]);
}

console.log('\n==== summary');
const width = Math.max(...summary.map(([n]) => n.length));
for (const [name, outcome] of summary) console.log(`${name.padEnd(width)}  ${outcome}`);
if (summary.some(([, o]) => o.startsWith('FAILED'))) process.exitCode = 1;
