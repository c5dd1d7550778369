// A third host on the LAN forges VRRP adverts at an lvsd master (issue 10, section 1): unicast
// with TTL 64 and priority 255 (which deposed the master for two minutes before), multicast with
// TTL 1, priority 255 sent to the master's own address, a stranger and a spoofed peer in
// unicast mode, and priority-1 adverts with the other checksum variant. The master stays master,
// keeps its checksum, re-announces its VIPs once and logs its drops throttled; a short flood of
// random adverts (the soak in test/bench/vrrp-soak.mjs, bounded) changes nothing. The control: a
// valid advert (TTL 255 to 224.0.0.18, priority 255) still moves it, and it preempts back when
// the forger stops. Frames are written whole and sent over AF_PACKET (support/vrrp-forge.mjs).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { lan, NetnsLab, type Netns } from '../support/netns.mjs';
import { assertBuilt, configYaml, VrrpNode, VrrpProcesses, waitForState, waitForVipOn, type InstanceYaml } from './support/vrrp-lab.js';

const FORGE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'vrrp-forge.mjs');
const ADDR = { a: '198.18.3.1', b: '198.18.3.2', c: '198.18.3.3' };
const VIP = { mc: '198.18.3.100', uni: '198.18.3.101' };
const GROUP = { mac: '01:00:5e:00:00:12', ip: '224.0.0.18' };

