// False failovers under load (issue 11 item 1, stretch goal): an lvsd pair and two keepalived
// pairs (its defaults, and with vrrp_rt_priority: SCHED_RR like lvsd's VRRP thread) on one
// bridge, all at VRRPv3 20 ms adverts (Master_Down_Interval about 68 ms), while `stress-ng --cpu 2`
// keeps both cores busy and the lvsd master reloads 10,000 services × 4 every 30 s. Then real
// crashes (kill -9) of every master, still under load: the first of the loaded masters, then
// CRASH_ROUNDS - 1 more of fresh masters (lvsd run with the VRRP instance only) that took over
// again by priority.
//   npm run build && node test/bench/vrrp-reload-stress.mjs [seconds=360] [services=10000]
//
// The lvsd master is the whole daemon (test/netns/support/daemon-node.mjs, VRRP in its worker
// thread) with kernel IPVS in memory, because this host has no IPVS; the lvsd backup is `lvsd run`
// with the VRRP instance only; both run with the daemon's node flags (DAEMON_NODE_FLAGS) and
// lvsd's default vrrp.realtime_priority. keepalived gets SIGHUP on the same 30 s cadence; it has
// no virtual servers (its checker cannot run without IPVS), so its reloads are cheap: the
// comparison is harder on lvsd than on keepalived. An observer on the bridge captures every
// advert (tcpdump): a false failover is an advert with a non-zero priority from a backup while
// its master runs; the gaps between a master's adverts are reported too. A crash is timed on the
// wire, from the master's last advert to the backup's first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_FLAGS } from '../../dist/daemon/vrrp-thread.js';
import { keepalivedBenchConfig } from './vrrp-lab.mjs';
import { deleteAllNow, Netns, sleep, waitFor } from '../support/netns.mjs';

const seconds = Number(process.argv[2] ?? 360);
const RELOAD_EVERY_MS = 30_000;
const ADVERT_MS = 20;
const SERVICES = Number(process.argv[3] ?? 10_000);
const CRASH_ROUNDS = 5;
/** keepalived's vrrp_rt_priority in the second keepalived pair: lvsd's default realtime_priority. */
const KEEPALIVED_RT_PRIORITY = 10;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const lvsdMain = path.join(root, 'dist', 'cli', 'main.js');
const daemonNode = path.join(root, 'test', 'netns', 'support', 'daemon-node.mjs');
const work = mkdtempSync(path.join(tmpdir(), 'lvsd-reload-stress-'));

const PAIRS = {
  lvsd: { vrid: 42, vip: '198.18.3.100', master: '198.18.3.1', backup: '198.18.3.2' },
  keepalived: { vrid: 43, vip: '198.18.3.101', master: '198.18.3.3', backup: '198.18.3.4' },
  keepalivedRt: { vrid: 44, vip: '198.18.3.102', master: '198.18.3.5', backup: '198.18.3.6' },
};
const OBSERVER = '198.18.3.10';

