// `npm run demo`: a narrated tour of lvsd on a real kernel. It builds the lab (topology.mjs: a
// client, lb1 and lb2 running lvsd, three real servers), runs DR, TUN and NAT services at once,
// counts hits per real server against the weights, shows where replies come from, crashes lb1
// under a steady request stream and measures the gap, checks that an established connection
// survived (IPVS connection sync), brings lb1 back (preempt) and cleans up.
//
// `npm run demo -- bgp` tours BGP mode instead (demo-bgp.mjs: three directors behind a router's
// ECMP, one joining, one drained, one killed).
//
// The host kernel needs IPVS; without it the demo re-runs itself inside the lab VM
// (test/lab/vm.mjs, Debian's kernel under QEMU) with --inside.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deleteAllNow, deleteAllOnSignal, sleep, waitFor } from '../support/netns.mjs';
import { LOAD_BALANCERS, REAL_SERVERS, SERVICES, CLIENT, GATEWAY_VIP, VRRP } from './plan.mjs';

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const say = (line = '') => process.stdout.write(`${line}\n`);
const step = (line) => say(`[${elapsed()}] ${line}`);
const heading = (title) => say(`\n== ${title} ${'='.repeat(Math.max(0, 74 - title.length))}`);

/** A plain-text table: right-aligned numbers, left-aligned text. */
function table(headers, rows) {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const numeric = headers.map((_, i) => rows.every((r) => typeof r[i] === 'number' || /^[+-]?[\d.]+%?$/.test(String(r[i]))));
  const line = (r) => '  ' + r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  say(line(headers));
  say('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) say(line(r));
}

/** A request of the failover streams fails after this long without an answer (node under emulation is slow). */
const STREAM_TIMEOUT_MS = 1_000;

const pct = (x) => `${(x * 100).toFixed(1)}%`;

/** `npm run demo -- bgp`: the BGP lab instead of the VRRP pair. */
const tour = process.argv.includes('bgp') ? 'bgp' : 'vrrp';

function hasIpvs() {
  if (existsSync('/proc/net/ip_vs')) return true;
  try {
    execFileSync('modprobe', ['ip_vs'], { stdio: 'ignore' });
  } catch {
    return false;
  }
  return existsSync('/proc/net/ip_vs');
}

async function outside() {
  if (process.getuid?.() !== 0) {
    say('lvsd demo: needs root (network namespaces, IPVS; the lab VM shares the host root read-only).');
    return 1;
  }
  if (hasIpvs()) return inside('this host (its kernel has IPVS)');
  if (tour === 'bgp' && !onPath('bird')) {
    say('lvsd demo: the BGP tour needs BIRD 2 (apt-get install bird2).');
    return 1;
  }
  say('lvsd demo: this kernel has no IPVS, so the demo runs inside the lab VM');
  say('           (Debian\'s kernel under QEMU, test/lab/vm.mjs); booting it now.\n');
  const { runInVm } = await import('./vm.mjs');
  // The BGP lab starts four lvsd and 200 connections under emulation: 7 minutes on a busy host.
  const timeoutS = tour === 'bgp' ? 1_200 : 600;
  const rc = await runInVm([process.execPath, fileURLToPath(import.meta.url), '--inside', ...(tour === 'bgp' ? ['bgp'] : [])], { timeoutS, env: { NO_COLOR: '1' } });
  say(`\nlvsd demo: finished with status ${rc} after ${((Date.now() - started) / 1000).toFixed(1)} s wall time (VM boot included).`);
  return rc;
}

function onPath(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function inside(where = 'the lab VM') {
  if (tour === 'bgp') {
    const { bgpTour } = await import('./demo-bgp.mjs');
    say(`Running in ${where}, kernel ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}.`);
    await bgpTour({ say, step, heading, table });
    say(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s inside ${where}.`);
    return 0;
  }
  const { Lab } = await import('./topology.mjs');
  const { ANNOUNCEMENTS_FILTER, analyseStream, announcements, countBySender, shares, startCapture } = await import('./traffic.mjs');
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  heading('lvsd lab');
  say(`Running in ${where}, kernel ${kernel}, ${readFileSync('/proc/net/ip_vs', 'utf8').split('\n')[0]}.`);
  say('Seven network namespaces on two bridges, addresses in 198.18.0.0/15:');
  table(
    ['node', 'outer bridge', 'inner bridge', 'role'],
    [
      [CLIENT.name, CLIENT.outer, '-', 'sends HTTP requests, one fresh TCP connection each'],
      ...LOAD_BALANCERS.map((l) => [l.name, l.outer, l.inner, `lvsd, VRRP priority ${l.priority}${l.name === 'lb1' ? ' (master)' : ' (backup)'}`]),
      ...REAL_SERVERS.map((r) => [r.name, r.outer, r.inner, 'HTTP on :80 and :8080, answers with its name']),
    ],
  );
  say('Services (all wrr), their VIPs float in VRRP instance "outer" (vrid ' + VRRP.outer.vrid + '); the NAT');
  say(`real servers' gateway ${GATEWAY_VIP} floats in "inner" (vrid ${VRRP.inner.vrid}), same sync group "${VRRP.syncGroup}":`);
  table(
    ['service', 'mode', 'VIP', 'real servers', 'weights rs1/rs2/rs3'],
    SERVICES.map((s) => [s.name, s.mode.toUpperCase(), `${s.vip}:${s.port}`, s.mode === 'nat' ? `inner :${s.rsPort}` : `outer :${s.rsPort}`, REAL_SERVERS.map((r) => s.weights[r.name]).join('/')]),
  );

  heading('1. Build the lab');
  // The shell script prepares two real servers: node starts slowly under emulation, sh does not.
  const lab = await Lab.build({ log: step, preparation: { rs1: 'cli', rs2: 'script', rs3: 'script' } });
  const stopListening = deleteAllOnSignal();
  try {
    heading('2. lvsd on lb1 and lb2');
    step('waiting for both daemons: services in the kernel, health checks up, VRRP settled');
    await lab.waitDaemons();
    step('both ready: every service in the kernel, every real server healthy');
    await printNodes(lab);

    heading('3. Traffic through each service');
    const n = 60;
    step(`${n} requests to each VIP from the client, a fresh connection per request`);
    const rows = [];
    for (const s of SERVICES) {
      const result = await lab.client.burst(s, n);
      for (const r of shares(result.hits, s.weights)) rows.push([s.name, r.rs, r.weight, r.expected.toFixed(1), r.hits, pct(r.share), pct(r.weightShare)]);
      rows.push([s.name, 'failed', '', '', result.failed, '', '']);
      if (result.failed) step(`${s.name}: ${result.failed} failed (${result.errors.join('; ')})`);
    }
    table(['service', 'real server', 'weight', 'expected', 'hits', 'share', 'weight share'], rows);

    heading('4. Where the replies come from');
    step('tcpdump on the client while 12 requests go to each VIP; the sender MAC names the replier');
    const macs = lab.outerMacs();
    const routeRows = [];
    for (const s of SERVICES) {
      const capture = await startCapture(lab.ns.client, 'eth0', `tcp and src host ${s.vip} and src port ${s.port}`);
      await lab.client.burst(s, 12);
      const bySender = countBySender(await capture.stop(), macs);
      routeRows.push([s.name, s.mode.toUpperCase(), Object.entries(bySender).map(([k, v]) => `${k}:${v}`).join(' '), s.mode === 'nat' ? 'through the director' : 'direct from the real servers']);
    }
    table(['service', 'mode', 'reply frames by sender', 'return path'], routeRows);

    heading('5. lb1 fails');
    const dr = SERVICES[0];
    const conn = await lab.client.connOpen(dr);
    step(`an established keep-alive connection to ${dr.vip}:${dr.port} (client port ${conn.localPort}) is served by ${conn.by}`);
    await waitFor('lb2 to receive the connection from the IPVS sync daemon', () => lab.ipvsConnections('lb2').some((l) => l.includes(`:${conn.localPort} `)), { timeoutMs: 15_000, intervalMs: 200 });
    step("lb2's IPVS table has it too (connection sync, lb1 master -> lb2 backup)");
    const wire = await startCapture(lab.ns.client, 'eth0', ANNOUNCEMENTS_FILTER);
    await lab.client.streamStart(dr, { intervalMs: 20, timeoutMs: STREAM_TIMEOUT_MS });
    step(`a steady stream to ${dr.vip}: one request every 20 ms, each failing after ${STREAM_TIMEOUT_MS} ms without an answer`);
    await sleep(1_000);
    const killedAt = await lab.crash('lb1');
    step('lb1: links down and lvsd SIGKILLed (power failure)');
    await lab.waitState('lb2', 'master', 30_000);
    step('lb2 is master');
    await sleep(1_500);
    const gap = analyseStream(await lab.client.streamStop());
    const seen = announcements(await wire.stop(), lab.outerMacs());
    const again = await lab.client.connRequest();
    say('Timeline, relative to the crash (the client\'s capture for adverts and gratuitous ARPs):');
    timeline([
      ['last answer before the gap', gap.lastBefore?.t],
      ['last lb1 advert seen', seen.lb1?.lastAdvert],
      ['lb1 crashes', killedAt],
      ['lb2 logs: sync group master', lab.transitionTime('lb2', 'master', killedAt)],
      ['first lb2 advert seen', seen.lb2?.firstAdvert],
      ['first lb2 gratuitous ARP seen', seen.lb2?.firstGarp],
      ['first answer after the gap', gap.firstAfter?.t],
    ], killedAt);
    table(
      ['failover', 'value'],
      [
        ['requests in the stream', gap.total],
        ['failed requests', gap.failed],
        ['failover gap (last answer before .. first answer after)', `${gap.gapMs} ms`],
        ['requests started inside the gap', gap.inGap],
        ['established connection after failover', again.by ? `still served by ${again.by}` : `lost (${again.error})`],
      ],
    );
    step('traffic continues through lb2:');
    const afterRows = [];
    for (const s of SERVICES) {
      const r = await lab.client.burst(s, 24);
      afterRows.push([s.name, ...REAL_SERVERS.map((rs) => r.hits[rs.name] ?? 0), r.failed]);
    }
    table(['service', ...REAL_SERVERS.map((r) => r.name), 'failed'], afterRows);

    heading('6. lb1 comes back and preempts');
    lab.recover('lb1');
    const recoveredAt = Date.now();
    step('lb1 rebooted: links up, no VIPs, lvsd started; it stays backup until its services are ready');
    await lab.waitReady('lb1', 240_000);
    step('lb1 ready: services in the kernel, real servers up; preempt_delay 5s lets it settle before it takes over');
    const wire2 = await startCapture(lab.ns.client, 'eth0', ANNOUNCEMENTS_FILTER);
    await lab.client.streamStart(dr, { intervalMs: 20, timeoutMs: STREAM_TIMEOUT_MS });
    await lab.waitState('lb1', 'master', 60_000);
    await lab.waitState('lb2', 'backup', 10_000);
    step('lb1 is master again, lb2 backup');
    await sleep(1_000);
    const preempt = analyseStream(await lab.client.streamStop());
    const seen2 = announcements(await wire2.stop(), lab.outerMacs());
    const lb1Master = lab.transitionTime('lb1', 'master', recoveredAt);
    if (lb1Master) {
      say('Timeline, relative to lb1 taking over:');
      timeline([
        ['lb1 logs: sync group master', lb1Master],
        ['first lb1 advert seen', seen2.lb1?.firstAdvert],
        ['first lb1 gratuitous ARP seen', seen2.lb1?.firstGarp],
        ['lb2 logs: sync group backup', lab.transitionTime('lb2', 'backup', recoveredAt)],
        ['last lb2 advert seen', seen2.lb2?.lastAdvert],
      ], lb1Master);
    }
    step(`stream across the preemption: ${preempt.total} requests, ${preempt.failed} failed${preempt.failed ? `, gap ${preempt.gapMs} ms` : ''}`);
    await printNodes(lab);

    heading('7. Clean up');
  } catch (err) {
    for (const [name, d] of Object.entries(lab.daemons)) say(`--- last output of lvsd on ${name}:\n${d.output.slice(-3000)}`);
    throw err;
  } finally {
    stopListening();
    await lab.cleanup();
  }
  step('daemons stopped, namespaces deleted');
  say(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s inside ${where}.`);
  return 0;
}

/** Events as "+123 ms" against a reference time, in time order; events that did not happen are listed last. */
function timeline(events, reference) {
  const known = events.filter(([, t]) => t !== undefined).sort((a, b) => a[1] - b[1]);
  const missing = events.filter(([, t]) => t === undefined);
  table(['event', 'ms'], [...known.map(([what, t]) => [what, `${t - reference >= 0 ? '+' : ''}${t - reference}`]), ...missing.map(([what]) => [what, 'not seen'])]);
}

async function printNodes(lab) {
  const rows = [];
  for (const lb of LOAD_BALANCERS) {
    const s = await lab.status(lb.name);
    const up = s ? s.services.reduce((a, svc) => a + svc.realServers.filter((r) => r.health === 'up').length, 0) : 0;
    const total = s ? s.services.reduce((a, svc) => a + svc.realServers.length, 0) : 0;
    rows.push([lb.name, s ? s.vrrp.map((v) => `${v.name}=${v.state}`).join(' ') : 'down', s ? `${s.services.filter((x) => x.inKernel).length}/${s.services.length}` : '-', `${up}/${total}`]);
  }
  table(['node', 'VRRP', 'services in kernel', 'real servers up'], rows);
}

const main = process.argv.includes('--inside') ? () => inside() : outside;
main().then(
  (rc) => process.exit(rc),
  (err) => {
    say(`\nlvsd demo FAILED: ${err.stack ?? err}`);
    deleteAllNow();
    process.exit(1);
  },
);
