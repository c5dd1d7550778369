// BGP mode end to end on the host kernel (no IPVS needed for the routing part): an upstream
// router namespace running BIRD with BFD and ECMP (`merge paths`), and two directors, each with
// a BIRD configured by `birdConfig()` from an lvsd config and lvsd's announcer (src/bgp/mode.ts)
// writing VIP routes into the director's kernel table over netlink. The daemon itself needs IPVS
// for its services, which this host lacks, so the test drives the announcer directly with the
// services' state the daemon would pass (quorum met or not).
//
// It shows: the router learns the VIP from both directors (two next hops); a director whose
// service goes down (or that stops) is withdrawn while its session stays up; leftovers of a
// crashed run are removed at start; a director whose BIRD is killed -9 is withdrawn (the kernel
// closes its TCP session); a director that goes silent without closing anything (its BIRD
// frozen: a hung or powered-off host) is withdrawn by BFD, well before the BGP hold timer.
// Times are measured and printed; the assertions are behavioural bounds, not speed targets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { birdConfig } from '../../src/bgp/bird-config.js';
import { BgpMode } from '../../src/bgp/mode.js';
import { LVSD_ROUTE_PROTOCOL } from '../../src/bgp/types.js';
import { parseConfigText } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { HostRouteTable } from '../../src/kernel/routes.js';
import { describeWith } from '../support/needs.js';
import { NetnsLab, lan, waitFor, type Netns, type NetnsProcess } from '../support/netns.mjs';
import { inNetns } from '../../src/kernel/native.js';

const VIP = '198.18.0.100';
const LEFTOVER = '198.18.0.199';
const ROUTER = '198.18.0.254';
const TABLE = 100;
/** The BGP hold time both sides use: what would withdraw a silent director without BFD. */
const HOLD_S = 30;

const quiet = { info: () => {}, warn: (obj: object, msg: string) => console.warn(msg, obj), error: (obj: object, msg: string) => console.error(msg, obj) };

interface Director {
  name: string;
  address: string;
  ns: Netns;
  config: Config;
  bird: NetnsProcess;
  mode: BgpMode;
  serviceUp: boolean;
}

function directorConfig(name: string, address: string, socket: string): Config {
  const yaml = stringify({
    node: { name },
    services: [{ name: 'web', vip: VIP, port: 80, scheduler: 'mh', scheduler_flags: ['mh-port'], on_failure: 'drain', real_servers: [{ address: '198.18.1.11' }] }],
    bgp: {
      local_as: 65001,
      router_id: address,
      table: TABLE,
      bird_socket: socket,
      hold_time: `${HOLD_S}s`,
      // The IPVS sysctls it sets do not exist without IPVS, which this host lacks (unit-tested on a fake).
      flow_takeover: false,
      bfd: { interval: '100ms', multiplier: 3 },
      peers: [{ name: 'edge', address: ROUTER, as: 65000 }],
    },
  });
  const result = parseConfigText(yaml, `${name}.yaml`);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.config;
}

function routerConfig(directors: ReadonlyArray<{ name: string; address: string }>): string {
  return [
    `router id ${ROUTER};`,
    'protocol device {}',
    // ECMP: every equally good path into one multipath kernel route.
    'protocol kernel { merge paths on limit 16; ipv4 { import none; export all; }; }',
    'protocol bfd { interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }',
    // error wait time: a director that comes back is talked to again within seconds, not minutes.
    `template bgp director { local ${ROUTER} as 65000; hold time ${HOLD_S}; bfd on; error wait time 1, 5; ipv4 { import all; export none; }; }`,
    ...directors.map((d) => `protocol bgp ${d.name} from director { neighbor ${d.address} as 65001; }`),
    '',
  ].join('\n');
}

