// rtnetlink on the host kernel: VIPs added and removed as `ip addr` sees them, link lookup as
// `ip link` sees it, and link watching while a veth goes down and up.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AddressWatch, LinkWatch, Rtnl, type AddressEntry, type AddressEvent, type LinkEvent, type LinkState } from '../../src/kernel/rtnl.js';
import { KernelError } from '../../src/kernel/errors.js';
import { describeWith } from '../support/needs.js';
import { NetnsLab, veth, waitFor, type Netns } from '../support/netns.mjs';
import { inNetns } from '../../src/kernel/native.js';

interface IpAddrInfo {
  local: string;
  prefixlen: number;
  label?: string;
  tentative?: boolean;
  nodad?: boolean;
}

/** `ip -j addr show dev <ifname>` entries. */
function ipAddr(ns: Netns, ifname: string): IpAddrInfo[] {
  const parsed = JSON.parse(ns.ip('-j', 'addr', 'show', 'dev', ifname)) as Array<{ addr_info?: IpAddrInfo[] }>;
  return parsed[0]?.addr_info ?? [];
}

describeWith(['root', 'netns'], 'rtnetlink addresses and links', () => {
  const lab = new NetnsLab('rtnl');
  let a: Netns;
  let b: Netns;
  let rtnl: Rtnl;
  let eth0: LinkState;

  beforeAll(async () => {
    // DAD stays on here so the IPv6 VIP test shows IFA_F_NODAD doing its job.
    a = lab.ns('a', { dad: true });
    b = lab.ns('b');
    veth(a, 'eth0', b, 'eth0');
    a.addr('eth0', '198.18.9.1/24');
    rtnl = inNetns(a.path, () => Rtnl.open());
    eth0 = await rtnl.linkByName('eth0');
  });

  afterAll(async () => {
    rtnl.close();
    await lab.cleanup();
  });

  it('looks links up by name and by index, as ip link shows them', async () => {
    const ip = a.link('eth0');
    expect(eth0).toMatchObject({ ifindex: ip.ifindex, ifname: 'eth0', mac: ip.mac, mtu: ip.mtu, up: true, running: true, lowerUp: true, operstate: 'up' });
    expect(await rtnl.linkByIndex(ip.ifindex)).toEqual(eth0);
    const all = await rtnl.links();
    expect(all.map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
  });

  it('a missing link is a KernelError ENODEV naming it', async () => {
    const err = await rtnl.linkByName('nosuch0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).code).toBe('ENODEV');
    expect((err as KernelError).message).toMatch(/^link nosuch0: /);
  });

  it('adds an IPv4 VIP with a label, idempotently and distinguishably; removes it the same way', async () => {
    const vip = { ifindex: eth0.ifindex, address: '198.18.9.100', label: 'eth0:vip' };
    expect(await rtnl.addVip(vip, 'eth0')).toBe('added');
    expect(ipAddr(a, 'eth0')).toContainEqual(expect.objectContaining({ local: '198.18.9.100', prefixlen: 32, label: 'eth0:vip' }));
    expect(await rtnl.addVip(vip, 'eth0')).toBe('already-present');
    const listed = await rtnl.addresses({ family: 4, ifindex: eth0.ifindex });
    expect(listed).toContainEqual({ family: 4, address: '198.18.9.100', prefixLength: 32, ifindex: eth0.ifindex, label: 'eth0:vip', tentative: false });
    expect(listed).toContainEqual(expect.objectContaining({ address: '198.18.9.1', prefixLength: 24 }));

    expect(await rtnl.removeVip(vip, 'eth0')).toBe('removed');
    expect(ipAddr(a, 'eth0').map((x) => x.local)).not.toContain('198.18.9.100');
    expect(await rtnl.removeVip(vip, 'eth0')).toBe('already-absent');
  });

  it('adds an IPv6 VIP with IFA_F_NODAD: usable at once although DAD is on in this namespace', async () => {
    // Control: an address added without nodad is tentative right after it is added.
    a.ip('addr', 'add', '2001:2:0:9::1/64', 'dev', 'eth0');
    expect(ipAddr(a, 'eth0')).toContainEqual(expect.objectContaining({ local: '2001:2:0:9::1', tentative: true }));

    const vip = { ifindex: eth0.ifindex, address: '2001:2:0:9::100' };
    expect(await rtnl.addVip(vip, 'eth0')).toBe('added');
    const info = ipAddr(a, 'eth0').find((x) => x.local === '2001:2:0:9::100');
    expect(info).toMatchObject({ prefixlen: 128, nodad: true });
    expect(info?.tentative).toBeUndefined();
    const listed = await rtnl.addresses({ family: 6, ifindex: eth0.ifindex });
    expect(listed).toContainEqual({ family: 6, address: '2001:2:0:9::100', prefixLength: 128, ifindex: eth0.ifindex, tentative: false });
    expect(await rtnl.addVip(vip, 'eth0')).toBe('already-present');
    expect(await rtnl.removeVip(vip, 'eth0')).toBe('removed');
    expect(await rtnl.removeVip(vip, 'eth0')).toBe('already-absent');
  });

  it('rejects labels the kernel would misfile, and maps kernel refusals to KernelError', async () => {
    await expect(rtnl.addVip({ ifindex: eth0.ifindex, address: '198.18.9.101', label: 'eth1:vip' }, 'eth0')).rejects.toThrow(/must be "eth0" or start with "eth0:"/);
    const err = await rtnl.addVip({ ifindex: 9999, address: '198.18.9.101' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).code).toBe('ENODEV');
    expect((err as KernelError).message).toBe('add VIP 198.18.9.101/32 on #9999: no such device (ENODEV)');
  });

  it('watches a link go down and up, and a link disappear', async () => {
    const events: Array<{ link: LinkState; event: LinkEvent }> = [];
    const watch = inNetns(a.path, () => LinkWatch.open((link, event) => events.push({ link, event })));
    try {
      a.ip('link', 'set', 'eth0', 'down');
      await waitFor('eth0 down', () => events.find((e) => e.link.ifname === 'eth0' && !e.link.up));
      a.ip('link', 'set', 'eth0', 'up');
      await waitFor('eth0 up and running', () => events.find((e) => e.link.ifname === 'eth0' && e.link.up && e.link.running));

      // Carrier loss: the peer end going down takes our end's IFF_RUNNING away while it stays up.
      events.length = 0;
      b.ip('link', 'set', 'eth0', 'down');
      const lost = await waitFor('eth0 without carrier', () => events.find((e) => e.link.ifname === 'eth0' && e.link.up && !e.link.running));
      expect(lost.link.lowerUp).toBe(false);
      b.ip('link', 'set', 'eth0', 'up');
      await waitFor('eth0 carrier back', () => events.find((e) => e.link.ifname === 'eth0' && e.link.running));

      a.ip('link', 'add', 'tmp0', 'type', 'veth', 'peer', 'name', 'tmp1');
      a.ip('link', 'del', 'tmp0');
      await waitFor('tmp0 removed', () => events.find((e) => e.link.ifname === 'tmp0' && e.event === 'removed'));
    } finally {
      watch.close();
    }
  });

  it('watches addresses: a VIP deleted behind our back is reported, for both families', async () => {
    const events: Array<{ address: AddressEntry; event: AddressEvent }> = [];
    const watch = inNetns(a.path, () => AddressWatch.open((address, event) => events.push({ address, event })));
    try {
      await rtnl.addVip({ ifindex: eth0.ifindex, address: '198.18.9.200' }, 'eth0');
      await rtnl.addVip({ ifindex: eth0.ifindex, address: '2001:2:0:9::200' }, 'eth0');
      await waitFor('both VIPs reported added', () =>
        ['198.18.9.200', '2001:2:0:9::200'].every((ip) => events.some((e) => e.event === 'added' && e.address.address === ip)),
      );
      a.ip('addr', 'del', '198.18.9.200/32', 'dev', 'eth0');
      a.ip('addr', 'del', '2001:2:0:9::200/128', 'dev', 'eth0');
      const gone4 = await waitFor('the IPv4 VIP removed', () => events.find((e) => e.event === 'removed' && e.address.address === '198.18.9.200'));
      const gone6 = await waitFor('the IPv6 VIP removed', () => events.find((e) => e.event === 'removed' && e.address.address === '2001:2:0:9::200'));
      expect(gone4.address).toMatchObject({ family: 4, prefixLength: 32, ifindex: eth0.ifindex });
      expect(gone6.address).toMatchObject({ family: 6, prefixLength: 128, ifindex: eth0.ifindex });
    } finally {
      watch.close();
    }
  });
});
