// The BGP lab's events, each run and measured the same way for the kernel test
// (test/kernel/bgp-lab.test.ts asserts on the results), the bench (test/bench/bgp-lab.mjs
// repeats them) and the demo (`npm run demo -- bgp` narrates them):
//   spread  - fresh connections over the directors, counted in each director's IPVS;
//   join    - a director's BIRD starts: the share of flows the router moves, and whether any of the
//             long-lived connections broke or changed real server;
//   drain   - `lvsd drain-node`, then a stop, under a request stream: failed requests;
//   crash   - links down and kill -9: when the router dropped the director (BFD), the client's
//             gap, and which long-lived connections kept working, by the director they used.
// Which director carries a flow is read from the router itself (`ip route get` with the ports).
import { SERVICE } from './bgp-plan.mjs';
import { sleep } from '../support/netns.mjs';
import { startStream } from './stream.mjs';
import { analyseStream } from './traffic.mjs';

/** Source ports whose flows sample the router's hash: 1000 flows, outside the ephemeral range. */
export const FLOW_PORTS = Array.from({ length: 1_000 }, (_, i) => 20_000 + i);

/** Long-lived connections ask this often; a request unanswered after the timeout breaks its connection (TCP retransmits within it). */
export const POOL_TIMING = { intervalMs: 2_000, timeoutMs: 10_000 };
/** Fresh connections under a planned change: one every 10 ms, each failing after 1 s without an answer. */
export const STREAM_TIMING = { intervalMs: 10, timeoutMs: 1_000 };
/**
 * Fresh connections for the client gap at a crash: a connection whose SYN went to the dead
 * director is retransmitted after 1 s (the kernel's initial RTO) and would then succeed through
 * the new route, hiding the outage; failing it at 900 ms counts it.
 */
export const CRASH_STREAM_TIMING = { intervalMs: 10, timeoutMs: 900 };

const shareOf = (flows, name) => Object.values(flows).filter((d) => d === name).length / Object.keys(flows).length;

/** `n` fresh connections; each director's connection and packet counts grow by what it carried. */
export async function spread(lab, directors, n = 60) {
  const before = Object.fromEntries(directors.map((d) => [d, lab.ipvsStats(d)]));
  const burst = await lab.client.burst(SERVICE, n);
  const flows = lab.flowDirectors(FLOW_PORTS);
  const perDirector = directors.map((d) => {
    const after = lab.ipvsStats(d);
    return { director: d, conns: after.conns - before[d].conns, inPackets: after.inPackets - before[d].inPackets, flowShare: shareOf(flows, d) };
  });
  return { burst, perDirector };
}

/** The pool's connections that worked when a phase started (an earlier phase may have broken some). */
async function workingPool(lab) {
  return (await lab.client.poolStop()).filter((c) => c.error === null);
}

/** Per connection of the pool after a phase: worked on, kept its real server. */
function poolOutcome(conns, ports) {
  const of = conns.filter((c) => ports.has(c.localPort));
  return { total: of.length, working: of.filter((c) => c.error === null).length, serverChanged: of.filter((c) => c.servers.length > 1).length, errors: [...new Set(of.flatMap((c) => (c.error ? [c.error] : [])))] };
}

/**
 * A director joins the running ones. Returns the share of sampled flows that changed director
 * (`moved`), that the newcomer took (`toNew`) and that moved between the old directors
 * (`movedBetweenOld`); the share of the router's hash buckets that changed director
 * (`bucketsMoved`: the exact figure the flows sample); and the long-lived connections: those the
 * router moved to another director, and whether each kept working on its real server.
 */
export async function join(lab, name, running, { settleMs = 3_000 } = {}) {
  const pool = await workingPool(lab);
  const ports = pool.map((c) => c.localPort);
  const flowsBefore = lab.flowDirectors(FLOW_PORTS);
  const poolBefore = lab.flowDirectors(ports);
  const bucketsBefore = lab.routerBuckets();
  await lab.client.poolStart(POOL_TIMING);
  // lvsd already runs there with its services up (BgpLab.build): the director joins when its BIRD comes up.
  await lab.waitReady(name);
  lab.startBird(name);
  await lab.waitAnnounced([...running, name]);
  // Every connection asks at least once through the new paths.
  await sleep(Math.max(settleMs, POOL_TIMING.intervalMs * 1.5));
  const conns = await lab.client.poolStop();
  const flowsAfter = lab.flowDirectors(FLOW_PORTS);
  const poolAfter = lab.flowDirectors(ports);
  const bucketsAfter = lab.routerBuckets();
  const movedPorts = FLOW_PORTS.filter((p) => flowsBefore[p] !== flowsAfter[p]);
  const moved = movedPorts.length / FLOW_PORTS.length;
  const poolMovedPorts = new Set(ports.filter((p) => poolBefore[p] !== poolAfter[p]));
  return {
    moved,
    toNew: shareOf(flowsAfter, name),
    movedBetweenOld: movedPorts.filter((p) => flowsAfter[p] !== name).length / FLOW_PORTS.length,
    bucketsMoved: bucketsAfter.filter((d, i) => d !== bucketsBefore[i]).length / bucketsAfter.length,
    pool: poolOutcome(conns, new Set(ports)),
    poolMoved: poolOutcome(conns, poolMovedPorts),
  };
}

