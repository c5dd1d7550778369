// VRRP failover gap as a client sees it: lvsd pairs against keepalived pairs with the same
// timers, in network namespaces on the host kernel (root; needs keepalived and iputils ping).
//   npm run build && node test/bench/vrrp-failover.mjs [runs=5] [lvsd,keepalived] [v3-100ms,v2-1s]
//
// A master (priority 150) and a backup (100) share a bridge with a client that pings the VIP
// every 10 ms. The gap is the longest silence between two replies from the last reply before
// the event to the first reply after it. Events:
//   crash: the master's node drops off the LAN (its bridge port stops forwarding) and the daemon
//          gets SIGKILL: the backup must notice the silence (Master_Down_Interval);
//   stop:  SIGTERM: the master sends priority 0 and removes its VIPs, the backup takes over
//          after Skew_Time (RFC 5798 6.4.2).
//   failover: `lvsd failover` (lvsd only: keepalived has no planned hand-over command): the
//          master steps down with priority 0 as on a stop, but keeps running.
// Both implementations send gratuitous ARP on takeover; the client's neighbour entry follows it.
// For a crash the client also captures the master's adverts (tcpdump): the gap depends on where
// in the advert interval the master died, while the takeover time from its last advert is
// Master_Down_Interval plus the backup's own latency, a less noisy comparison. On a stop lvsd
// keeps its VIPs until the new master speaks (make before break), so there is nothing to time
// from the last advert.
// Prints one row per implementation, timers and event: median/min/max of both against the RFC's
// Master_Down_Interval (3 x interval + Skew_Time) or Skew_Time for the backup's priority.
import path from 'node:path';
import { BenchLab, hasVip as vipOn, ip, root, sh, sleep, stopProcess as stopDaemon, waitFor } from './vrrp-lab.mjs';

const runs = Number(process.argv[2] ?? 5);
const impls = (process.argv[3] ?? 'lvsd,keepalived').split(',');
const timerSets = (process.argv[4] ?? 'v3-100ms,v2-1s').split(',');

const TIMERS = {
  'v3-100ms': { version: 3, intervalMs: 100 },
  'v2-1s': { version: 2, intervalMs: 1000 },
};
const BACKUP_PRIORITY = 100;
const MASTER_PRIORITY = 150;
const VIP = '198.18.2.100';
const ADDR = { m: '198.18.2.1', b: '198.18.2.2', client: '198.18.2.10' };
const { callDaemon } = await import(path.join(root, 'dist', 'cli', 'control-client.js'));
const lab = new BenchLab('vrrpbench');

/** Bridge port state: 3 forwarding, 0 disabled (the node is cut off, its link stays up). */
function setPort(ns, member, state) {
  sh('ip', ['netns', 'exec', ns.sw, 'bridge', 'link', 'set', 'dev', `p-${member}`, 'state', String(state)]);
}

const hasVip = (ns) => vipOn(ns, VIP);
const startDaemon = (impl, ns, label, priority, timers) => lab.startDaemon(impl, ns, { label, priority, ...timers, vrid: 42, vip: VIP });
const spawnIn = (ns, cmd, args) => lab.spawnIn(ns, cmd, args);

/** Packet timestamps (epoch ms) from `tcpdump -tt` output. */
function packetTimes(output) {
  const times = [];
  for (const m of output.matchAll(/^(\d+\.\d+) IP /gm)) times.push(Number(m[1]) * 1000);
  return times;
}

/** Reply timestamps (epoch ms) from `ping -D` output. */
function replyTimes(output) {
  const times = [];
  for (const m of output.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)) times.push(Number(m[1]) * 1000);
  return times;
}

/** The longest silence from the last reply before the event on: [its start, its end]. */
function outage(times, eventAt) {
  const before = times.filter((t) => t <= eventAt);
  const last = before[before.length - 1];
  if (last === undefined) return undefined;
  const after = times.filter((t) => t >= last);
  let worst;
  for (let i = 1; i < after.length; i++) if (!worst || after[i] - after[i - 1] > worst[1] - worst[0]) worst = [after[i - 1], after[i]];
  return worst;
}

