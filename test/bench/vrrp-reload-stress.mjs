// False failovers under load (issue 11 item 1, stretch goal): an lvsd pair and a keepalived pair
// on one bridge, both at VRRPv3 20 ms adverts (Master_Down_Interval about 68 ms), while
// `stress-ng --cpu 2` keeps both cores busy and the lvsd master reloads 10,000 services × 4 every
// 30 s. Then a real crash (kill -9) of each master, still under load.
//   npm run build && node test/bench/vrrp-reload-stress.mjs [seconds=360] [services=10000]
//
// The lvsd master is the whole daemon (test/netns/support/daemon-node.mjs, VRRP in its worker
// thread) with kernel IPVS in memory, because this host has no IPVS; the lvsd backup is `lvsd run`
// with the VRRP instance only. keepalived gets SIGHUP on the same 30 s cadence; it has no virtual
// servers (its checker cannot run without IPVS), so its reloads are cheap: the comparison is
// harder on lvsd than on keepalived. An observer on the bridge captures every advert (tcpdump):
// a false failover is an advert with a non-zero priority from a backup while its master runs;
// the gaps between a master's adverts are reported too. The crash is timed on the wire, from the
// master's last advert to the backup's first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keepalivedBenchConfig } from './vrrp-lab.mjs';
import { deleteAllNow, LabNetns, newRunId, sleep, sweepStaleNamespaces, waitFor } from '../lab/netns.mjs';

const seconds = Number(process.argv[2] ?? 360);
const RELOAD_EVERY_MS = 30_000;
const ADVERT_MS = 20;
const SERVICES = Number(process.argv[3] ?? 10_000);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const lvsdMain = path.join(root, 'dist', 'cli', 'main.js');
const daemonNode = path.join(root, 'test', 'netns', 'support', 'daemon-node.mjs');
const work = mkdtempSync(path.join(tmpdir(), 'lvsd-reload-stress-'));

const PAIRS = {
  lvsd: { vrid: 42, vip: '198.18.3.100', master: '198.18.3.1', backup: '198.18.3.2' },
  keepalived: { vrid: 43, vip: '198.18.3.101', master: '198.18.3.3', backup: '198.18.3.4' },
};
const OBSERVER = '198.18.3.10';