process.on('exit', () => {
  deleteAllNow();
  rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const [sw, lm, lb, km, kb, rm, rb, obs] = Netns.createMany('lab', ['sw', 'lm', 'lb', 'km', 'kb', 'rm', 'rb', 'obs']);
sw.batch(['link add br0 type bridge mcast_snooping 0', 'link set br0 up', 'link set lo up']);
const members = [[lm, PAIRS.lvsd.master], [lb, PAIRS.lvsd.backup], [km, PAIRS.keepalived.master], [kb, PAIRS.keepalived.backup], [rm, PAIRS.keepalivedRt.master], [rb, PAIRS.keepalivedRt.backup], [obs, OBSERVER]];
for (const [ns, address] of members) {
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

function keepalivedConfig(name, pair, priority, rtPriority) {
  const { vrid, vip } = pair;
  const file = path.join(work, `${name}.conf`);
  writeFileSync(file, keepalivedBenchConfig({ routerId: name, vrid, priority, version: 3, intervalMs: ADVERT_MS, vip, rtPriority }));
  return file;
}

function startKeepalived(ns, pair, priority, rtPriority) {
  const pidFile = path.join(work, `${ns.label}.pid`);
  const vrrpPidFile = path.join(work, `${ns.label}-vrrp.pid`);
  // A killed keepalived leaves its pid files behind: a fresh one must not be taken for it.
  for (const f of [pidFile, vrrpPidFile]) rmSync(f, { force: true });
  const proc = ns.spawn('keepalived', ['-P', '-n', '-l', '-f', keepalivedConfig(ns.label, pair, priority, rtPriority), '-p', pidFile, '-r', vrrpPidFile]);
  return { proc, vrrpPidFile };
}

/** kill -9 of keepalived's VRRP child and its parent together: the parent alone would respawn the child. */
function killKeepalived(k) {
  for (const pid of [Number(readFileSync(k.vrrpPidFile, 'utf8').trim()), k.proc.pid]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** `lvsd run` with the VRRP instance only, as the daemon is run (DAEMON_NODE_FLAGS). */
const startLvsdRun = (ns, name, priority) => ns.spawn(process.execPath, [...DAEMON_NODE_FLAGS, lvsdMain, 'run', '-c', lvsdConfig(name, priority, false)]);

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
const lvsdBackup = startLvsdRun(lb, 'lb', 100);
const kaBackup = startKeepalived(kb, PAIRS.keepalived, 100);
let kaMaster = startKeepalived(km, PAIRS.keepalived, 150);
const krBackup = startKeepalived(rb, PAIRS.keepalivedRt, 100, KEEPALIVED_RT_PRIORITY);
let krMaster = startKeepalived(rm, PAIRS.keepalivedRt, 150, KEEPALIVED_RT_PRIORITY);
const lvsdMasterConfig = lvsdConfig('lm', 150, true);
const lvsdMaster = lm.spawn(process.execPath, [...DAEMON_NODE_FLAGS, daemonNode, lvsdMasterConfig, 'thread'], { stdin: 'pipe', env: { ...process.env, LVSD_TEST_LOG_LEVEL: 'warn' } });
const lvsdAnswers = hostAnswers(lvsdMaster);
await lvsdMaster.waitForOutput(/"event":"ready"/, 300_000);
const hasVip = (ns, vip) => ns.ip('-o', 'addr', 'show', 'dev', 'eth0').includes(`${vip}/`);
const mastersHoldVips = () =>
  hasVip(lm, PAIRS.lvsd.vip) && hasVip(km, PAIRS.keepalived.vip) && hasVip(rm, PAIRS.keepalivedRt.vip) &&
  !hasVip(lb, PAIRS.lvsd.vip) && !hasVip(kb, PAIRS.keepalived.vip) && !hasVip(rb, PAIRS.keepalivedRt.vip);
await waitFor('every master to hold its VIP', mastersHoldVips, { timeoutMs: 30_000 });

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
  krMaster.proc.child.kill('SIGHUP');
  rmSync(file, { force: true });
  await sleep(Math.max(0, Math.min(RELOAD_EVERY_MS - (Date.now() - started), end - Date.now())));
}
await capture.stop();
const loadAdverts = readCapture('load');

console.log(`crash: kill -9 of every master, ${CRASH_ROUNDS} rounds, still under load`);
const takeovers = { lvsd: [], keepalived: [], keepalivedRt: [] };
function takeover(list, pair) {
  const own = list.filter((a) => a.vrid === pair.vrid);
  const lastMaster = own.filter((a) => a.src === pair.master).at(-1);
  const firstBackup = own.find((a) => a.src === pair.backup && a.prio > 0 && (!lastMaster || a.t > lastMaster.t));
  return lastMaster && firstBackup ? firstBackup.t - lastMaster.t : undefined;
}
let lvsdRoundMaster = lvsdMaster;
for (let round = 0; round < CRASH_ROUNDS; round++) {
  if (round > 0) {
    // Fresh masters take the VIPs back by priority (preempt), then are killed like the first.
    lvsdRoundMaster = startLvsdRun(lm, `lm${round}`, 150);
    kaMaster = startKeepalived(km, PAIRS.keepalived, 150);
    krMaster = startKeepalived(rm, PAIRS.keepalivedRt, 150, KEEPALIVED_RT_PRIORITY);
    await waitFor('every fresh master to hold its VIP', mastersHoldVips, { timeoutMs: 60_000 });
    await waitFor('keepalived VRRP pid files', () => [kaMaster, krMaster].every((k) => { try { return readFileSync(k.vrrpPidFile, 'utf8').trim() !== ''; } catch { return false; } }), { timeoutMs: 10_000 });
  }
  const name = `crash${round}`;
  const crashCapture = await startCapture(name);
  await sleep(500);
  lvsdRoundMaster.killNow();
  killKeepalived(kaMaster);
  killKeepalived(krMaster);
  await sleep(1_000);
  await crashCapture.stop();
  const list = readCapture(name);
  for (const key of Object.keys(takeovers)) takeovers[key].push(takeover(list, PAIRS[key]));
}
await stress.stop();

const spread = (values) => {
  const ms = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  const missing = values.length - ms.length;
  return ms.length === 0 ? 'n/a' : `${quantile(ms, 0.5).toFixed(1)} (${ms[0].toFixed(1)}–${ms.at(-1).toFixed(1)})${missing ? `, ${missing} not seen` : ''}`;
};

const row = (name, s, crash) =>
  `| ${name} | ${s.falseFailovers} | ${s.adverts} | ${s.p50?.toFixed(1)} | ${s.p99?.toFixed(1)} | ${s.max?.toFixed(1)} | ${s.over68} | ${crash} |`;
const reloadMs = reloads.map((r) => r.ms).sort((a, b) => a - b);
console.log(`\n${seconds} s under stress-ng --cpu 2, ${reloads.length} lvsd reloads of ${SERVICES} services (ok: ${reloads.filter((r) => r.ok).length}, median ${quantile(reloadMs, 0.5)} ms, max ${reloadMs.at(-1)} ms); v3 ${ADVERT_MS} ms adverts, Master_Down about 68 ms; kill -9 takeover over ${CRASH_ROUNDS} crashes, median (min–max)\n`);
console.log('| pair | false failovers | master adverts | gap p50 ms | gap p99 ms | gap max ms | gaps > 68 ms | kill -9 takeover ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
console.log(row(`lvsd (${SERVICES} services, reload every 30 s, realtime_priority 10)`, summarize(PAIRS.lvsd, loadAdverts), spread(takeovers.lvsd)));
console.log(row('keepalived (defaults; SIGHUP every 30 s)', summarize(PAIRS.keepalived, loadAdverts), spread(takeovers.keepalived)));
console.log(row(`keepalived (vrrp_rt_priority ${KEEPALIVED_RT_PRIORITY}; SIGHUP every 30 s)`, summarize(PAIRS.keepalivedRt, loadAdverts), spread(takeovers.keepalivedRt)));
await Promise.all([lvsdBackup.stop(), kaBackup.proc.stop(), krBackup.proc.stop()]);
