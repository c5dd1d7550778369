// The setup planner and checker on hand-built hosts: fresh, already set up, partially set up,
// and the kernel's max(all, iface) rule.
import { describe, expect, it } from 'vitest';
import { checkRealServer } from '../../../../src/cli/realserver/check.js';
import { observe } from '../../../../src/cli/realserver/host.js';
import type { HostState } from '../../../../src/cli/realserver/host-state.js';
import { planSetup } from '../../../../src/cli/realserver/plan.js';
import { parseSpec } from '../../../../src/cli/realserver/spec.js';
import { resolveUplinks, sysctlKeysToRead, wantedState } from '../../../../src/cli/realserver/wanted.js';
import { drHost, FakeHost } from './fake-host.js';

async function snapshot(host: FakeHost, spec: ReturnType<typeof parseSpec>): Promise<HostState> {
  return observe(host, (partial) => sysctlKeysToRead(wantedState(spec, partial)));
}

async function planFor(host: FakeHost, args: Parameters<typeof parseSpec>[0]) {
  const spec = parseSpec(args);
  const state = await snapshot(host, spec);
  const wanted = wantedState(spec, state);
  return { steps: planSetup(wanted, state), checks: checkRealServer(wanted, state), wanted };
}

const failures = (checks: Array<{ ok: boolean; summary: string }>): string[] => checks.filter((c) => !c.ok).map((c) => c.summary);