describeWith(['root', 'netns'], 'VRRP: forged adverts from a third host on the LAN', () => {
  const lab = new NetnsLab('vrrpforge');
  const procs = new VrrpProcesses();
  const ns = {} as Record<'a' | 'b' | 'c' | 'sw', Netns>;
  const nodes = {} as Record<'a' | 'b', VrrpNode>;
  let dir = '';

  const config = (node: 'a' | 'b'): string => {
    const priority = node === 'a' ? 150 : 100;
    const inst = (name: string, vrid: number, vip: string, extra: Record<string, unknown> = {}): InstanceYaml => ({
      name,
      interface: 'eth0',
      vrid,
      priority,
      advert_interval: '100ms',
      garp: { repeat: 1, delay: '0s' },
      vips: [`${vip}/24`],
      ...extra,
    });
    return configYaml(node, [inst('mc', 40, VIP.mc), inst('uni', 41, VIP.uni, { unicast_peers: [node === 'a' ? ADDR.b : ADDR.a] })]);
  };

  /** Runs the forger in c for `seconds`; resolves with what it sent. */
  async function forge(spec: Record<string, unknown>, seconds: number): Promise<{ sent: number; errors: number }> {
    const file = path.join(dir, `forge-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify({ ifname: 'eth0', seconds, ...spec }));
    const proc = ns.c.spawn(process.execPath, [FORGE, file]);
    const { code } = await proc.waitForExit(seconds * 1000 + 10_000);
    expect(code, proc.output).toBe(0);
    return JSON.parse(proc.output.trim().split('\n').at(-1) ?? '{}') as { sent: number; errors: number };
  }

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'lvsd-vrrpforge-'));
    ns.sw = lab.ns('sw');
    for (const n of ['a', 'b', 'c'] as const) ns[n] = lab.ns(n);
    lan(ns.sw, (['a', 'b', 'c'] as const).map((n) => ({ ns: ns[n], ifname: 'eth0' })));
    for (const n of ['a', 'b', 'c'] as const) ns[n].addr('eth0', `${ADDR[n]}/24`);
    const started = await Promise.all((['a', 'b'] as const).map((n) => VrrpNode.start(procs, ns[n], n, config(n))));
    [nodes.a, nodes.b] = started as [VrrpNode, VrrpNode];
    await waitForVipOn([ns.a, ns.b], 'eth0', VIP.mc, ns.a);
    await waitForVipOn([ns.a, ns.b], 'eth0', VIP.uni, ns.a);
    // The answers come after the state events on the node's stdout: every event so far is in.
    for (const name of ['mc', 'uni']) {
      await waitForState(nodes.a, name, 'master');
      await waitForState(nodes.b, name, 'backup');
    }
  });

  afterAll(async () => {
    await procs.cleanup();
    await lab.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the master stays master under forged adverts, keeps its checksum and logs its drops throttled', async () => {
    const aMac = ns.a.link('eth0').mac;
    const advert = { family: 4, vrid: 40, priority: 255, intervalCs: 4095, addresses: [VIP.mc] };
    const frames = [
      // The attack from the issue: unicast, TTL 64, priority 255, a 40.95 s interval.
      { ...advert, dstMac: aMac, src: ADDR.c, dst: ADDR.a, ttl: 64 },
      // Multicast with TTL 1 (a routed-in or badly crafted advert).
      { ...advert, dstMac: GROUP.mac, src: ADDR.c, dst: GROUP.ip, ttl: 1 },
      // TTL 255 but sent to the master's own address: not an advert to the group.
      { ...advert, dstMac: aMac, src: ADDR.c, dst: ADDR.a, ttl: 255 },
      // Unicast instance: a stranger with TTL 255, and the peer's address spoofed with TTL 64.
      { ...advert, vrid: 41, addresses: [VIP.uni], dstMac: aMac, src: ADDR.c, dst: ADDR.a, ttl: 255 },
      { ...advert, vrid: 41, addresses: [VIP.uni], dstMac: aMac, src: ADDR.b, dst: ADDR.a, ttl: 64 },
      // A valid lower-priority master with the other checksum variant: answered, never learned from.
      { ...advert, priority: 1, intervalCs: 10, checksum: 'plain', dstMac: GROUP.mac, src: ADDR.c, dst: GROUP.ip, ttl: 255 },
    ];
    const eventsBefore = { a: nodes.a.events.length, b: nodes.b.events.length };
    const result = await forge({ rate: 600, frames }, 3);
    expect(result.sent).toBeGreaterThan(1000);
    expect(nodes.a.events.slice(eventsBefore.a)).toEqual([]);
    expect(nodes.b.events.slice(eventsBefore.b)).toEqual([]);
    const mc = await nodes.a.instance('mc');
    const uni = await nodes.a.instance('uni');
    expect([mc.state, uni.state]).toEqual(['master', 'master']);
    expect(mc.sendChecksum).toBe('pseudo-header');
    expect(mc.masterAdvertIntervalMs).toBe(100);
    expect(mc.counters.drops['bad-ttl']).toBeGreaterThan(100);
    expect(mc.counters.drops['wrong-destination']).toBeGreaterThan(100);
    expect(uni.counters.drops['unknown-peer']).toBeGreaterThan(100);
    expect(uni.counters.drops['bad-ttl']).toBeGreaterThan(100);
    // Hundreds of priority-1 adverts: answered at most once per interval, VIPs re-announced once.
    expect(mc.counters.repliesSuppressed).toBeGreaterThan(0);
    const log = nodes.a.log.split('\n');
    expect(log.filter((l) => l.includes('re-announcing the VIPs') && l.includes('"instance":"mc"'))).toHaveLength(1);
    // Drops are logged at most once per reason a second: about three seconds of flood, per reason.
    const badTtlLines = log.filter((l) => l.includes('"reason":"bad-ttl"') && l.includes('"instance":"mc"'));
    expect(badTtlLines.length).toBeGreaterThan(0);
    expect(badTtlLines.length).toBeLessThanOrEqual(5);
    await waitForVipOn([ns.a, ns.b], 'eth0', VIP.mc, ns.a, 1_000);
    await waitForVipOn([ns.a, ns.b], 'eth0', VIP.uni, ns.a, 1_000);
  });

  it('a short flood of random and forged adverts (5,000 a second) changes nothing either', async () => {
    const aMac = ns.a.link('eth0').mac;
    const eventsBefore = { a: nodes.a.events.length, b: nodes.b.events.length };
    const result = await forge(
      {
        rate: 5000,
        random: 1,
        randomPool: { vrid: 40, maxPriority: 150, dstMac: aMac, unicastDst: ADDR.a, addresses: [VIP.mc] },
      },
      2,
    );
    expect(result.sent).toBeGreaterThan(2000);
    expect(nodes.a.events.slice(eventsBefore.a)).toEqual([]);
    expect(nodes.b.events.slice(eventsBefore.b)).toEqual([]);
    const mc = await nodes.a.instance('mc');
    expect(mc.state).toBe('master');
    expect(mc.sendChecksum).toBe('pseudo-header');
    await waitForVipOn([ns.a, ns.b], 'eth0', VIP.mc, ns.a, 1_000);
  });

  it('control: a valid TTL-255 advert of priority 255 to the group still moves the master, which preempts back afterwards', async () => {
    const valid = { family: 4, vrid: 40, priority: 255, intervalCs: 10, addresses: [VIP.mc], dstMac: GROUP.mac, src: ADDR.c, dst: GROUP.ip, ttl: 255 };
    const forging = forge({ rate: 50, frames: [valid] }, 2);
    await waitForState(nodes.a, 'mc', 'backup', 2_000);
    expect((await nodes.a.instance('mc')).currentMaster).toEqual({ address: ADDR.c, priority: 255 });
    await waitForVipOn([ns.a, ns.b], 'eth0', VIP.mc, undefined, 2_000);
    await forging;
    await waitForState(nodes.a, 'mc', 'master', 3_000);
    await waitForVipOn([ns.a, ns.b], 'eth0', VIP.mc, ns.a, 2_000);
  });
});
