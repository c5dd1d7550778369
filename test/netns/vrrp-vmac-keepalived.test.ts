// use_vmac against Debian's keepalived (2.2.x) with use_vmac too, lvsd and keepalived on one
// bridge with a client: both create vrrp.43 with 00:00:5e:00:01:2b, and whichever is master the
// client's neighbour entry for the VIP stays that MAC. lvsd master first; killed (-9), keepalived
// takes over; lvsd restarted preempts back. Both directions of hearing matter here: adverts whose
// Ethernet source is the virtual MAC reach only a macvlan that is up on the receiving host.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { lan, NetnsLab, waitFor, type Netns } from '../support/netns.mjs';
import { Keepalived, keepalivedConf } from './support/vrrp-keepalived.js';
import { assertBuilt, configYaml, VrrpNode, VrrpProcesses, waitForState } from './support/vrrp-lab.js';

const VRID = 43;
const VMAC = '00:00:5e:00:01:2b';
const VIP = '198.18.0.143';
const ADDR = { lvsd: '198.18.0.1', keepalived: '198.18.0.2', client: '198.18.0.10' };

describeWith(['root', 'netns', 'ping', 'keepalived'], 'use_vmac interop with keepalived', () => {
  const lab = new NetnsLab('vmacka');
  const procs = new VrrpProcesses();
  const ns = {} as Record<'lvsd' | 'keepalived' | 'client' | 'sw', Netns>;
  let lvsd: VrrpNode;
  let keepalived: Keepalived | undefined;

  const lvsdConfig = configYaml('lvsd', [
    { name: 'web', interface: 'eth0', vrid: VRID, priority: 150, advert_interval: '1s', version: 2, garp: { repeat: 2, delay: '0s' }, vips: [`${VIP}/24`], use_vmac: true },
  ]);
  const kaConfig = keepalivedConf([{ name: 'web', interface: 'eth0', vrid: VRID, priority: 100, version: 2, advertInt: 1, vips: [`${VIP}/24`], useVmac: true }]);

  const neighbour = () => ns.client.neighbours(4, 'eth0').find((e) => e.dst === VIP)?.lladdr;
  const ping = (): boolean => ns.client.execResult('ping', ['-c', '1', '-W', '1', VIP], { allowFailure: true }).status === 0;
  const holdsVip = (n: Netns): boolean => n.addresses(`vrrp.${VRID}`).includes(`${VIP}/24`);

  beforeAll(async () => {
    assertBuilt();
    ns.sw = lab.ns('sw');
    for (const n of ['lvsd', 'keepalived', 'client'] as const) ns[n] = lab.ns(n);
    lan(ns.sw, (['lvsd', 'keepalived', 'client'] as const).map((n) => ({ ns: ns[n], ifname: 'eth0' })));
    for (const n of ['lvsd', 'keepalived', 'client'] as const) ns[n].addr('eth0', `${ADDR[n]}/24`);
    // keepalived 2.2.7 leaves arp_announce alone: its master's ARP request for the client names
    // the VIP with the parent's MAC, and the client's entry for the VIP moves to that MAC (seen in
    // the first run of this test). lvsd sets it (vrrp-kernel.ts); here the operator does, for keepalived.
    ns.keepalived.sysctl('net.ipv4.conf.eth0.arp_announce', '2');
    lvsd = await VrrpNode.start(procs, ns.lvsd, 'lvsd', lvsdConfig);
    keepalived = await Keepalived.start(ns.keepalived, kaConfig);
  });

  afterAll(async () => {
    await keepalived?.stop().catch(() => keepalived?.kill());
    keepalived?.dispose();
    await procs.cleanup();
    await lab.cleanup();
  });

  it('lvsd master, keepalived backup: the VIP on lvsd\'s vrrp.43, the client sees the virtual MAC', async () => {
    await waitForState(lvsd, 'web', 'master', 6_000);
    await waitFor('the VIP on lvsd', () => holdsVip(ns.lvsd), { timeoutMs: 5_000 });
    // keepalived created its macvlan with the same MAC and holds no VIP on it.
    await waitFor('keepalived\'s macvlan', () => ns.keepalived.execResult('ip', ['link', 'show', `vrrp.${VRID}`], { allowFailure: true }).status === 0, { timeoutMs: 5_000 });
    expect(ns.keepalived.link(`vrrp.${VRID}`).mac).toBe(VMAC);
    // Both hear each other: keepalived stays backup for 3 advert intervals and more.
    await new Promise((r) => setTimeout(r, 3_500));
    expect(holdsVip(ns.keepalived)).toBe(false);
    expect(await lvsd.state('web')).toBe('master');
    expect(ping()).toBe(true);
    expect(neighbour()).toBe(VMAC);
  });

  it('lvsd killed: keepalived takes over and the client\'s entry stays the virtual MAC; lvsd restarted preempts back', async () => {
    await lvsd.kill('SIGKILL');
    await waitFor('keepalived to take the VIP', () => holdsVip(ns.keepalived), { timeoutMs: 6_000 });
    await waitFor('the VIP to answer from keepalived', () => ping(), { timeoutMs: 5_000 });
    expect(neighbour()).toBe(VMAC);
    lvsd = await VrrpNode.start(procs, ns.lvsd, 'lvsd', lvsdConfig);
    await waitForState(lvsd, 'web', 'master', 8_000);
    await waitFor('keepalived to give the VIP back', () => !holdsVip(ns.keepalived), { timeoutMs: 6_000 });
    expect(holdsVip(ns.lvsd)).toBe(true);
    await waitFor('the VIP to answer from lvsd', () => ping(), { timeoutMs: 5_000 });
    expect(neighbour()).toBe(VMAC);
  });
});