/** The router's next hops for the VIP (empty when it has no route). */
function nextHops(router: Netns): string[] {
  const routes = JSON.parse(router.ip('-j', 'route', 'show', `${VIP}/32`) || '[]') as Array<{ gateway?: string; nexthops?: Array<{ gateway: string }> }>;
  return routes.flatMap((r) => (r.nexthops ? r.nexthops.map((h) => h.gateway) : r.gateway ? [r.gateway] : [])).sort();
}

async function waitForHops(router: Netns, want: string[], what: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(what, () => (JSON.stringify(nextHops(router)) === JSON.stringify(want) ? true : undefined), { timeoutMs, intervalMs: 50 });
}

/**
 * Milliseconds from `act()` until the router no longer routes the VIP via `gone`, polled with
 * `ip route` every few ms (each poll is a process start, so the figure includes up to one poll).
 */
async function timeUntilWithdrawn(router: Netns, gone: string, act: () => void, limitMs: number): Promise<number> {
  const start = performance.now();
  act();
  for (let i = 0; i < 5_000; i++) {
    const hops = (await router.execAsync('ip', ['-j', 'route', 'show', `${VIP}/32`])).stdout;
    const elapsed = performance.now() - start;
    if (!hops.includes(`"${gone}"`)) return elapsed;
    if (elapsed > limitMs) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`the router still routes ${VIP} via ${gone} after ${limitMs} ms`);
}

