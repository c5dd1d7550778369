// Active-active BGP directors beside the VRRP pair, on the lab VM's kernel, in the same run:
// what a director's death costs the clients, and what planned changes cost.
//   BGP  (test/lab/bgp-topology.mjs): three directors behind the router's ECMP, BFD, mh + sloppy_tcp,
//        no connection sync. Each round: d4 joins, d4 is drained (lvsd drain-node) and stopped,
//        then one of d1-d3 crashes (links down, kill -9) and comes back.
//   VRRP (test/lab/topology.mjs): lb1 master, lb2 backup, 1 s adverts (what the VM holds), IPVS
//        connection sync on. Each round: lb1 crashes the same way and comes back (preempt).
// Both sides carry 200 long-lived connections and a stream of fresh connections every 10 ms
// (stream-client.py). Both crash times are taken from the kernel: the link losing carrier (the
// switch's `ip monitor link`) to the router's FIB without the director (BGP) or to the VIP on
// lb2's link (VRRP: `ip monitor address`; lb2's log line "sync group is master" beside it).
//   node test/lab/vm.mjs --timeout 3000 -- node test/bench/bgp-lab.mjs [rounds=3]
import { BgpLab } from '../lab/bgp-topology.mjs';
import { DIRECTORS, FIRST_DIRECTORS, SERVICE } from '../lab/bgp-plan.mjs';
import { CRASH_STREAM_TIMING, POOL_TIMING, crash, drain, join } from '../lab/bgp-scenarios.mjs';
import { Lab } from '../lab/topology.mjs';
import { SERVICES } from '../lab/plan.mjs';
import { deleteAllOnSignal, sleep } from '../support/netns.mjs';
import { startStream } from '../lab/stream.mjs';
import { analyseStream } from '../lab/traffic.mjs';

const rounds = Number(process.argv[2] ?? 3);
const POOL_SIZE = 200;
const log = (line) => process.stderr.write(`[bgp-lab bench] ${line}\n`);
deleteAllOnSignal();

const share = (o) => (o.total === 0 ? NaN : (o.working / o.total) * 100);

/** Opens the pool again up to POOL_SIZE working connections, so every round starts from 200. */
async function refillPool(client, service) {
  const conns = await client.poolStop();
  if (conns.length > 0) await client.poolClose();
  await client.poolOpen(service, POOL_SIZE);
}

async function vrrpRounds() {
  const dr = SERVICES.find((s) => s.mode === 'dr');
  const lab = await Lab.build({ log, preparation: { rs1: 'script', rs2: 'script', rs3: 'script' } });
  const out = [];
  try {
    await lab.waitDaemons();
    for (let r = 0; r < rounds; r++) {
      await refillPool(lab.client, dr);
      // Sync carries the pool to lb2 within a second or two; give it time before the crash.
      await sleep(3_000);
      const links = lab.ns.sw.monitor(['link']);
      const addresses = lab.ns.lb2.monitor(['address']);
      await lab.client.poolStart(POOL_TIMING);
      const stream = await startStream(lab.ns.client, dr, CRASH_STREAM_TIMING);
      await sleep(1_500);
      const at = await lab.crash('lb1');
      await lab.waitState('lb2', 'master', 30_000);
      await sleep(3_000);
      const gap = analyseStream(await stream.stop());
      const conns = await lab.client.poolStop();
      const working = conns.filter((c) => c.error === null).length;
      const deadAt = (await links.stop()).find((e) => e.line.includes(' lb1-eth0@') && e.line.includes('NO-CARRIER'))?.t ?? at;
      const vipAt = (await addresses.stop()).find((e) => !e.line.startsWith('Deleted') && e.line.includes(`inet ${dr.vip}/`))?.t;
      const logged = lab.transitionTime('lb2', 'master', at);
      out.push({
        takeoverMs: vipAt === undefined ? NaN : vipAt - deadAt,
        loggedMasterMs: logged === undefined ? NaN : logged - deadAt,
        gapMs: gap.gapMs,
        spacingMs: gap.spacingMs.median,
        spacingMaxMs: gap.spacingMs.max,
        failed: gap.failed,
        total: gap.total,
        connsPct: (working / conns.length) * 100,
      });
      log(`VRRP round ${r + 1}: ${JSON.stringify(out.at(-1))}`);
      if (r === rounds - 1) break;
      lab.recover('lb1');
      await lab.waitReady('lb1', 240_000);
      await lab.waitState('lb1', 'master', 60_000);
      await lab.waitState('lb2', 'backup', 10_000);
    }
  } finally {
    await lab.cleanup();
  }
  return out;
}

