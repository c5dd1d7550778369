// VRRP flood soak: a third host on the LAN sends a master 100,000 forged and random adverts a
// second for 10 s; lvsd and keepalived in turn, same flood, same timers (VRRPv3, 100 ms, priority
// 200), in network namespaces on the host kernel (root; keepalived optional).
//   npm run build && node test/bench/vrrp-soak.mjs [runs=3] [seconds=10] [rate=100000] [lvsd,keepalived]
//
// The flood (test/netns/support/vrrp-forge.mjs): half the forgeries of issue 10 (unicast TTL 64
// priority 255 with a 40.95 s interval, multicast TTL 1 priority 255), half random: adverts below
// the master's priority with any TTL and either checksum, priority-255 adverts with a forged TTL
// or destination, and random bytes behind a valid IP header, from random 198.18.128.0/17 sources.
// None of it may move the master. Per run it reports what the forger really sent, whether the
// VIP ever left the master (sampled every 100 ms), the master process's CPU while flooded and
// idle (utime + stime from /proc), its RSS before, during and after, and how many log lines it
// wrote. Medians with min-max over the runs, one row per implementation.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BenchLab, hasVip as vipOn, ip, root, sleep, stopProcess, waitFor } from './vrrp-lab.mjs';

const runs = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 10);
const rate = Number(process.argv[4] ?? 100_000);
const onPath = (cmd) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const impls = (process.argv[5] ?? (onPath('keepalived') ? 'lvsd,keepalived' : 'lvsd')).split(',');

const VIP = '198.18.4.100';
const ADDR = { m: '198.18.4.1', c: '198.18.4.3' };
const PRIORITY = 200;
const VRID = 44;
const INTERVAL_MS = 100;
const CLK_TCK = 100;
const FORGE = path.join(root, 'test', 'netns', 'support', 'vrrp-forge.mjs');
const { callDaemon } = await import(path.join(root, 'dist', 'cli', 'control-client.js'));
const lab = new BenchLab('vrrpsoak');
const hasVip = (ns) => vipOn(ns, VIP);

/** utime + stime of a process, seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU use of `pid` over `ms`, percent of one core. */
async function cpuOver(pid, ms) {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(ms);
  return ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
}

