// The reconciler (plan + apply) against Debian's kernel: it converges, a second plan is empty,
// edits happen in place, and services lvsd does not declare survive unless purging.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyPlan } from '../../src/ipvs/apply.js';
import { IpvsClient } from '../../src/ipvs/client.js';
import { serviceName } from '../../src/ipvs/names.js';
import { formatPlan, planChanges } from '../../src/ipvs/plan.js';
import type { DesiredIpvs, Destination } from '../../src/ipvs/types.js';
import { describeWith } from '../support/needs.js';
import { fixture, sorted, web, withoutCounters } from './support/ipvs-fixture.js';
import { createNetns, type TestNetns } from '../support/netns.mjs';

const unmanagedRule = '198.18.0.200:80';

describeWith(['root', 'netns', 'ipvs', 'ipvsadm'], 'IPVS reconciler on the real kernel', () => {
  let ns: TestNetns;
  let bulk: TestNetns;
  let client: IpvsClient;

  beforeAll(async () => {
    ns = createNetns('ipvs');
    bulk = createNetns('ipvs');
    client = await IpvsClient.open({ netns: ns.path });
    ns.run('ipvsadm', ['-A', '-t', unmanagedRule, '-s', 'rr']);
    ns.run('ipvsadm', ['-a', '-t', unmanagedRule, '-r', '198.18.1.99:80', '-g']);
  });

  afterAll(() => {
    client?.close();
    ns?.remove();
    bulk?.remove();
  });

  it('converges from an empty table, and a second plan is empty', async () => {
    const plan = planChanges(fixture, await client.read(), { purgeUnmanaged: false });
    expect(plan.operations).toHaveLength(15);
    expect(plan.unmanaged.map(serviceName)).toEqual(['tcp 198.18.0.200:80']);
    const result = await applyPlan(client, plan);
    expect(result.failed).toEqual([]);
    expect(result.applied).toHaveLength(15);
    console.log(`applied 15 operations in ${result.elapsedMs.toFixed(1)} ms`);

    const after = await client.read();
    const managed = withoutCounters({ services: after.services.filter((r) => serviceName(r.service) !== 'tcp 198.18.0.200:80') });
    expect(managed).toEqual(sorted(fixture));
    const again = planChanges(fixture, after, { purgeUnmanaged: false });
    expect(again.operations).toEqual([]);
    expect(ns.run('ipvsadm', ['-Sn'])).toContain(`-a -t ${unmanagedRule} -r 198.18.1.99:80 -g -w 1`);
  });

  it('changes scheduler, flags, persistence and weights in place: connections and counters survive', async () => {
    // Put a connection through the web service so that re-creating it would show (counters reset).
    ns.run('ip', ['link', 'add', 'lvsd-vip', 'type', 'dummy']);
    ns.run('ip', ['addr', 'add', '198.18.0.1/24', 'dev', 'lvsd-vip']);
    ns.run('ip', ['addr', 'add', '198.18.1.1/24', 'dev', 'lvsd-vip']);
    ns.run('ip', ['link', 'set', 'lvsd-vip', 'up']);
    ns.connectTcp('198.18.0.100', 80, 1.5); // nothing answers the SYN
    await new Promise((r) => setTimeout(r, 2500)); // counters are folded in every 2 s
    const conns = (await client.service(web))?.stats.conns ?? 0n;
    expect(conns).toBeGreaterThan(0n);

    const rows = fixture.services.slice(1);
    const webDests = fixture.services[0]?.destinations ?? [];
    const changed: Destination[] = webDests
      .filter((d) => d.address !== '198.18.1.12')
      .map((d) => (d.address === '198.18.1.11' ? { ...d, weight: 10 } : d));
    changed.push({ address: '198.18.1.16', port: 80, forwarding: 'dr', weight: 5, upperThreshold: 0, lowerThreshold: 0 });
    const desired: DesiredIpvs = {
      services: [{ service: { ...web, scheduler: 'sh', schedulerFlags: ['sh-port'], persistence: 0 }, destinations: changed }, ...rows],
    };
    const plan = planChanges(desired, await client.read(), { purgeUnmanaged: false });
    expect(plan.operations.map((o) => o.kind)).toEqual(['edit-service', 'edit-dest', 'add-dest', 'delete-dest']);
    expect(formatPlan(plan)).toBe(
      [
        '~ service tcp 198.18.0.100:80 scheduler wrr -> sh, flags none -> sh-port, persistent 300s/24 -> off',
        '~   dest 198.18.1.11:80 weight 100 -> 10',
        '+   dest 198.18.1.16:80 dr weight 5',
        '-   dest 198.18.1.12:8080',
        '? service tcp 198.18.0.200:80 unmanaged, left alone',
      ].join('\n'),
    );
    const connections = (): string[] =>
      ns.run('ipvsadm', ['-Lnc']).split('\n').flatMap((l) => {
        // protocol, expiry (counts down), state, client, virtual, real: keep who talks to whom
        const m = /^TCP\s+\S+\s+\S+\s+(\S+)\s+(198\.18\.0\.100:80)\s+(\S+)/.exec(l);
        return m ? [`${m[1]} ${m[2]} ${m[3]}`] : [];
      });
    const before = connections();
    expect(before.length).toBeGreaterThan(0);
    const result = await applyPlan(client, plan);
    expect(result.failed).toEqual([]);

    const after = await client.read();
    expect(planChanges(desired, after, { purgeUnmanaged: false }).operations).toEqual([]);
    const webRow = after.services.find((r) => serviceName(r.service) === serviceName(web));
    expect(webRow?.service.stats.conns).toBe(conns);
    expect(connections()).toEqual(expect.arrayContaining(before));
  });

  it('deletes unmanaged services only when told to purge', async () => {
    const desired = withoutCounters(await client.read());
    desired.services = desired.services.filter((r) => serviceName(r.service) !== 'tcp 198.18.0.200:80');
    const plan = planChanges(desired, await client.read(), { purgeUnmanaged: true });
    expect(formatPlan(plan)).toBe('- service tcp 198.18.0.200:80');
    expect((await applyPlan(client, plan)).failed).toEqual([]);
    expect(ns.run('ipvsadm', ['-Sn'])).not.toContain('198.18.0.200');
  });

  it('applies 250 services with 4 real servers each, pipelined, in a fresh namespace', async () => {
    const bulkClient = await IpvsClient.open({ netns: bulk.path });
    try {
      const desired: DesiredIpvs = { services: [] };
      for (let i = 0; i < 250; i++) {
        const service = { ...web, address: `198.18.${4 + (i >> 8)}.${i & 0xff}`, persistence: 0 };
        const destinations = [1, 2, 3, 4].map((n): Destination => ({ address: `198.18.100.${n}`, port: 80, forwarding: 'dr', weight: n, upperThreshold: 0, lowerThreshold: 0 }));
        desired.services.push({ service, destinations });
      }
      const plan = planChanges(desired, await bulkClient.read(), { purgeUnmanaged: false });
      const result = await applyPlan(bulkClient, plan);
      expect(result.failed).toEqual([]);
      expect(result.applied).toHaveLength(1250);
      console.log(`bulk: 250 services x 4 real servers (1250 operations) applied in ${result.elapsedMs.toFixed(0)} ms`);
      const t0 = performance.now();
      const after = await bulkClient.read();
      console.log(`bulk: read back 250 services with their real servers in ${(performance.now() - t0).toFixed(0)} ms`);
      expect(withoutCounters(after)).toEqual(sorted(desired));
      expect(planChanges(desired, after, { purgeUnmanaged: false }).operations).toEqual([]);
      expect(bulk.run('ipvsadm', ['-Sn']).split('\n').filter((l) => l.startsWith('-a')).length).toBe(1000);
    } finally {
      bulkClient.close();
    }
  });
});