async function bgpRounds() {
  const lab = await BgpLab.build({ log });
  const out = [];
  try {
    await Promise.all(DIRECTORS.map((d) => lab.waitReady(d.name)));
    await lab.waitAnnounced(FIRST_DIRECTORS);
    for (let r = 0; r < rounds; r++) {
      await refillPool(lab.client, SERVICE);
      // The last round's drain stopped d4's lvsd.
      if (!lab.directors.d4.lvsd.running) lab.startLvsd('d4');
      const j = await join(lab, 'd4', FIRST_DIRECTORS);
      const d = await drain(lab, 'd4', FIRST_DIRECTORS);
      const victim = FIRST_DIRECTORS[r % FIRST_DIRECTORS.length];
      const survivors = FIRST_DIRECTORS.filter((x) => x !== victim);
      const c = await crash(lab, victim, survivors);
      out.push({
        withdrawMs: c.withdrawMs ?? NaN,
        sessionDownMs: c.sessionDownMs ?? NaN,
        gapMs: c.gapMs,
        spacingMs: c.stream.spacingMs.median,
        spacingMaxMs: c.stream.spacingMs.max,
        failed: c.stream.failed,
        total: c.stream.total,
        survivorsPct: share(c.viaSurvivors),
        deadPct: share(c.viaDead),
        dead: `${c.viaDead.working}/${c.viaDead.total}`,
        connsPct: share(c.all),
        joinMovedPct: j.moved * 100,
        joinToNewPct: j.toNew * 100,
        joinBetweenOldPct: j.movedBetweenOld * 100,
        joinBucketsPct: j.bucketsMoved * 100,
        joinServerChanged: j.pool.serverChanged,
        joinBroken: j.pool.total - j.pool.working,
        drainWithdrawMs: d.withdrawMs ?? NaN,
        drainFailed: d.stream.failed,
        drainBroken: d.pool.total - d.pool.working,
      });
      log(`BGP round ${r + 1}: ${JSON.stringify(out.at(-1))}`);
      if (r === rounds - 1) break;
      lab.recover(victim);
      await lab.waitReady(victim);
      await lab.waitAnnounced(FIRST_DIRECTORS);
    }
  } finally {
    await lab.cleanup();
  }
  return out;
}

const median = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (xs, digits = 0) => {
  const s = xs.filter((x) => !Number.isNaN(x));
  if (s.length === 0) return 'n/a';
  return `${median(s).toFixed(digits)} (${Math.min(...s).toFixed(digits)}-${Math.max(...s).toFixed(digits)})`;
};

const vrrp = await vrrpRounds();
const bgp = await bgpRounds();
const col = (rows, key) => rows.map((r) => r[key]);
const line = (label, a, b) => console.log(`  ${label.padEnd(58)} ${a.padStart(20)} ${b.padStart(20)}`);
console.log(`Director crash and planned changes, lab VM (TCG), ${rounds} rounds, median (min-max)`);
line('', 'VRRP pair (sync on)', 'BGP x3 (mh, no sync)');
line('link down -> VIP on lb2 (VRRP) / router FIB without it (BGP), ms', fmt(col(vrrp, 'takeoverMs')), fmt(col(bgp, 'withdrawMs')));
line('  ... lb2 logs master (VRRP) / router BIRD session down (BFD), ms', fmt(col(vrrp, 'loggedMasterMs')), fmt(col(bgp, 'sessionDownMs')));
line('client gap (fresh connection every 10 ms), ms', fmt(col(vrrp, 'gapMs')), fmt(col(bgp, 'gapMs')));
line('  ... requests started every (median / largest interval), ms', `${fmt(col(vrrp, 'spacingMs'))} / ${fmt(col(vrrp, 'spacingMaxMs'))}`, `${fmt(col(bgp, 'spacingMs'))} / ${fmt(col(bgp, 'spacingMaxMs'))}`);
line('fresh requests failed', fmt(col(vrrp, 'failed')), fmt(col(bgp, 'failed')));
line('200 long-lived connections working after, %', fmt(col(vrrp, 'connsPct'), 1), fmt(col(bgp, 'connsPct'), 1));
line('  ... through the surviving directors, %', '-', fmt(col(bgp, 'survivorsPct'), 1));
line('  ... through the dead director, %', '(all via lb1)', fmt(col(bgp, 'deadPct'), 1));
console.log(`  through the dead director, per round: ${bgp.map((r) => r.dead).join(', ')}`);
line('4th director joins: router hash buckets that change director, %', '-', fmt(col(bgp, 'joinBucketsPct'), 1));
line('4th director joins: flows that change director, %', '-', fmt(col(bgp, 'joinMovedPct'), 1));
line('4th director joins: flows it takes, %', '-', fmt(col(bgp, 'joinToNewPct'), 1));
line('4th director joins: flows moved between the others, %', '-', fmt(col(bgp, 'joinBetweenOldPct'), 1));
line('4th director joins: connections broken / changed server', '-', `${fmt(col(bgp, 'joinBroken'))} / ${fmt(col(bgp, 'joinServerChanged'))}`);
line('drain-node: router drops the director after, ms', '-', fmt(col(bgp, 'drainWithdrawMs')));
line('drain-node + stop: failed requests / broken connections', '-', `${fmt(col(bgp, 'drainFailed'))} / ${fmt(col(bgp, 'drainBroken'))}`);
