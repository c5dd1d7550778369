// The VRRP manager on real raw sockets: three lvsd nodes and a client on one bridged LAN, many
// virtual routers at once (one per scenario, 100 ms adverts), driven through election, tie-break,
// tracking, sync groups, manual failover, reload, nopreempt, preempt_delay, a busy event loop,
// priority-0 hand-over, IPv6 and SIGKILL. After every settle each VIP is on exactly one node, and
// the client's neighbour table follows the VIPs by gratuitous ARP / unsolicited NA alone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { lan, NetnsLab, waitFor, type Netns } from '../support/netns.mjs';
import { assertBuilt, configYaml, holders, VrrpNode, VrrpProcesses, waitForState, waitForVipOn, type InstanceYaml } from './support/vrrp-lab.js';

const VIP = { main: '198.18.0.100', tie: '198.18.0.101', v6: '2001:2::100', uni: '198.18.0.103', g1: '198.18.0.115', g2: '198.18.0.116', nopre: '198.18.0.117', pdelay: '198.18.0.118' };
const ADDR = { a: '198.18.0.1', b: '198.18.0.2', c: '198.18.0.3', client: '198.18.0.10' };

type NodeName = 'a' | 'b' | 'c';

describeWith(['root', 'netns', 'ping'], 'VRRP manager on raw sockets: three nodes on a bridge', () => {
  const lab = new NetnsLab('vrrpmgr');
  const procs = new VrrpProcesses();
  const ns = {} as Record<NodeName | 'client' | 'sw', Netns>;
  const nodes = {} as Record<NodeName, VrrpNode>;
  let dir = '';
  let trackFile = '';
  let members: Netns[] = [];

  const inst = (name: string, vrid: number, priority: number, vips: string[], extra: Record<string, unknown> = {}): InstanceYaml => ({
    name,
    interface: 'eth0',
    vrid,
    priority,
    advert_interval: '100ms',
    // One burst of announcements, no second one: keeps the client's neighbour checks crisp.
    garp: { repeat: 2, delay: '0s' },
    vips,
    ...extra,
  });

  /** What each node runs; `later` adds the nopreempt / preempt_delay routers (loaded by reload). */
  const config = (node: NodeName, later = false): string => {
    const prio = { a: 150, b: 100, c: 50 }[node];
    const list: InstanceYaml[] = [
      inst('main', 10, prio, [`${VIP.main}/24`], node === 'a' ? { track: { interfaces: [{ name: 'trk0', weight: -100 }] } } : {}),
      inst('tie', 11, 100, [`${VIP.tie}/24`]),
    ];
    if (node !== 'c') {
      const other = node === 'a' ? ADDR.b : ADDR.a;
      list.push(
        inst('v6', 12, prio, [`${VIP.v6}/64`]),
        inst('uni', 13, node === 'a' ? 100 : 150, [`${VIP.uni}/24`], { unicast_peers: [other] }),
        inst('g1', 15, prio, [`${VIP.g1}/24`]),
        inst('g2', 16, prio, [`${VIP.g2}/24`], node === 'a' ? { track: { files: [{ path: trackFile, weight: 0 }] } } : {}),
      );
      if (later) {
        list.push(
          inst('nopre', 17, node === 'a' ? 150 : 100, [`${VIP.nopre}/24`], node === 'a' ? { preempt: false } : {}),
          inst('pdelay', 18, node === 'a' ? 150 : 100, [`${VIP.pdelay}/24`], node === 'a' ? { preempt_delay: '1s' } : {}),
        );
      }
    }
    const groups = node === 'c' ? [] : [{ name: 'grp', instances: ['g1', 'g2'] }];
    return configYaml(node, list, groups);
  };

  const macOf = (n: Netns): string => n.link('eth0').mac;
  const clientNeighbour = (family: 4 | 6, address: string): string | undefined =>
    ns.client.neighbours(family, 'eth0').find((e) => e.dst === address)?.lladdr;
  const vipOnExactly = (address: string, owner: Netns | undefined, timeoutMs?: number) => waitForVipOn(members, 'eth0', address, owner, timeoutMs);
  const recentEvents = (): string => `recent state changes: ${JSON.stringify((['a', 'b', 'c'] as const).map((n) => [n, nodes[n].events.slice(-3)]))}`;
  /** A timing failure says what the nodes were doing, so a flake on a loaded machine can be read. */
  const explained = <T>(wait: Promise<T>, context: () => string): Promise<T> =>
    wait.catch((err: Error) => {
      throw new Error(`${err.message}; ${context()}`);
    });

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'lvsd-vrrpmgr-'));
    trackFile = path.join(dir, 'g2-fault');
    writeFileSync(trackFile, '0\n');
    ns.sw = lab.ns('sw');
    for (const n of ['a', 'b', 'c', 'client'] as const) ns[n] = lab.ns(n);
    lan(ns.sw, (['a', 'b', 'c', 'client'] as const).map((n) => ({ ns: ns[n], ifname: 'eth0' })));
    for (const n of ['a', 'b', 'c', 'client'] as const) ns[n].addr('eth0', `${ADDR[n]}/24`);
    ns.client.addr('eth0', '2001:2::10/64');
    ns.a.ip('link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1');
    ns.a.ip('link', 'set', 'trk0', 'up');
    ns.a.ip('link', 'set', 'trk1', 'up');
    members = [ns.a, ns.b, ns.c];
    await waitFor('link-local addresses', () => members.every((m) => m.linkLocal('eth0') !== undefined));
    const started = await Promise.all((['a', 'b', 'c'] as const).map((n) => VrrpNode.start(procs, ns[n], n, config(n))));
    [nodes.a, nodes.b, nodes.c] = started as [VrrpNode, VrrpNode, VrrpNode];
  });

  afterAll(async () => {
    await procs.cleanup();
    await lab.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('elects the highest priority; every VIP on exactly one node', async () => {
    await vipOnExactly(VIP.main, ns.a);
    await vipOnExactly(VIP.v6, ns.a);
    await vipOnExactly(VIP.uni, ns.b);
    await vipOnExactly(VIP.g1, ns.a);
    await vipOnExactly(VIP.g2, ns.a);
    expect(await nodes.b.state('main')).toBe('backup');
    expect(await nodes.c.state('main')).toBe('backup');
    const bMain = await nodes.b.instance('main');
    expect(bMain.currentMaster).toEqual({ address: ADDR.a, priority: 150 });
    expect(bMain.peers.map((p) => p.address)).toContain(ADDR.a);
    // IPv6 adverts come from link-local addresses, and the peers know each other by them.
    const bV6 = await nodes.b.instance('v6');
    expect(bV6.source).toMatch(/^fe80:/);
    expect(bV6.currentMaster?.address).toBe(ns.a.linkLocal('eth0'));
    expect((await nodes.a.instance('uni')).currentMaster).toEqual({ address: ADDR.b, priority: 150 });
    // The client learns where the VIPs are.
    ns.client.exec('ping', ['-c', '1', '-W', '1', VIP.main]);
    ns.client.exec('ping', ['-6', '-c', '1', '-W', '1', VIP.v6]);
    expect(clientNeighbour(4, VIP.main)).toBe(macOf(ns.a));
    expect(clientNeighbour(6, VIP.v6)).toBe(macOf(ns.a));
    expect(holders(members, 'eth0', VIP.tie)).toHaveLength(1);
  });

  it('two masters of equal priority that meet keep the one with the higher address (partition, then heal)', async () => {
    // Cut c off the LAN without touching its link (so tracking sees no fault): its bridge port
    // stops forwarding. c becomes master of every router it is in, then the LAN heals.
    const port = (state: string) => ns.sw.exec('bridge', ['link', 'set', 'dev', 'p2', 'state', state]);
    port('0');
    try {
      // Whoever held the VIP before, each side of the cut now has a master.
      await waitFor('a master on each side of the partition', () => holders(members, 'eth0', VIP.tie).length === 2, { timeoutMs: 2_000 });
      expect(await nodes.c.state('tie')).toBe('master');
    } finally {
      port('3');
    }
    await vipOnExactly(VIP.tie, ns.c, 2_000);
    await vipOnExactly(VIP.main, ns.a, 2_000);
    expect(await nodes.a.state('tie')).toBe('backup');
    expect(await nodes.b.state('tie')).toBe('backup');
  });

  it('tracking: a tracked link going down lowers the priority and hands over; coming back preempts', async () => {
    ns.a.ip('link', 'set', 'trk0', 'down');
    await vipOnExactly(VIP.main, ns.b);
    expect((await nodes.a.instance('main')).priority).toBe(50);
    await waitFor('the client to follow the VIP to b', () => clientNeighbour(4, VIP.main) === macOf(ns.b), { timeoutMs: 2_000 });
    ns.a.ip('link', 'set', 'trk0', 'up');
    await vipOnExactly(VIP.main, ns.a);
    expect((await nodes.a.instance('main')).priority).toBe(150);
    await waitFor('the client to follow the VIP back to a', () => clientNeighbour(4, VIP.main) === macOf(ns.a), { timeoutMs: 2_000 });
  });

  it('sync group: a fault in one member moves the whole group', async () => {
    writeFileSync(trackFile, '1\n');
    await vipOnExactly(VIP.g2, ns.b, 5_000);
    await vipOnExactly(VIP.g1, ns.b);
    expect(await nodes.a.state('g1')).toBe('fault');
    expect(await nodes.a.state('g2')).toBe('fault');
    const aG2 = await nodes.a.instance('g2');
    expect(aG2.faultItems).toEqual([`file ${trackFile}`]);
    writeFileSync(trackFile, '0\n');
    await vipOnExactly(VIP.g2, ns.a, 5_000);
    await vipOnExactly(VIP.g1, ns.a);
    expect(await nodes.b.state('g1')).toBe('backup');
  });

  it('manual step-down hands over for the hold time, then the master preempts back', async () => {
    const [result] = (await nodes.a.request('failover', { instance: 'main', mode: 'step-down', holdMs: 1_500 })) as Array<{ ok: boolean }>;
    expect(result?.ok).toBe(true);
    await explained(vipOnExactly(VIP.main, ns.b, 1_000), recentEvents);
    expect((await nodes.a.instance('main')).holdMsLeft).toBeGreaterThan(0);
    await vipOnExactly(VIP.main, ns.a, 4_000);
  });

  it('reload: unchanged routers keep running without a flap; nopreempt and preempt_delay', async () => {
    const before = (await nodes.a.instance('main')).counters.transitions;
    // b first: it becomes master of both new routers before a knows them.
    await nodes.b.reload(config('b', true));
    await vipOnExactly(VIP.nopre, ns.b);
    await vipOnExactly(VIP.pdelay, ns.b);
    const loadedAt = Date.now();
    await nodes.a.reload(config('a', true));
    expect((await nodes.a.instance('main')).counters.transitions).toBe(before);
    expect(await nodes.a.state('main')).toBe('master');
    // preempt_delay 1s: a (150) waits that long behind b (100), then takes over.
    await vipOnExactly(VIP.pdelay, ns.a, 3_000);
    expect(Date.now() - loadedAt).toBeGreaterThanOrEqual(900);
    // nopreempt: a (150) never takes over from b (100).
    expect(holders(members, 'eth0', VIP.nopre)).toEqual([ns.b.name]);
    expect(await nodes.a.state('nopre')).toBe('backup');
  });

  it('a backup whose event loop is blocked 50 ms at a time does not take over', async () => {
    const before = (await nodes.b.instance('main')).counters.transitions;
    const result = (await nodes.b.request('busy', { busyMs: 50, everyMs: 60, forMs: 3_000 })) as { stalls: number };
    expect(result.stalls).toBeGreaterThan(30);
    const after = await nodes.b.instance('main');
    expect(after.state).toBe('backup');
    expect(after.counters.transitions).toBe(before);
    expect(holders(members, 'eth0', VIP.main)).toEqual([ns.a.name]);
  });

  it('a backup stalled past Master_Down_Interval does not take over from a live master', async () => {
    // 500 ms > 3 x 100 ms + Skew_Time: the Master_Down timer is overdue when the loop resumes,
    // but the adverts queued in the socket are read before the timer is acted on.
    const before = (await nodes.c.instance('main')).counters.transitions;
    await nodes.c.request('busy', { busyMs: 500, everyMs: 1, forMs: 100 });
    await new Promise((r) => setTimeout(r, 300));
    const after = await nodes.c.instance('main');
    expect(after.counters.transitions).toBe(before);
    expect(holders(members, 'eth0', VIP.main)).toEqual([ns.a.name]);
  });

  it('graceful stop: priority 0 hands over at once, no VIP left behind, the client follows (ARP and NA)', async () => {
    const stoppedAt = Date.now();
    await nodes.a.kill('SIGTERM');
    expect(holders([ns.a], 'eth0', VIP.main)).toEqual([]);
    expect(ns.a.addresses('eth0').filter((a) => !a.startsWith(ADDR.a) && !a.startsWith('fe80:'))).toEqual([]);
    await vipOnExactly(VIP.main, ns.b, 2_000);
    await vipOnExactly(VIP.v6, ns.b, 2_000);
    const taken = await waitFor('b to report its takeover', () => nodes.b.events.find((e) => e.instance === 'main' && e.state === 'master' && e.at >= stoppedAt));
    // Skew_Time after the priority-0 advert, far below Master_Down_Interval (3 x 100 ms + skew).
    expect(taken.at - stoppedAt).toBeLessThan(1_000);
    await explained(
      waitFor('the client to follow the IPv4 VIP to b', () => clientNeighbour(4, VIP.main) === macOf(ns.b), { timeoutMs: 2_000 }),
      () => `client neighbours ${JSON.stringify(ns.client.neighbours(4, 'eth0'))}, MACs a ${macOf(ns.a)} b ${macOf(ns.b)} c ${macOf(ns.c)}; ${recentEvents()}`,
    );
    await waitFor('the client to follow the IPv6 VIP to b', () => clientNeighbour(6, VIP.v6) === macOf(ns.b), { timeoutMs: 2_000 });
    // c was a backup too; it must not have grabbed anything.
    expect(holders(members, 'eth0', VIP.main)).toEqual([ns.b.name]);
  });

  it('restart preempts back; SIGKILL leaves the VIPs until the restarted node cleans them up', async () => {
    nodes.a = await VrrpNode.start(procs, ns.a, 'a', config('a', true));
    await vipOnExactly(VIP.main, ns.a);
    await vipOnExactly(VIP.v6, ns.a);
    await nodes.a.kill('SIGKILL');
    // Nothing ran on a: its VIPs stay, and b takes over after Master_Down_Interval.
    await waitFor('b to take over from the killed master', async () => (await nodes.b.state('main')) === 'master', { timeoutMs: 2_000 });
    // c's Master_Down_Interval ends only Skew_Time(50) - Skew_Time(100) = 19.5 ms after b's; if
    // b's first advert reaches c later than that, c is master for a moment (RFC 5798 6.4.3) and
    // steps back on b's higher priority. What must hold is where that settles: a (killed, nothing
    // ran) and b, never c.
    await explained(
      waitFor('the VIP on a (killed) and b only', () => holders(members, 'eth0', VIP.main).sort().join() === [ns.a.name, ns.b.name].sort().join(), { timeoutMs: 1_000 }),
      () => `holders ${JSON.stringify(holders(members, 'eth0', VIP.main))}; ${recentEvents()}`,
    );
    nodes.a = await VrrpNode.start(procs, ns.a, 'a', config('a', true));
    await waitFor('the restarted node to report the leftover VIPs it removed', () => nodes.a.log.includes('removed a VIP left behind by a previous run'));
    await vipOnExactly(VIP.main, ns.a);
    // Preemptions after the restart settle with every VIP on exactly one node.
    for (const vip of [VIP.tie, VIP.uni, VIP.g1, VIP.g2, VIP.v6, VIP.nopre, VIP.pdelay]) {
      await waitFor(`${vip} on exactly one node`, () => holders(members, 'eth0', vip).length === 1, { timeoutMs: 3_000 });
    }
  });
});
