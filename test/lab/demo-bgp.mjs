// `npm run demo -- bgp`: the narrated tour of BGP mode (test/lab/bgp-topology.mjs). Three
// directors announce the VIP to a router running BIRD with ECMP; traffic spreads over them; a
// fourth joins, is drained (`lvsd drain-node`) and stopped; then one is killed -9 and the router
// drops it by BFD while 200 long-lived connections carry on. demo.mjs runs it inside the lab VM
// when the host kernel has no IPVS, and passes `say`, `step`, `heading` and `table` in.
import { BFD, CLIENT, DIRECTORS, FIRST_DIRECTORS, REAL_SERVERS, RESILIENT_ECMP, ROUTER, SERVICE } from './bgp-plan.mjs';
import { POOL_TIMING, STREAM_TIMING, crash, drain, join, spread } from './bgp-scenarios.mjs';
import { deleteAllOnSignal } from '../support/netns.mjs';

const POOL_SIZE = 200;
const pct = (x) => `${(x * 100).toFixed(1)}%`;
const ratio = (o) => `${o.working}/${o.total}`;

export async function bgpTour({ say, step, heading, table }) {
  const { BgpLab } = await import('./bgp-topology.mjs');
  heading('lvsd BGP lab');
  say('Ten network namespaces on two bridges, addresses in 198.18.0.0/15:');
  table(
    ['node', 'address', 'role'],
    [
      [CLIENT.name, CLIENT.address, 'HTTP client: fresh connections and 200 long-lived ones'],
      [ROUTER.name, `${ROUTER.client}, ${ROUTER.director}`, `BIRD, AS ${ROUTER.as}: ECMP over the directors (merge paths, then a resilient nexthop group), BFD ${BFD.intervalMs} ms x ${BFD.multiplier}`],
      ...DIRECTORS.map((d) => [d.name, d.address, `lvsd in BGP mode + BIRD${FIRST_DIRECTORS.includes(d.name) ? '' : ' (its BIRD starts later: joins)'}`]),
      ...REAL_SERVERS.map((r) => [r.name, r.address, 'HTTP on :80, answers with its name (DR: VIP on lo)']),
    ],
  );
  say(`Service ${SERVICE.vip}:${SERVICE.port}: DR, scheduler mh with mh-port, flow takeover (sloppy_tcp) on every director.`);

  heading('1. Build the lab');
  const lab = await BgpLab.build({ log: step });
  const stopListening = deleteAllOnSignal();
  try {
    await Promise.all(DIRECTORS.map((d) => lab.waitReady(d.name)));
    await lab.waitAnnounced(FIRST_DIRECTORS);
    step(`the router routes ${SERVICE.vip} via ${lab.routerHops().join(', ')} (one multipath route)`);
    say(lab.ns.router.ip('route', 'show', `${SERVICE.vip}/32`).trimEnd());

    heading('2. Traffic spreads over the directors');
    const n = 90;
    const s = await spread(lab, FIRST_DIRECTORS, n);
    step(`${n} requests, a fresh connection each: ${s.burst.failed} failed; real servers ${JSON.stringify(s.burst.hits)}`);
    table(['director', 'connections', 'packets in', 'share of 1000 flows (router hash)'], s.perDirector.map((d) => [d.director, d.conns, d.inPackets, pct(d.flowShare)]));
    await lab.client.poolOpen(SERVICE, POOL_SIZE);
    step(`${POOL_SIZE} long-lived keep-alive connections open; each asks every ${POOL_TIMING.intervalMs / 1000} s from now on`);

    heading('3. A fourth director joins');
    const j = await join(lab, 'd4', FIRST_DIRECTORS);
    step(`d4 announced: the router routes via ${lab.routerHops().join(', ')}`);
    table(
      ['join d4', 'value'],
      [
        [`the router's ${RESILIENT_ECMP.buckets} hash buckets that changed director (resilient ECMP)`, pct(j.bucketsMoved)],
        ['flows that changed director (1000 sampled)', pct(j.moved)],
        ['flows d4 took', pct(j.toNew)],
        ['flows that moved between d1-d3', pct(j.movedBetweenOld)],
        ['long-lived connections moved to another director', j.poolMoved.total],
        ['... of those still working', ratio(j.poolMoved)],
        ['long-lived connections that changed real server', j.pool.serverChanged],
        ['long-lived connections working', ratio(j.pool)],
      ],
    );

    heading('4. Planned maintenance of d4: lvsd drain-node, then stop');
    const d = await drain(lab, 'd4', FIRST_DIRECTORS);
    table(
      ['drain d4', 'value'],
      [
        ['router dropped d4 after drain-node', `${d.withdrawMs} ms`],
        [`requests (fresh connection every ${STREAM_TIMING.intervalMs} ms) failed`, `${d.stream.failed} of ${d.stream.total}`],
        ['long-lived connections through d4 working', ratio(d.poolViaDrained)],
        ['long-lived connections working', ratio(d.pool)],
      ],
    );

    heading('5. d1 dies: links down, lvsd and BIRD killed -9');
    const c = await crash(lab, 'd1', ['d2', 'd3']);
    step(`the router routes via ${lab.routerHops().join(', ')}`);
    table(
      ['crash d1', 'value'],
      [
        [`router's BIRD dropped the session (BFD ${BFD.intervalMs} ms x ${BFD.multiplier})`, `${c.sessionDownMs} ms after d1's link went down`],
        ['router forwards without d1', `${c.withdrawMs} ms after d1's link went down`],
        [`client gap (last answer before .. first after; a request every ${c.stream.spacingMs.median} ms)`, `${c.gapMs} ms`],
        ['fresh requests failed', `${c.stream.failed} of ${c.stream.total}`],
        ['long-lived via d2/d3 working', ratio(c.viaSurvivors)],
        ['long-lived via d1 working (taken over, same real server)', ratio(c.viaDead)],
        ['long-lived working, all', ratio(c.all)],
      ],
    );
    const after = await lab.client.burst(SERVICE, 30);
    step(`clients continue: 30 fresh requests, ${after.failed} failed, real servers ${JSON.stringify(after.hits)}`);

    heading('6. Clean up');
  } catch (err) {
    for (const [name, p] of Object.entries(lab.directors)) say(`--- last output of lvsd on ${name}:\n${p.lvsd.output.slice(-3000)}`);
    throw err;
  } finally {
    stopListening();
    await lab.cleanup();
  }
  step('directors stopped, namespaces deleted');
  return 0;
}