/**
 * Planned maintenance: `lvsd drain-node` on `name` under a request stream and the pool, then a
 * stop once the router has moved its flows. Returns how long the router took, the stream's
 * failures and the pool's outcome.
 */
export async function drain(lab, name, remaining, { settleMs = 2_000 } = {}) {
  const pool = await workingPool(lab);
  const poolVia = lab.flowDirectors(pool.map((c) => c.localPort));
  const watch = lab.watchRoutes();
  await lab.client.poolStart(POOL_TIMING);
  const stream = await startStream(lab.ns.client, SERVICE, STREAM_TIMING);
  await sleep(1_000);
  const at = Date.now();
  const reply = await lab.drainNode(name);
  await lab.waitAnnounced(remaining, 30_000);
  await sleep(settleMs);
  await lab.stopDirector(name);
  await sleep(settleMs);
  const records = await stream.stop();
  const conns = await lab.client.poolStop();
  const events = await watch.stop();
  const withdrawnAt = events.find((e) => e.t >= at && !e.hops.includes(name))?.t;
  const outcome = analyseStream(records);
  return {
    reply,
    withdrawMs: withdrawnAt === undefined ? undefined : withdrawnAt - at,
    stream: { total: outcome.total, failed: outcome.failed, spacingMs: outcome.spacingMs },
    pool: poolOutcome(conns, new Set(pool.map((c) => c.localPort))),
    poolViaDrained: poolOutcome(conns, new Set(pool.filter((c) => poolVia[c.localPort] === name).map((c) => c.localPort))),
  };
}

/**
 * A director dies (links down, kill -9) under the stream and the pool. Returns when the router
 * dropped it, from the moment its link lost carrier (the switch's `ip monitor`): in its FIB
 * (`withdrawMs`) and when its BIRD took the session down (`sessionDownMs`, its log: BFD's
 * detection); the stream's gap, failures and spacing; and the pool's connections split by the
 * director they went through before.
 */
export async function crash(lab, victim, survivors, { settleMs = 3_000 } = {}) {
  const pool = await workingPool(lab);
  const watch = lab.watchRoutes();
  await lab.client.poolStart(POOL_TIMING);
  const stream = await startStream(lab.ns.client, SERVICE, CRASH_STREAM_TIMING);
  await sleep(1_500);
  const via = lab.flowDirectors(pool.map((c) => c.localPort));
  const at = await lab.crash(victim);
  await lab.waitAnnounced(survivors, 30_000);
  // Connections that lost packets retransmit (200 ms, then doubling) into the new route.
  await sleep(settleMs);
  const records = await stream.stop();
  const conns = await lab.client.poolStop();
  const events = await watch.stop();
  // The link goes down a process start after `at`; the monitor has the kernel's moment.
  const deadAt = watch.linkDownAt(victim, at) ?? at;
  const withdrawnAt = events.find((e) => e.t >= deadAt && !e.hops.includes(victim))?.t;
  const sessionDownAt = lab.routerSessionDownAt(victim, deadAt);
  const gap = analyseStream(records);
  const portsVia = (test) => new Set(pool.filter((c) => test(via[c.localPort])).map((c) => c.localPort));
  return {
    withdrawMs: withdrawnAt === undefined ? undefined : withdrawnAt - deadAt,
    sessionDownMs: sessionDownAt === undefined ? undefined : sessionDownAt - deadAt,
    linkDownLagMs: deadAt - at,
    gapMs: gap.gapMs,
    stream: { total: gap.total, failed: gap.failed, spacingMs: gap.spacingMs },
    all: poolOutcome(conns, portsVia(() => true)),
    viaSurvivors: poolOutcome(conns, portsVia((d) => d !== victim)),
    viaDead: poolOutcome(conns, portsVia((d) => d === victim)),
  };
}