describeWith(['root', 'netns', 'bird'], 'BGP mode: VIPs announced through BIRD, ECMP and BFD on the router', () => {
  const lab = new NetnsLab('bgp');
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-bgp-'));
  let router: Netns;
  let routerBird: NetnsProcess;
  const directors: Director[] = [];

  const announce = (d: Director) => d.mode.announce(d.config, { service: () => ({ quorumMet: d.serviceUp, disabled: false }), maintenance: false });
  const openMode = (d: { ns: Netns; config: Config }) =>
    new BgpMode(d.config.bgp!, {
      kernel: { openRoutes: (table) => inNetns(d.ns.path, () => HostRouteTable.open(table, LVSD_ROUTE_PROTOCOL)), readSysctl: () => undefined, writeSysctl: () => {} },
      log: quiet,
    });
  const kernelTable = (ns: Netns) => ns.ip('route', 'show', 'table', String(TABLE)).trim();

  beforeAll(async () => {
    const sw = lab.ns('sw');
    router = lab.ns('router');
    const specs = [
      { name: 'd1', address: '198.18.0.1', ns: lab.ns('d1') },
      { name: 'd2', address: '198.18.0.2', ns: lab.ns('d2') },
    ];
    lan(sw, [{ ns: router, ifname: 'eth0' }, ...specs.map((s) => ({ ns: s.ns, ifname: 'eth0' }))]);
    router.addr('eth0', `${ROUTER}/24`);
    for (const s of specs) s.ns.addr('eth0', `${s.address}/24`);

    writeFileSync(join(dir, 'router.conf'), routerConfig(specs));
    routerBird = router.spawn('bird', ['-f', '-c', join(dir, 'router.conf'), '-s', join(dir, 'router.ctl')]);

    // A route a crashed lvsd left behind on d1: gone once the announcer starts.
    specs[0]!.ns.ip('route', 'add', 'blackhole', `${LEFTOVER}/32`, 'table', String(TABLE), 'proto', String(LVSD_ROUTE_PROTOCOL));

    for (const s of specs) {
      const socket = join(dir, `${s.name}.ctl`);
      const config = directorConfig(s.name, s.address, socket);
      const conf = join(dir, `${s.name}.conf`);
      writeFileSync(conf, birdConfig(config.bgp!, { families: [4] }));
      const bird = s.ns.spawn('bird', ['-f', '-c', conf, '-s', socket]);
      const d: Director = { ...s, config, bird, mode: openMode({ ns: s.ns, config }), serviceUp: true };
      directors.push(d);
      await announce(d);
    }
  });

  afterAll(async () => {
    try {
      await Promise.all(directors.map((d) => d.mode.stop().catch(() => undefined)));
      // A frozen BIRD would sit out the SIGTERM of the clean-up until its grace ran out.
      for (const d of directors) if (d.bird.running && d.bird.pid !== undefined) process.kill(d.bird.pid, 'SIGCONT');
    } finally {
      await lab.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the router learns the VIP from both directors: one route, two next hops (ECMP)', async () => {
    await waitForHops(router, ['198.18.0.1', '198.18.0.2'], 'an ECMP route to the VIP via both directors');
    expect(kernelTable(directors[0]!.ns)).toBe(`blackhole ${VIP} proto ${LVSD_ROUTE_PROTOCOL}`);
    expect(router.ip('route', 'show', `${LEFTOVER}/32`).trim()).toBe('');
  });

  it('status shows the sessions Established and the VIP announced', async () => {
    await waitFor('both sessions Established in status', async () => {
      const s = await directors[0]!.mode.status();
      return s.sessions[0]?.established ? s : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200 });
    const status = await directors[1]!.mode.status();
    expect(status).toMatchObject({ table: TABLE, vips: [VIP], announced: [VIP], pending: [], sessionsError: null, sessions: [{ peer: 'edge', state: 'up', established: true }] });
  });

  it('a director whose service goes down is withdrawn, its session stays up; back up, it is announced again', async () => {
    const d1 = directors[0]!;
    d1.serviceUp = false;
    await announce(d1);
    await waitForHops(router, ['198.18.0.2'], 'the VIP via d2 only', 10_000);
    expect(kernelTable(d1.ns)).toBe('');
    expect((await d1.mode.status()).sessions[0]).toMatchObject({ established: true });
    d1.serviceUp = true;
    await announce(d1);
    await waitForHops(router, ['198.18.0.1', '198.18.0.2'], 'the VIP via both again', 10_000);
  });

  it('a director that stops withdraws its VIP; started again (a new run), it announces it again', async () => {
    const d2 = directors[1]!;
    await d2.mode.stop();
    expect(kernelTable(d2.ns)).toBe('');
    await waitForHops(router, ['198.18.0.1'], 'the VIP via d1 only', 10_000);
    d2.mode = openMode(d2);
    await announce(d2);
    await waitForHops(router, ['198.18.0.1', '198.18.0.2'], 'the VIP via both again', 10_000);
  });

  it('BIRD killed -9 on a director: the router withdraws it (the kernel closes the session)', async () => {
    const d2 = directors[1]!;
    const ms = await timeUntilWithdrawn(router, d2.address, () => process.kill(d2.bird.pid!, 'SIGKILL'), HOLD_S * 1000);
    console.log(`BGP: BIRD killed -9 on d2 -> router withdrew d2's next hop after ${ms.toFixed(0)} ms (hold time ${HOLD_S} s)`);
    expect(nextHops(router)).toEqual(['198.18.0.1']);
    // Well inside the hold time: the session's end, not its timer, withdrew it.
    expect(ms).toBeLessThan((HOLD_S * 1000) / 10);
  });

  it('a director gone silent (BIRD frozen, nothing closed): BFD withdraws it well before the hold timer', async () => {
    const d1 = directors[0]!;
    const ms = await timeUntilWithdrawn(router, d1.address, () => process.kill(d1.bird.pid!, 'SIGSTOP'), HOLD_S * 1000);
    console.log(`BGP: d1 silent (BIRD stopped) -> router withdrew it by BFD after ${ms.toFixed(0)} ms (BFD 100 ms x 3 = 300 ms detection; hold time ${HOLD_S} s)`);
    expect(nextHops(router)).toEqual([]);
    expect(routerBird.running).toBe(true);
    const said = router.exec('birdc', ['-s', join(dir, 'router.ctl'), 'show', 'protocols', 'd1']);
    expect(said).toMatch(/BFD session down/);
    // The hold timer alone would take 30 s: only BFD gets it done in a tenth of that.
    expect(ms).toBeLessThan((HOLD_S * 1000) / 10);
  });
});