async function oneRun(ns, impl, run) {
  try {
    ip(ns.m, 'addr', 'del', `${VIP}/24`, 'dev', 'eth0');
  } catch {
    // not there
  }
  const master = lab.startDaemon(impl, ns.m, { label: 'm', priority: PRIORITY, version: 3, intervalMs: INTERVAL_MS, vrid: VRID, vip: VIP, logLevel: 'info' });
  try {
    let since;
    await waitFor('the VIP on the master', () => {
      if (!hasVip(ns.m)) since = undefined;
      else since ??= Date.now();
      return since !== undefined && Date.now() - since >= 1000;
    }, 10_000);
    const [pid] = master.vrrpPids();
    const idleCpu = await cpuOver(pid, 2000);
    const rssBefore = rssMb(pid);
    const logBefore = master.output().split('\n').length;

    const mMac = JSON.parse(ip(ns.m, '-j', 'link', 'show', 'dev', 'eth0'))[0].address;
    const forged = { family: 4, vrid: VRID, priority: 255, intervalCs: 4095, addresses: [VIP] };
    const spec = path.join(lab.work, `forge-${impl}-${run}.json`);
    writeFileSync(
      spec,
      JSON.stringify({
        ifname: 'eth0',
        rate,
        seconds,
        random: 0.5,
        randomPool: { vrid: VRID, maxPriority: PRIORITY, dstMac: mMac, unicastDst: ADDR.m, addresses: [VIP] },
        frames: [
          { ...forged, dstMac: mMac, src: ADDR.c, dst: ADDR.m, ttl: 64 },
          { ...forged, dstMac: '01:00:5e:00:00:12', src: ADDR.c, dst: '224.0.0.18', ttl: 1 },
        ],
      }),
    );
    const c0 = cpuSeconds(pid);
    const t0 = performance.now();
    const forger = lab.spawnIn(ns.c, process.execPath, [FORGE, spec]);
    let samples = 0;
    let missing = 0;
    let rssMid = NaN;
    while (forger.child.exitCode === null && forger.child.signalCode === null) {
      samples++;
      if (!hasVip(ns.m)) missing++;
      // Growth after the first two seconds is what a leak would show; before that the heap warms up.
      if (samples === 20) rssMid = rssMb(pid);
      await sleep(100);
    }
    const floodCpu = ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
    const rssAfter = rssMb(pid);
    const sent = JSON.parse(forger.output().trim().split('\n').at(-1));
    const logLines = master.output().split('\n').length - logBefore;
    let drops = '';
    if (impl === 'lvsd') {
      const status = await callDaemon(master.socket, 'status');
      const view = status.vrrp?.[0];
      const counters = view?.counters;
      if (counters) {
        const dropped = Object.values(counters.drops).reduce((a, b) => a + b, 0);
        drops = `${counters.advertsReceived} accepted, ${dropped} dropped, ${counters.repliesSuppressed} replies suppressed, state ${view.state}`;
      }
    }
    return {
      pps: sent.sent / sent.seconds,
      errors: sent.errors,
      missing,
      samples,
      floodCpu,
      idleCpu,
      rssBefore,
      rssMid,
      rssAfter,
      logLines,
      forgerCpu: (sent.cpuMs / 1000 / sent.seconds) * 100,
      drops,
    };
  } finally {
    await stopProcess(master);
    if (master.child.exitCode === null && master.child.signalCode === null) await stopProcess(master, 'SIGKILL');
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const stat = (xs, digits = 0) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;

const ns = lab.setUpLan(ADDR);
console.log(`VRRP flood soak: ${runs} runs x ${seconds} s at ${rate} frames/s per implementation (${impls.join(', ')}); VRRPv3 ${INTERVAL_MS} ms, priority ${PRIORITY}`);
const results = {};
for (const impl of impls) {
  results[impl] = [];
  for (let r = 1; r <= runs; r++) {
    const res = await oneRun(ns, impl, r);
    results[impl].push(res);
    console.log(
      `${impl} run ${r}: ${Math.round(res.pps)} frames/s sent, ${res.errors} refused (forger ${res.forgerCpu.toFixed(0)}% CPU); VIP missing in ${res.missing}/${res.samples} samples; ` +
        `CPU ${res.floodCpu.toFixed(1)}% flooded, ${res.idleCpu.toFixed(1)}% idle; RSS ${res.rssBefore.toFixed(1)} -> ${res.rssMid.toFixed(1)} -> ${res.rssAfter.toFixed(1)} MB; ` +
        `${res.logLines} log lines${res.drops ? `; ${res.drops}` : ''}`,
    );
  }
}

console.log('\nimplementation | frames/s sent | VIP kept (samples) | CPU % flooded | CPU us per frame | CPU % idle | RSS MB before | RSS MB at 2 s | RSS MB at end | log lines');
console.log('--- | --- | --- | --- | --- | --- | --- | --- | --- | ---');
for (const impl of impls) {
  const rs = results[impl];
  const kept = rs.every((r) => r.missing === 0) ? 'yes, every run' : `NO: ${rs.map((r) => r.missing).join('/')} missing`;
  console.log(
    `${impl} | ${stat(rs.map((r) => r.pps))} | ${kept} | ${stat(rs.map((r) => r.floodCpu), 1)} | ${stat(rs.map((r) => (r.floodCpu * 10_000) / r.pps), 2)} | ` +
      `${stat(rs.map((r) => r.idleCpu), 1)} | ${stat(rs.map((r) => r.rssBefore), 1)} | ${stat(rs.map((r) => r.rssMid), 1)} | ${stat(rs.map((r) => r.rssAfter), 1)} | ` +
      `${stat(rs.map((r) => r.logLines))}`,
  );
}
console.log('median (min-max) over the runs; CPU in % of one core (and per frame sent), the master process only (keepalived: its VRRP child)');
if (Object.values(results).some((rs) => rs.some((r) => r.missing > 0))) process.exitCode = 1;