async function oneRun(ns, impl, timers, event) {
  for (const n of [ns.m, ns.b]) {
    try {
      ip(n, 'addr', 'del', `${VIP}/24`, 'dev', 'eth0');
    } catch {
      // not there
    }
  }
  setPort(ns, 'm', 3);
  const backup = startDaemon(impl, ns.b, 'b', BACKUP_PRIORITY, timers);
  const master = startDaemon(impl, ns.m, 'm', MASTER_PRIORITY, timers);
  const interval = timers.intervalMs;
  let ping;
  let capture;
  try {
    // Settled: the VIP on the master only, for five advert intervals in a row.
    let since;
    await waitFor('the VIP on the master only', () => {
      if (!hasVip(ns.m) || hasVip(ns.b)) since = undefined;
      else since ??= Date.now();
      return since !== undefined && Date.now() - since >= 5 * interval;
    }, 13 * interval + 8_000);
    // The election may have moved the VIP back and forth; the client starts from a fresh
    // neighbour entry so the measurement is the failover's, not the settling's.
    ip(ns.client, 'neigh', 'flush', 'to', VIP, 'dev', 'eth0');
    capture = spawnIn(ns.client, 'tcpdump', ['-tt', '-n', '-l', '-i', 'eth0', `ip proto 112 and src host ${ADDR.m}`]);
    await waitFor('the capture to see adverts', () => packetTimes(capture.output()).length >= 2, 3_000 + 3 * interval);
    ping = spawnIn(ns.client, 'ping', ['-D', '-n', '-i', '0.01', '-W', '1', VIP]);
    await waitFor('replies', () => replyTimes(ping.output()).length >= 20, 3_000).catch((err) => {
      const mac = (n) => JSON.parse(ip(n, '-j', 'link', 'show', 'dev', 'eth0'))[0]?.address;
      const neigh = ip(ns.client, 'neigh', 'show', VIP).trim();
      throw new Error(`${err.message} (client neighbour: ${neigh}; master ${mac(ns.m)}, backup ${mac(ns.b)})\nmaster:\n${master.output().slice(-3000)}\nbackup:\n${backup.output().slice(-3000)}`);
    });
    const eventAt = Date.now();
    if (event === 'crash') {
      setPort(ns, 'm', 0);
      for (const pid of master.vrrpPids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    } else if (event === 'failover') {
      // The operator's planned hand-over: `lvsd failover` on the master (the CLI's own start-up
      // is not counted: the event is when the request is sent).
      await callDaemon(master.socket, 'failover', { take: false });
    } else {
      process.kill(master.child.pid, 'SIGTERM');
    }
    await waitFor('a reply after the failover', () => replyTimes(ping.output()).some((t) => t > eventAt + 5) && hasVip(ns.b), 6 * interval + 5_000);
    await sleep(Math.max(200, interval));
    await stopDaemon(ping, 'SIGINT');
    await stopDaemon(capture, 'SIGINT');
    const silence = outage(replyTimes(ping.output()), eventAt);
    if (silence === undefined) throw new Error('no replies around the event');
    const adverts = packetTimes(capture.output()).filter((t) => t < silence[1]);
    const lastAdvert = adverts[adverts.length - 1];
    if (lastAdvert === undefined) throw new Error('no advert captured before the takeover');
    return { gap: silence[1] - silence[0], fromAdvert: silence[1] - lastAdvert };
  } finally {
    if (ping) await stopDaemon(ping, 'SIGKILL');
    if (capture) await stopDaemon(capture, 'SIGKILL');
    await stopDaemon(master, 'SIGKILL');
    await stopDaemon(backup);
    setPort(ns, 'm', 3);
  }
}

function rfcExpectationMs(timers, event) {
  const skew = timers.version === 2 ? ((256 - BACKUP_PRIORITY) * 1000) / 256 : ((256 - BACKUP_PRIORITY) * timers.intervalMs) / 256;
  return event === 'crash' ? 3 * timers.intervalMs + skew : skew;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function main() {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces, raw sockets)');
  const ns = lab.setUpLan(ADDR);
  const rows = [];
  for (const timerName of timerSets) {
    const timers = TIMERS[timerName];
    if (!timers) throw new Error(`unknown timers ${timerName}; use ${Object.keys(TIMERS).join(', ')}`);
    for (const event of ['crash', 'stop', 'failover']) {
      for (const impl of impls) {
        // keepalived has no command for a planned hand-over.
        if (event === 'failover' && impl !== 'lvsd') continue;
        const results = [];
        for (let i = 0; i < runs; i++) results.push(await oneRun(ns, impl, timers, event));
        const row = { impl, timers: timerName, event, runs, gaps: results.map((r) => r.gap), fromAdvert: results.map((r) => r.fromAdvert), rfc: rfcExpectationMs(timers, event) };
        rows.push(row);
        process.stderr.write(`${impl} ${timerName} ${event}: gap ${row.gaps.map((g) => g.toFixed(0)).join(' ')} ms; from last advert ${row.fromAdvert.map((g) => g.toFixed(0)).join(' ')} ms\n`);
      }
    }
  }
  const stats = (xs) => [median(xs), Math.min(...xs), Math.max(...xs)].map((n) => n.toFixed(0).padStart(6)).join(' ');
  console.log('VRRP failover seen by a client pinging the VIP every 10 ms, ms (median min max)');
  console.log('  gap: longest silence between replies');
  console.log('  takeover (crash only): first reply after the silence minus the dead master\'s last advert');
  console.log('  RFC: Master_Down_Interval for a crash, Skew_Time for a stop (backup priority 100)');
  console.log(`${'implementation'.padEnd(15)}${'timers'.padEnd(10)}${'event'.padEnd(9)}${'runs'.padStart(4)}  ${'gap'.padEnd(20)} ${'takeover'.padEnd(20)} RFC`);
  for (const r of rows) {
    const takeover = r.event === 'crash' ? stats(r.fromAdvert) : '-'.padStart(6).padEnd(20);
    console.log(`${r.impl.padEnd(15)}${r.timers.padEnd(10)}${r.event.padEnd(9)}${String(r.runs).padStart(4)}  ${stats(r.gaps)}  ${takeover}  ${r.rfc.toFixed(0)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