describe('DR planner', () => {
  it('on a fresh host adds the VIP to lo and sets arp_ignore/arp_announce on all and the uplink', async () => {
    const { steps, checks } = await planFor(drHost(), { mode: 'dr', vip: ['198.18.0.100'] });
    expect(steps.map((s) => s.kind === 'set-sysctl' ? `${s.key}: ${s.from} -> ${s.to}` : s.kind === 'add-address' ? `add ${s.address}/${s.prefix} ${s.ifname}` : s.kind)).toEqual([
      'add 198.18.0.100/32 lo',
      'net/ipv4/conf/all/arp_ignore: 0 -> 1',
      'net/ipv4/conf/all/arp_announce: 0 -> 2',
      'net/ipv4/conf/eth0/arp_ignore: 0 -> 1',
      'net/ipv4/conf/eth0/arp_announce: 0 -> 2',
    ]);
    expect(failures(checks)).toEqual([
      '198.18.0.100/32 is not on lo',
      'arp_ignore on eth0 = 0 (max of all=0, eth0=0)',
      'arp_announce on eth0 = 0 (max of all=0, eth0=0)',
    ]);
    const arpFix = checks.find((c) => c.summary.startsWith('arp_ignore'))?.fix;
    expect(arpFix).toBe('sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1');
  });

  it('on a host already set up plans nothing and every check passes', async () => {
    const host = drHost().addAddressState({ ifname: 'lo', family: 4, address: '198.18.0.100', prefix: 32 });
    for (const i of ['all', 'eth0']) {
      host.sysctls.set(`net/ipv4/conf/${i}/arp_ignore`, '1');
      host.sysctls.set(`net/ipv4/conf/${i}/arp_announce`, '2');
    }
    const { steps, checks } = await planFor(host, { mode: 'dr', vip: ['198.18.0.100'] });
    expect(steps).toEqual([]);
    expect(failures(checks)).toEqual([]);
  });

  it('on a partially set-up host plans only the missing pieces; check judges the effective value', async () => {
    const host = drHost().addAddressState({ ifname: 'lo', family: 4, address: '198.18.0.100', prefix: 32 });
    host.sysctls.set('net/ipv4/conf/all/arp_ignore', '1');
    host.sysctls.set('net/ipv4/conf/all/arp_announce', '2');
    const { steps, checks } = await planFor(host, { mode: 'dr', vip: ['198.18.0.100'] });
    expect(steps.map((s) => (s.kind === 'set-sysctl' ? s.key : s.kind))).toEqual(['net/ipv4/conf/eth0/arp_ignore', 'net/ipv4/conf/eth0/arp_announce']);
    // max(all=1, eth0=0) = 1: the host is already silent for the VIP.
    expect(failures(checks)).toEqual([]);
  });

  it('uses max(all, iface): an interface at arp_ignore=3 answers for the VIP although all=1', async () => {
    const host = drHost().addAddressState({ ifname: 'lo', family: 4, address: '198.18.0.100', prefix: 32 });
    host.sysctls.set('net/ipv4/conf/all/arp_ignore', '1');
    host.sysctls.set('net/ipv4/conf/eth0/arp_ignore', '3');
    host.sysctls.set('net/ipv4/conf/all/arp_announce', '2');
    const { steps, checks } = await planFor(host, { mode: 'dr', vip: ['198.18.0.100'] });
    expect(steps.filter((s) => s.kind === 'set-sysctl' && s.key.endsWith('arp_ignore'))).toMatchObject([{ key: 'net/ipv4/conf/eth0/arp_ignore', from: '3', to: '1' }]);
    const bad = checks.find((c) => c.summary.startsWith('arp_ignore'));
    expect(bad).toMatchObject({ ok: false, summary: 'arp_ignore on eth0 = 3 (max of all=1, eth0=3)', fix: 'sysctl -w net.ipv4.conf.eth0.arp_ignore=1' });
  });

  it('keeps stricter values the operator chose (arp_ignore 2 or 8)', async () => {
    const host = drHost().addAddressState({ ifname: 'lo', family: 4, address: '198.18.0.100', prefix: 32 });
    host.sysctls.set('net/ipv4/conf/all/arp_ignore', '2');
    host.sysctls.set('net/ipv4/conf/eth0/arp_ignore', '8');
    for (const i of ['all', 'eth0']) host.sysctls.set(`net/ipv4/conf/${i}/arp_announce`, '2');
    const { steps, checks } = await planFor(host, { mode: 'dr', vip: ['198.18.0.100'] });
    expect(steps).toEqual([]);
    expect(failures(checks)).toEqual([]);
  });

  it('flags the VIP on the uplink (it would answer ARP there) and never removes it itself', async () => {
    const host = drHost().addAddressState({ ifname: 'eth0', family: 4, address: '198.18.0.100', prefix: 24 });
    const { steps, checks } = await planFor(host, { mode: 'dr', vip: ['198.18.0.100'] });
    expect(steps.some((s) => s.kind === 'remove-address')).toBe(false);
    expect(checks.find((c) => c.summary.includes('also on eth0'))).toMatchObject({ ok: false, fix: 'ip addr del 198.18.0.100/24 dev eth0' });
  });

  it('reports the VIP on lo with a wider prefix instead of adding a second copy', async () => {
    const host = drHost().addAddressState({ ifname: 'lo', family: 4, address: '198.18.0.100', prefix: 24 });
    const { steps, checks } = await planFor(host, { mode: 'dr', vip: ['198.18.0.100'] });
    expect(steps.some((s) => s.kind === 'add-address')).toBe(false);
    expect(checks.find((c) => c.summary.includes('as /24'))?.fix).toBe('ip addr del 198.18.0.100/24 dev lo && ip addr add 198.18.0.100/32 dev lo');
  });

  it('IPv6: the VIP goes on lo as /128 with nodad and needs no ARP sysctl', async () => {
    const { steps, checks } = await planFor(drHost(), { mode: 'dr', vip: ['2001:2:0:0::100'] });
    expect(steps).toMatchObject([{ kind: 'add-address', ifname: 'lo', family: 6, address: '2001:2::100', prefix: 128, nodad: true }]);
    expect(checks.find((c) => !c.ok)?.fix).toBe('ip addr add 2001:2::100/128 dev lo nodad');
  });

  it('handles several VIPs of both families at once', async () => {
    const { steps } = await planFor(drHost(), { mode: 'dr', vip: ['198.18.0.100,198.18.0.101', '2001:2::100', '198.18.0.100'] });
    expect(steps.filter((s) => s.kind === 'add-address').map((s) => (s.kind === 'add-address' ? `${s.address}/${s.prefix}` : ''))).toEqual([
      '198.18.0.100/32',
      '198.18.0.101/32',
      '2001:2::100/128',
    ]);
  });
});

describe('uplink detection', () => {
  const base = { links: [{ name: 'lo', index: 1, up: true }, { name: 'eth0', index: 2, up: true }, { name: 'eth1', index: 3, up: true }, { name: 'tunl0', index: 4, up: true }] };

  it('takes the devices of the IPv4 default routes', () => {
    const spec = parseSpec({ mode: 'dr', vip: ['198.18.0.100'] });
    expect(resolveUplinks(spec, { ...base, defaultRoutes: [{ family: 4, gateway: '198.18.0.1', ifname: 'eth1', metric: 0 }] })).toEqual({ names: ['eth1'], source: 'IPv4 default route' });
  });

  it('falls back to every interface but lo and the tunnel devices', () => {
    const spec = parseSpec({ mode: 'dr', vip: ['198.18.0.100'] });
    expect(resolveUplinks(spec, { ...base, defaultRoutes: [] }).names).toEqual(['eth0', 'eth1']);
  });

  it('lets --uplink override, and check fails for an interface that does not exist', async () => {
    const { wanted, checks } = await planFor(drHost(), { mode: 'dr', vip: ['198.18.0.100'], uplink: ['bond0'] });
    expect(wanted.uplinks).toEqual({ names: ['bond0'], source: '--uplink' });
    expect(failures(checks)).toContain('uplink bond0 does not exist');
  });
});

