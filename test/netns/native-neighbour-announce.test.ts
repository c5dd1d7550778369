// Gratuitous ARP and unsolicited neighbour advertisements on the host kernel: tcpdump in the peer
// namespace decodes what we sent, and the peer's neighbour table moves to our MAC.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sendGratuitousArp, sendUnsolicitedNa } from '../../src/kernel/neighbour-announce.js';
import { KernelError } from '../../src/kernel/errors.js';
import { describeWith } from '../support/needs.js';
import { NetnsLab, waitFor, type Netns } from '../support/netns.mjs';
import { inNetns } from '../../src/kernel/native.js';

/** A MAC the peer believes the address has before the announcement (locally administered). */
const OLD_MAC = '02:00:00:00:0a:99';

describeWith(['root', 'netns', 'tcpdump'], 'gratuitous ARP and unsolicited NA', () => {
  const lab = new NetnsLab('native');
  let master: Netns;
  let peer: Netns;
  let masterMac: string;

  beforeAll(() => {
    [master, peer] = lab.pair(8, { names: ['master', 'peer'], ipv6: true });
    masterMac = master.link('eth0').mac;
  });

  afterAll(() => lab.cleanup());

  /** Starts tcpdump on the peer and resolves once it is capturing. */
  async function capture(filter: string) {
    const dump = peer.spawn('tcpdump', ['-i', 'eth0', '-n', '-e', '-vv', '-l', '-c', '1', filter]);
    await dump.waitForOutput(/listening on eth0/);
    return dump;
  }

  it('GARP: a broadcast ARP request with sender = target = the VIP; the peer cache moves to our MAC', async () => {
    master.addr('eth0', '198.18.8.100/32');
    peer.ip('neigh', 'add', '198.18.8.100', 'lladdr', OLD_MAC, 'dev', 'eth0', 'nud', 'stale');
    const dump = await capture('arp');
    inNetns(master.path, () => sendGratuitousArp('eth0', '198.18.8.100'));
    await dump.waitForOutput(/Request who-has 198\.18\.8\.100 tell 198\.18\.8\.100/);
    await dump.waitForExit();
    expect(dump.output).toContain(`${masterMac} > ff:ff:ff:ff:ff:ff`);
    expect(dump.output).toContain('ethertype ARP (0x0806)');
    const entry = await waitFor('the peer to learn the new MAC', () =>
      peer.neighbours(4, 'eth0').find((n) => n.dst === '198.18.8.100' && n.lladdr === masterMac),
    );
    expect(entry.lladdr).toBe(masterMac);
  });

  it('GARP with an explicit MAC announces that MAC', async () => {
    const dump = await capture('arp');
    inNetns(master.path, () => sendGratuitousArp('eth0', '198.18.8.100', '02:00:00:00:0a:01'));
    await dump.waitForOutput(/Request who-has 198\.18\.8\.100 tell 198\.18\.8\.100/);
    await dump.waitForExit();
    expect(dump.output).toContain('02:00:00:00:0a:01 > ff:ff:ff:ff:ff:ff');
    await waitFor('the peer to learn the explicit MAC', () =>
      peer.neighbours(4, 'eth0').some((n) => n.dst === '198.18.8.100' && n.lladdr === '02:00:00:00:0a:01'),
    );
  });

  it('unsolicited NA: to ff02::1 from our link-local, hop limit 255, override, target link-layer option; peer cache moves', async () => {
    master.addr('eth0', '2001:2:0:8::100/128');
    peer.ip('-6', 'neigh', 'add', '2001:2:0:8::100', 'lladdr', OLD_MAC, 'dev', 'eth0', 'nud', 'stale');
    const masterLinkLocal = master.linkLocal('eth0') ?? '';
    const dump = await capture('icmp6 and ip6[40] == 136');
    inNetns(master.path, () => sendUnsolicitedNa('eth0', '2001:2:0:8::100'));
    await dump.waitForOutput(/neighbor advertisement/);
    await dump.waitForExit();
    const out = dump.output;
    expect(out).toContain(`${masterMac} > 33:33:00:00:00:01`);
    expect(out).toMatch(/hlim 255/);
    expect(out).toContain(`${masterLinkLocal} > ff02::1`);
    expect(out).toContain('tgt is 2001:2:0:8::100');
    // Forwarding is off in this namespace, so the router flag is clear.
    expect(out).toMatch(/Flags \[override\]/);
    expect(out).toMatch(new RegExp(`destination link-address option.*\\n?.*${masterMac}`));
    expect(out).toMatch(/icmp6 sum ok/);
    await waitFor('the peer to learn the new MAC for the IPv6 VIP', () =>
      peer.neighbours(6, 'eth0').find((n) => n.dst === '2001:2:0:8::100' && n.lladdr === masterMac),
    );
  });

  it('the router flag follows IPv6 forwarding on the interface unless given explicitly', async () => {
    master.sysctl('net.ipv6.conf.eth0.forwarding', '1');
    try {
      let dump = await capture('icmp6 and ip6[40] == 136');
      inNetns(master.path, () => sendUnsolicitedNa('eth0', '2001:2:0:8::100'));
      await dump.waitForExit();
      expect(dump.output).toMatch(/Flags \[router, override\]/);

      dump = await capture('icmp6 and ip6[40] == 136');
      inNetns(master.path, () => sendUnsolicitedNa('eth0', '2001:2:0:8::100', undefined, { router: false }));
      await dump.waitForExit();
      expect(dump.output).toMatch(/Flags \[override\]/);
    } finally {
      master.sysctl('net.ipv6.conf.eth0.forwarding', '0');
    }
  });

  it('errors name the syscall and errno', () => {
    let caught: unknown;
    try {
      inNetns(master.path, () => sendGratuitousArp('nosuch0', '198.18.8.100'));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KernelError);
    expect((caught as Error).message).toMatch(/^gratuitous ARP for 198\.18\.8\.100 on nosuch0: ioctl\(SIOCGIFHWADDR nosuch0\): ENODEV/);
  });
});
