// The IPVS client against Debian's kernel, cross-checked with ipvsadm. Two fresh namespaces:
// `ours` is written by lvsd, `theirs` by `ipvsadm -R` with the same rules; both tools must read
// the same table from both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpvsClient } from '../../src/ipvs/client.js';
import { serviceName } from '../../src/ipvs/names.js';
import type { KernelError } from '../../src/kernel/errors.js';
import { describeWith } from '../support/needs.js';
import { dns6, fixture, fixtureRules, savedRules, sorted, web, withoutCounters } from './support/ipvs-fixture.js';
import { createNetns, type TestNetns } from '../support/netns.mjs';

/** The five counters of one `ipvsadm -Ln --stats --exact` line, keyed by its address column. */
function statsLines(output: string): Map<string, bigint[]> {
  const out = new Map<string, bigint[]>();
  for (const line of output.split('\n')) {
    const m = /^\s*(?:TCP|UDP|SCTP|->)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (m && m[1]) out.set(`${line.includes('->') ? 'dest' : 'svc'} ${m[1]}`, m.slice(2).map((n) => BigInt(n)));
  }
  return out;
}

const errnoOf = async (p: Promise<unknown>): Promise<KernelError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!err) throw new Error('expected the kernel to refuse');
  return err as KernelError;
};