describe('TUN planner', () => {
  it('on a fresh host first loads ipip; tunl0 addresses and sysctls wait for the next round', async () => {
    const { steps, checks } = await planFor(drHost(), { mode: 'tun', vip: ['198.18.0.100'] });
    // The ARP sysctls of all and eth0 exist already; tunl0's appear with the device.
    expect(steps.map((s) => s.kind)).toEqual(['load-module', 'set-sysctl', 'set-sysctl', 'set-sysctl', 'set-sysctl']);
    expect(steps[0]).toMatchObject({ module: 'ipip', device: 'tunl0' });
    expect(checks[0]).toMatchObject({ ok: false, summary: 'tunl0 does not exist', fix: 'modprobe ipip' });
  });

  it('relaxes rp_filter to loose (2) on all and tunl0 when strict, brings tunl0 up and adds the VIP', async () => {
    const host = drHost().addLink('tunl0', false);
    host.sysctls.set('net/ipv4/conf/all/rp_filter', '1');
    const { steps } = await planFor(host, { mode: 'tun', vip: ['198.18.0.100'] });
    const summary = steps.map((s) => (s.kind === 'set-sysctl' ? `${s.key}=${s.to}` : s.kind === 'add-address' ? `add ${s.address}/${s.prefix} ${s.ifname}` : `${s.kind} ${'ifname' in s ? s.ifname : ''}`));
    expect(summary).toContain('set-link tunl0');
    expect(summary).toContain('add 198.18.0.100/32 tunl0');
    expect(summary).toContain('net/ipv4/conf/all/rp_filter=2');
    expect(summary).toContain('net/ipv4/conf/tunl0/rp_filter=2');
  });

  it('leaves rp_filter alone when it is already off or loose, and explains a missing tunl0 in a namespace', async () => {
    const host = drHost();
    host.sysctls.set('net/core/fb_tunnels_only_for_init_net', '1');
    const { checks } = await planFor(host, { mode: 'tun', vip: ['198.18.0.100'] });
    expect(checks[0]?.summary).toContain('fb_tunnels_only_for_init_net=1');
    const ready = drHost().addLink('tunl0', true);
    ready.sysctls.set('net/ipv4/conf/tunl0/rp_filter', '0');
    const { steps } = await planFor(ready, { mode: 'tun', vip: ['198.18.0.100'] });
    expect(steps.filter((s) => s.kind === 'set-sysctl' && s.key.endsWith('rp_filter'))).toEqual([]);
  });

  it('IPv6 VIPs go on ip6tnl0 from ip6_tunnel', async () => {
    const { steps } = await planFor(drHost(), { mode: 'tun', vip: ['2001:2::100'] });
    expect(steps).toMatchObject([{ kind: 'load-module', module: 'ip6_tunnel', device: 'ip6tnl0' }]);
  });
});

describe('NAT check', () => {
  const nat = { mode: 'nat', gateway: '198.18.0.1' };

  it('passes when the preferred default route goes via the director', async () => {
    const { steps, checks } = await planFor(drHost(), nat);
    expect(steps).toEqual([]);
    expect(checks).toEqual([{ ok: true, summary: 'ipv4 default route via 198.18.0.1 (dev eth0)' }]);
  });

  it('says what to change when the default route goes elsewhere or is missing', async () => {
    const host = drHost();
    host.routes = [{ family: 4, gateway: '198.18.0.254', ifname: 'eth0', metric: 100 }, { family: 4, gateway: '198.18.0.1', ifname: 'eth0', metric: 200 }];
    const wrong = await planFor(host, nat);
    expect(wrong.checks).toMatchObject([
      { ok: false, summary: 'ipv4 default route goes via 198.18.0.254 (dev eth0), not via the director 198.18.0.1', fix: 'ip route replace default via 198.18.0.1' },
    ]);
    host.routes = [];
    const none = await planFor(host, { mode: 'nat', gateway: '2001:2::1' });
    expect(none.checks).toMatchObject([{ ok: false, summary: 'no ipv6 default route', fix: 'ip -6 route replace default via 2001:2::1' }]);
  });
});