process.on('exit', () => {
  deleteAllNow();
  rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

sweepStaleNamespaces();
const [sw, lm, lb, km, kb, obs] = LabNetns.createMany(newRunId(), ['sw', 'lm', 'lb', 'km', 'kb', 'obs']);
sw.batch(['link add br0 type bridge mcast_snooping 0', 'link set br0 up', 'link set lo up']);
for (const [ns, address] of [[lm, PAIRS.lvsd.master], [lb, PAIRS.lvsd.backup], [km, PAIRS.keepalived.master], [kb, PAIRS.keepalived.backup], [obs, OBSERVER]]) {
  ns.batch(['link set lo up', `link add eth0 type veth peer name p-${ns.label} netns ${sw.name}`, `addr add ${address}/24 dev eth0`, 'link set eth0 up']);
  sw.batch([`link set p-${ns.label} master br0`, `link set p-${ns.label} up`]);
}

function lvsdConfig(name, priority, services, weight = 100) {
  const { vrid, vip } = PAIRS.lvsd;
  const lines = [
    `node: { name: ${name} }`,
    `control: { socket: ${work}/${name}.sock }`,
    `metrics: { listen: 127.0.0.1:${name === 'lm' ? 19_951 : 19_952} }`,
    `ipvs: { state_dir: ${work}/${name}-state }`,
    'logging: { level: warn }',
    'vrrp:',
    '  instances:',
    `    - { name: bench, interface: eth0, vrid: ${vrid}, priority: ${priority}, advert_interval: ${ADVERT_MS}ms, garp: { delay: 0s }, vips: [${vip}/24] }`,
  ];
  if (services) {
    lines.push('services:');
    for (let i = 0; i < SERVICES; i++) {
      const port = 10_000 + i;
      lines.push(`  - { name: s${i}, vip: ${vip}, port: ${port}, protocol: tcp, scheduler: wrr, real_servers: [`);
      for (let r = 1; r <= 4; r++) lines.push(`      { address: 198.19.${i % 250}.${r}, port: ${port}, weight: ${i === 0 && r === 1 ? weight : 100} },`);
      lines.push('    ] }');
    }
  }
  const file = path.join(work, `${name}-${weight}.yaml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function keepalivedConfig(name, priority) {
  const { vrid, vip } = PAIRS.keepalived;
  const file = path.join(work, `${name}.conf`);
  writeFileSync(file, keepalivedBenchConfig({ routerId: name, vrid, priority, version: 3, intervalMs: ADVERT_MS, vip }));
  return file;
}

function startKeepalived(ns, priority) {
  const pidFile = path.join(work, `${ns.label}.pid`);
  const vrrpPidFile = path.join(work, `${ns.label}-vrrp.pid`);
  const proc = ns.spawn('keepalived', ['-P', '-n', '-l', '-f', keepalivedConfig(ns.label, priority), '-p', pidFile, '-r', vrrpPidFile]);
  return { proc, vrrpPidFile };
}

/** Answers of the daemon-node.mjs host by id, read from its stdout alone (its logs go to stderr). */
function hostAnswers(host) {
  const answers = new Map();
  let partial = '';
  host.child.stdout.on('data', (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const msg = line.startsWith('{') ? JSON.parse(line) : {};
      if (msg.id !== undefined) answers.set(msg.id, msg);
    }
  });
  return answers;
}

/** A request to the daemon-node.mjs host over its stdin; resolves with the answer. */
let nextId = 1;
function hostRequest(host, answers, cmd, args = {}) {
  const id = nextId++;
  host.child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
  return waitFor(`${cmd} (id ${id})`, () => answers.get(id), { timeoutMs: 300_000, intervalMs: 100 });
}

/** Adverts from a tcpdump -tt capture: { t (ms), src, vrid, prio }. */
function adverts(output) {
  const out = [];
  for (const m of output.matchAll(/^(\d+\.\d+) IP (\d+\.\d+\.\d+\.\d+) > [\d.]+: VRRPv3, Advertisement, vrid (\d+), prio (\d+)/gm)) {
    out.push({ t: Number(m[1]) * 1000, src: m[2], vrid: Number(m[3]), prio: Number(m[4]) });
  }
  return out;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

function summarize(pair, list) {
  const own = list.filter((a) => a.vrid === pair.vrid);
  let falseFailovers = 0;
  let lastSrc;
  for (const a of own) {
    if (a.prio > 0 && a.src === pair.backup && lastSrc === pair.master) falseFailovers++;
    if (a.prio > 0) lastSrc = a.src;
  }
  const times = own.filter((a) => a.src === pair.master && a.prio > 0).map((a) => a.t);
  const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  return { falseFailovers, adverts: times.length, p50: quantile(gaps, 0.5), p99: quantile(gaps, 0.99), max: gaps[gaps.length - 1], over68: gaps.filter((g) => g > 68).length };
}

console.log(`starting: lvsd master with ${SERVICES} services × 4 (this takes a while), lvsd backup, keepalived pair`);
const lvsdBackup = lb.spawn(process.execPath, [lvsdMain, 'run', '-c', lvsdConfig('lb', 100, false)]);
const kaBackup = startKeepalived(kb, 100);
const kaMaster = startKeepalived(km, 150);
const lvsdMasterConfig = lvsdConfig('lm', 150, true);
const lvsdMaster = lm.spawn(process.execPath, [daemonNode, lvsdMasterConfig, 'thread'], { stdin: 'pipe', env: { ...process.env, LVSD_TEST_LOG_LEVEL: 'warn' } });
const lvsdAnswers = hostAnswers(lvsdMaster);
await lvsdMaster.waitForOutput(/"event":"ready"/, 300_000);
const hasVip = (ns, vip) => ns.ip('-o', 'addr', 'show', 'dev', 'eth0').includes(`${vip}/`);
await waitFor('both masters to hold their VIPs', () => hasVip(lm, PAIRS.lvsd.vip) && hasVip(km, PAIRS.keepalived.vip) && !hasVip(lb, PAIRS.lvsd.vip) && !hasVip(kb, PAIRS.keepalived.vip), { timeoutMs: 30_000 });

// To a file: six minutes of adverts are megabytes of text.
const pcap = (name) => path.join(work, `${name}.pcap`);
const startCapture = async (name) => {
  const p = obs.spawn('tcpdump', ['-n', '-p', '-U', '-i', 'eth0', '-w', pcap(name), 'ip proto 112']);
  await p.waitForOutput(/listening on/, 10_000);
  return p;
};
const readCapture = (name) => adverts(execFileSync('tcpdump', ['-tt', '-n', '-r', pcap(name)], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] }));
const capture = await startCapture('load');
const stress = obs.spawn('stress-ng', ['--cpu', '2', '--timeout', `${seconds + 60}s`, '--quiet']);
console.log(`stress-ng --cpu 2 for ${seconds} s; lvsd reloads ${SERVICES} services and keepalived gets SIGHUP every ${RELOAD_EVERY_MS / 1000} s`);
const reloads = [];
const end = Date.now() + seconds * 1000;
for (let weight = 101; Date.now() < end; weight++) {
  const started = Date.now();
  const file = lvsdConfig('lm', 150, true, weight);
  const result = await hostRequest(lvsdMaster, lvsdAnswers, 'reload', { path: file });
  reloads.push({ ok: result.result?.ok === true, ms: Date.now() - started });
  kaMaster.proc.child.kill('SIGHUP');
  rmSync(file, { force: true });
  await sleep(Math.max(0, Math.min(RELOAD_EVERY_MS - (Date.now() - started), end - Date.now())));
}
await capture.stop();
const loadAdverts = readCapture('load');

console.log('crash: kill -9 of each master, still under load');
const crashCapture = await startCapture('crash');
await sleep(500);
lvsdMaster.killNow();
await sleep(500);
// The VRRP child and the parent together: the parent alone would respawn the child.
for (const pid of [Number(readFileSync(kaMaster.vrrpPidFile, 'utf8').trim()), kaMaster.proc.pid]) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}
await sleep(1_000);
await stress.stop();
await crashCapture.stop();
const crashAdverts = readCapture('crash');

function takeover(pair) {
  const own = crashAdverts.filter((a) => a.vrid === pair.vrid);
  const lastMaster = own.filter((a) => a.src === pair.master).at(-1);
  const firstBackup = own.find((a) => a.src === pair.backup && a.prio > 0 && (!lastMaster || a.t > lastMaster.t));
  return lastMaster && firstBackup ? (firstBackup.t - lastMaster.t).toFixed(1) : 'n/a';
}

const row = (name, s, crash) =>
  `| ${name} | ${s.falseFailovers} | ${s.adverts} | ${s.p50?.toFixed(1)} | ${s.p99?.toFixed(1)} | ${s.max?.toFixed(1)} | ${s.over68} | ${crash} |`;
const reloadMs = reloads.map((r) => r.ms).sort((a, b) => a - b);
console.log(`\n${seconds} s under stress-ng --cpu 2, ${reloads.length} lvsd reloads of ${SERVICES} services (ok: ${reloads.filter((r) => r.ok).length}, median ${quantile(reloadMs, 0.5)} ms, max ${reloadMs.at(-1)} ms); v3 ${ADVERT_MS} ms adverts, Master_Down about 68 ms\n`);
console.log('| pair | false failovers | master adverts | gap p50 ms | gap p99 ms | gap max ms | gaps > 68 ms | kill -9 takeover ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
console.log(row(`lvsd (${SERVICES} services, reload every 30 s)`, summarize(PAIRS.lvsd, loadAdverts), takeover(PAIRS.lvsd)));
console.log(row('keepalived (SIGHUP every 30 s)', summarize(PAIRS.keepalived, loadAdverts), takeover(PAIRS.keepalived)));
await Promise.all([lvsdBackup.stop(), kaBackup.proc.stop()]);