describeWith(['root', 'netns', 'ipvs', 'ipvsadm'], 'IPVS client on the real kernel', () => {
  let ours: TestNetns;
  let theirs: TestNetns;
  let client: IpvsClient;
  let theirsClient: IpvsClient;

  beforeAll(async () => {
    ours = createNetns('ipvs');
    theirs = createNetns('ipvs');
    client = await IpvsClient.open({ netns: ours.path });
    theirsClient = await IpvsClient.open({ netns: theirs.path });
  });

  afterAll(() => {
    client?.close();
    theirsClient?.close();
    ours?.remove();
    theirs?.remove();
  });

  it('reads version and connection table size as ipvsadm shows them', async () => {
    const info = await client.info();
    const header = ours.run('ipvsadm', ['-Ln']).split('\n')[0] ?? '';
    expect(header).toBe(`IP Virtual Server version ${info.version} (size=${info.connTableSize})`);
  });

  it('writes every service and destination attribute; ipvsadm and lvsd read the same table', async () => {
    const t0 = performance.now();
    await Promise.all(fixture.services.map((row) => client.addService(row.service)));
    await Promise.all(fixture.services.flatMap((row) => row.destinations.map((d) => client.addDestination(row.service, d))));
    console.log(`lvsd wrote ${fixture.services.length} services, ${fixture.services.flatMap((r) => r.destinations).length} real servers in ${(performance.now() - t0).toFixed(1)} ms`);
    theirs.run('ipvsadm', ['-R'], fixtureRules);

    expect(savedRules(ours.run('ipvsadm', ['-Sn']))).toEqual(savedRules(theirs.run('ipvsadm', ['-Sn'])));
    expect(withoutCounters(await client.read())).toEqual(sorted(fixture));
    expect(withoutCounters(await theirsClient.read())).toEqual(sorted(fixture));
  });

  it('reads the same counters as ipvsadm --stats after real traffic', async () => {
    // A local client's SYN to the VIP is scheduled by IPVS (LOCAL_OUT) and sent towards a real
    // server on a dummy link, where it ends: counters move, nothing leaves the namespace.
    ours.run('ip', ['link', 'add', 'lvsd-vip', 'type', 'dummy']);
    ours.run('ip', ['addr', 'add', '198.18.0.1/24', 'dev', 'lvsd-vip']);
    ours.run('ip', ['addr', 'add', '198.18.1.1/24', 'dev', 'lvsd-vip']);
    ours.run('ip', ['link', 'set', 'lvsd-vip', 'up']);
    ours.connectTcp('198.18.0.100', 80, 1.5); // nothing answers the SYN
    // Kernels before 6.2 fold the per-CPU counters into what both tools read every 2 s (estimator timer).
    await new Promise((r) => setTimeout(r, 2500));
    const kernel = await client.read();
    const text = ours.run('ipvsadm', ['-Ln', '--stats', '--exact']);
    const theirStats = statsLines(text);
    const row = kernel.services.find((r) => serviceName(r.service) === serviceName(web));
    if (!row) throw new Error('web service missing');
    const s = row.service.stats;
    expect(s.conns).toBeGreaterThan(0n);
    expect([s.conns, s.inPackets, s.outPackets, s.inBytes, s.outBytes]).toEqual(theirStats.get('svc 198.18.0.100:80'));
    for (const d of row.destinations) {
      const port = d.port;
      expect([d.stats.conns, d.stats.inPackets, d.stats.outPackets, d.stats.inBytes, d.stats.outBytes]).toEqual(theirStats.get(`dest ${d.address}:${port}`));
    }
    const active = row.destinations.reduce((n, d) => n + d.activeConns + d.inactiveConns, 0);
    expect(active).toBeGreaterThan(0);
  });

  it('edits a service and a real server in place, keeping their counters', async () => {
    const before = (await client.service(web))?.stats.conns ?? 0n;
    expect(before).toBeGreaterThan(0n);
    await client.updateService({ ...web, scheduler: 'rr', persistence: 0 });
    const wd = fixture.services[0]?.destinations[0];
    if (!wd) throw new Error('fixture has no real server');
    await client.updateDestination(web, { ...wd, weight: 7, forwarding: 'nat' });
    const lines = ours.run('ipvsadm', ['-Sn']);
    expect(lines).toContain('-A -t 198.18.0.100:80 -s rr\n');
    expect(lines).toContain('-a -t 198.18.0.100:80 -r 198.18.1.11:80 -m -w 7\n');
    // ipvsadm -S does not save thresholds; --thresholds lists them.
    expect(ours.run('ipvsadm', ['-Ln', '--thresholds'])).toMatch(/198\.18\.1\.11:80\s+10\s+5\s/);
    const after = await client.service(web);
    expect(after?.scheduler).toBe('rr');
    expect(after?.persistence).toBe(0);
    expect(after?.stats.conns).toBe(before);
  });

  it('zeroes the counters of one service', async () => {
    await client.zero(web);
    expect((await client.service(web))?.stats.conns).toBe(0n);
    expect(statsLines(ours.run('ipvsadm', ['-Ln', '--stats', '--exact'])).get('svc 198.18.0.100:80')).toEqual([0n, 0n, 0n, 0n, 0n]);
  });

  it('sets timeouts that ipvsadm reads, and reads timeouts ipvsadm set', async () => {
    await client.setTimeouts({ tcp: 901, tcpFin: 121, udp: 301 });
    expect(ours.run('ipvsadm', ['-L', '--timeout']).trim()).toBe('Timeout (tcp tcpfin udp): 901 121 301');
    ours.run('ipvsadm', ['--set', '1800', '0', '0']);
    expect(await client.timeouts()).toEqual({ tcp: 1800, tcpFin: 121, udp: 301 });
  });

  it('starts, lists and stops connection-sync daemons', async () => {
    ours.run('ip', ['link', 'add', 'lvsd-sync', 'type', 'dummy']);
    ours.run('ip', ['addr', 'add', '198.18.2.1/24', 'dev', 'lvsd-sync']);
    ours.run('ip', ['link', 'set', 'lvsd-sync', 'up']);
    // The sync protocol cannot carry an IPv4 real server behind an IPv6 service (the fixture has one).
    const mixed = await errnoOf(client.startSyncDaemon({ state: 'master', interface: 'lvsd-sync', syncId: 5 }));
    expect(mixed.errno).toBe(22);
    expect(mixed.message).toMatch(/^start master sync daemon on lvsd-sync: refused: the kernel does not sync connections while a real server's address family differs from its service's/);
    await client.deleteDestination(dns6, { address: '198.18.1.20', port: 53 });
    await client.startSyncDaemon({ state: 'master', interface: 'lvsd-sync', syncId: 5 });
    ours.run('ipvsadm', ['--start-daemon', 'backup', '--mcast-interface', 'lvsd-sync', '--syncid', '6']);
    const daemons = await client.syncDaemons();
    expect(daemons.map((d) => [d.state, d.interface, d.syncId])).toEqual(
      expect.arrayContaining([['master', 'lvsd-sync', 5], ['backup', 'lvsd-sync', 6]]),
    );
    expect(daemons[0]).toMatchObject({ group: '224.0.0.81', port: 8848, ttl: 1 });
    const listed = ours.run('ipvsadm', ['-L', '--daemon']);
    expect(listed).toContain('master sync daemon (mcast=lvsd-sync, syncid=5');
    expect(listed).toContain('backup sync daemon (mcast=lvsd-sync, syncid=6');
    await client.stopSyncDaemon('master');
    await client.stopSyncDaemon('backup');
    expect(await client.syncDaemons()).toEqual([]);
    const again = await errnoOf(client.stopSyncDaemon('master'));
    expect(again.message).toMatch(/^stop master sync daemon: not running/);
  });

  describe('errors carry the errno and name the object', () => {
    it('a scheduler the kernel does not have', async () => {
      const err = await errnoOf(client.addService({ ...web, port: 81, scheduler: 'foo' }));
      expect(err.errno).toBe(2);
      expect(err.message).toBe("add service tcp 198.18.0.100:81: scheduler 'foo' not available in this kernel (modprobe ip_vs_foo?) (ENOENT)");
    });

    it('a duplicate service', async () => {
      const err = await errnoOf(client.addService(web));
      expect(err.errno).toBe(17);
      expect(err.message).toBe('add service tcp 198.18.0.100:80: already exists (EEXIST)');
    });

    it('a deleted real server', async () => {
      const rs = { address: '198.18.1.12', port: 8080 };
      await client.deleteDestination(web, rs);
      const err = await errnoOf(client.deleteDestination(web, rs));
      expect(err.errno).toBe(2);
      expect(err.message).toBe('delete real server 198.18.1.12:8080 of tcp 198.18.0.100:80: does not exist (ENOENT)');
    });

    it('a real server for a service that does not exist', async () => {
      const err = await errnoOf(client.addDestination({ ...web, port: 82 }, { address: '198.18.1.11', port: 80, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 }));
      expect(err.errno).toBe(3);
      expect(err.message).toBe('add real server 198.18.1.11:80 to tcp 198.18.0.100:82: service tcp 198.18.0.100:82 does not exist (ESRCH)');
    });

    it('a missing service reads as undefined, deleting it is ESRCH', async () => {
      expect(await client.service({ ...web, port: 83 })).toBeUndefined();
      expect((await errnoOf(client.deleteService({ ...web, port: 83 }))).errno).toBe(3);
    });
  });

  it('deletes services and flushes the table', async () => {
    await client.deleteService(web);
    expect(ours.run('ipvsadm', ['-Sn'])).not.toContain('198.18.0.100:80');
    await client.flush();
    expect(ours.run('ipvsadm', ['-Sn']).trim()).toBe('');
    expect((await client.read()).services).toEqual([]);
  });
});
