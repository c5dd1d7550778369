// use_vmac on real links: two lvsd VRRP nodes and a client on one bridge, IPv4 and IPv6. The
// master holds the VIPs on a macvlan with the virtual MAC (RFC 5798 sec. 7.3) and its adverts
// leave with that MAC as Ethernet source; the backup's macvlan exists but is down. When the
// master is killed (-9) the backup takes over and the client's neighbour entries for the VIPs
// never change: traffic resumes to the same MAC. A restarted node replaces the macvlan its
// killed predecessor left, and a stopped node leaves no macvlan behind.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { lan, NetnsLab, waitFor, type Netns } from '../support/netns.mjs';
import { assertBuilt, configYaml, VrrpNode, VrrpProcesses, waitForState, type InstanceYaml } from './support/vrrp-lab.js';
import { inNetns } from '../../src/kernel/native.js';

const VRID = 42;
const VMAC4 = '00:00:5e:00:01:2a';
const VMAC6 = '00:00:5e:00:02:2a';
const VIP4 = '198.18.0.100';
const VIP6 = '2001:2::100';
const ADDR = { a: '198.18.0.1', b: '198.18.0.2', client: '198.18.0.10' };

describeWith(['root', 'netns', 'ping', 'tcpdump'], 'VRRP use_vmac: a virtual MAC that survives failover', () => {
  const lab = new NetnsLab('vrrpvmac');
  const procs = new VrrpProcesses();
  const ns = {} as Record<'a' | 'b' | 'client' | 'sw', Netns>;
  const nodes = {} as Record<'a' | 'b', VrrpNode>;

  const config = (node: 'a' | 'b'): string => {
    const inst = (name: string, vips: string[]): InstanceYaml => ({
      name,
      interface: 'eth0',
      vrid: VRID,
      priority: node === 'a' ? 150 : 100,
      advert_interval: '100ms',
      garp: { repeat: 2, delay: '0s' },
      vips,
      use_vmac: true,
    });
    return configYaml(node, [inst('web', [`${VIP4}/24`]), inst('web6', [`${VIP6}/64`])]);
  };

  const macvlans = (n: Netns): string[] =>
    (JSON.parse(n.ip('-j', 'link', 'show', 'type', 'macvlan')) as Array<{ ifname: string }>).map((l) => l.ifname.split('@')[0] ?? l.ifname);
  const neighbour = (family: 4 | 6, address: string) => ns.client.neighbours(family, 'eth0').find((e) => e.dst === address);
  /** A sysctl in the namespace, by its /proc/sys path (interface names here contain dots). */
  const sysctl = (n: Netns, key: string): string => inNetns(n.path, () => readFileSync(`/proc/sys/${key}`, 'utf8').trim());
  const rxPackets = (n: Netns, ifname: string): number =>
    (JSON.parse(n.ip('-s', '-j', 'link', 'show', 'dev', ifname)) as Array<{ stats64: { rx: { packets: number } } }>)[0]?.stats64.rx.packets ?? 0;
  const ping = (family: 4 | 6, address: string): boolean =>
    ns.client.execResult('ping', [...(family === 6 ? ['-6'] : []), '-c', '1', '-W', '1', address], { allowFailure: true }).status === 0;

  beforeAll(async () => {
    assertBuilt();
    ns.sw = lab.ns('sw');
    for (const n of ['a', 'b', 'client'] as const) ns[n] = lab.ns(n);
    lan(ns.sw, (['a', 'b', 'client'] as const).map((n) => ({ ns: ns[n], ifname: 'eth0' })));
    for (const n of ['a', 'b', 'client'] as const) ns[n].addr('eth0', `${ADDR[n]}/24`);
    ns.client.addr('eth0', '2001:2::10/64');
    await waitFor('link-local addresses', () => [ns.a, ns.b].every((m) => m.linkLocal('eth0') !== undefined));
    nodes.a = await VrrpNode.start(procs, ns.a, 'a', config('a'));
    nodes.b = await VrrpNode.start(procs, ns.b, 'b', config('b'));
  });

  afterAll(async () => {
    await procs.cleanup();
    await lab.cleanup();
  });

  it('the master holds the VIPs on vrrp.42 / vrrp6.42; the backup has them down and empty', async () => {
    await waitForState(nodes.a, 'web', 'master');
    await waitForState(nodes.a, 'web6', 'master');
    await waitFor('the VIPs on the macvlans of a', () =>
      ns.a.addresses('vrrp.42').includes(`${VIP4}/24`) && ns.a.addresses('vrrp6.42').includes(`${VIP6}/64`),
    );
    expect(ns.a.link('vrrp.42')).toMatchObject({ mac: VMAC4, up: true });
    expect(ns.a.link('vrrp6.42')).toMatchObject({ mac: VMAC6, up: true });
    expect(ns.a.addresses('eth0')).not.toContain(`${VIP4}/24`);
    // IPv6 adverts keep coming from eth0's link-local address, now held by the macvlan too; the
    // kernel made none out of the virtual MAC.
    const linkLocal = ns.a.linkLocal('eth0') ?? '';
    expect(ns.a.addresses('vrrp6.42').filter((a) => a.startsWith('fe80:'))).toEqual([`${linkLocal}/64`]);
    await waitFor('b to follow a by its link-local address', async () => (await nodes.b.instance('web6')).currentMaster?.address === linkLocal);
    expect(await nodes.b.state('web')).toBe('backup');
    expect(macvlans(ns.b).sort()).toEqual(['vrrp.42', 'vrrp6.42']);
    expect(ns.b.link('vrrp.42')).toMatchObject({ mac: VMAC4, up: false });
    expect(ns.b.addresses('vrrp.42')).toEqual([]);
    // The sysctls the macvlan needs (vrrp-kernel.ts says why).
    expect(sysctl(ns.b, 'net/ipv4/conf/eth0/arp_ignore')).toBe('1');
    expect(sysctl(ns.b, 'net/ipv4/conf/eth0/arp_announce')).toBe('2');
    expect(sysctl(ns.b, 'net/ipv4/conf/vrrp.42/arp_ignore')).toBe('1');
    expect(sysctl(ns.b, 'net/ipv4/conf/vrrp.42/rp_filter')).toBe('0');
    expect(sysctl(ns.b, 'net/ipv4/conf/vrrp.42/arp_announce')).toBe('2');
    expect(sysctl(ns.b, 'net/ipv6/conf/vrrp.42/addr_gen_mode')).toBe('1');
    expect(sysctl(ns.b, 'net/ipv6/conf/vrrp6.42/addr_gen_mode')).toBe('1');
    // The master's IPv4 macvlan has no IPv6 address (so it sends no IPv6 of its own).
    expect(ns.a.addresses('vrrp.42')).toEqual([`${VIP4}/24`]);
  });

  it('adverts and gratuitous ARPs leave with the virtual MAC as Ethernet source', async () => {
    const dump = ns.client.spawn('tcpdump', ['-i', 'eth0', '-n', '-e', '-l', '-c', '4', 'ip proto 112 or ip6 proto 112']);
    await dump.waitForOutput(/listening on eth0/);
    await dump.waitForExit(5_000);
    const frames = dump.output.split('\n').filter((l) => l.includes('VRRP'));
    expect(frames.length).toBe(4);
    for (const f of frames) expect(f).toMatch(new RegExp(` (${VMAC4}|${VMAC6}) > `));
    expect(frames.some((f) => f.includes(`${VMAC4} > 01:00:5e:00:00:12`))).toBe(true);
    expect(frames.some((f) => f.includes(`${VMAC6} > 33:33:00:00:00:12`))).toBe(true);
    // The client learns the virtual MACs.
    expect(ping(4, VIP4)).toBe(true);
    expect(ping(6, VIP6)).toBe(true);
    expect(neighbour(4, VIP4)?.lladdr).toBe(VMAC4);
    expect(neighbour(6, VIP6)?.lladdr).toBe(VMAC6);
  });

  it('after kill -9 of the master the backup takes over and the client\'s neighbour entries never change', async () => {
    const seen4 = new Set<string>();
    const seen6 = new Set<string>();
    const sample = setInterval(() => {
      const e4 = neighbour(4, VIP4)?.lladdr;
      const e6 = neighbour(6, VIP6)?.lladdr;
      if (e4) seen4.add(e4);
      if (e6) seen6.add(e6);
    }, 20);
    try {
      await nodes.a.kill('SIGKILL');
      await waitForState(nodes.b, 'web', 'master', 3_000);
      await waitForState(nodes.b, 'web6', 'master', 3_000);
      await waitFor('the VIPs on the macvlans of b', () =>
        ns.b.addresses('vrrp.42').includes(`${VIP4}/24`) && ns.b.addresses('vrrp6.42').includes(`${VIP6}/64`),
      );
      expect(ns.b.link('vrrp.42').up).toBe(true);
      // Traffic to the VIPs resumes, to the same MAC, and it is b that answers it.
      const before = rxPackets(ns.b, 'vrrp.42');
      await waitFor('the VIP to answer again', () => ping(4, VIP4), { timeoutMs: 5_000 });
      expect(rxPackets(ns.b, 'vrrp.42')).toBeGreaterThan(before);
      await waitFor('the IPv6 VIP to answer again', () => ping(6, VIP6), { timeoutMs: 5_000 });
    } finally {
      clearInterval(sample);
    }
    expect([...seen4]).toEqual([VMAC4]);
    expect([...seen6]).toEqual([VMAC6]);
    expect(neighbour(4, VIP4)?.lladdr).toBe(VMAC4);
  });

  it('a restarted node replaces the macvlans its killed predecessor left, and preempts back', async () => {
    // kill -9 ran no clean-up: a's macvlan is still there.
    expect(macvlans(ns.a).sort()).toEqual(['vrrp.42', 'vrrp6.42']);
    nodes.a = await VrrpNode.start(procs, ns.a, 'a', config('a'));
    await waitForState(nodes.a, 'web', 'master');
    await waitFor('b to step back', () => !ns.b.link('vrrp.42').up && ns.b.addresses('vrrp.42').length === 0);
    expect(macvlans(ns.a).sort()).toEqual(['vrrp.42', 'vrrp6.42']);
    expect(nodes.a.log).toContain('removed a macvlan left behind by a previous run');
    expect(ping(4, VIP4)).toBe(true);
    expect(neighbour(4, VIP4)?.lladdr).toBe(VMAC4);
  });

  it('stopping leaves no macvlan behind and gives the parent its arp_ignore back', async () => {
    await nodes.b.kill('SIGTERM');
    expect(macvlans(ns.b)).toEqual([]);
    expect(sysctl(ns.b, 'net/ipv4/conf/eth0/arp_ignore')).toBe('0');
    expect(sysctl(ns.b, 'net/ipv4/conf/eth0/arp_announce')).toBe('0');
    await nodes.a.kill('SIGTERM');
    expect(macvlans(ns.a)).toEqual([]);
  });
});
