// Reads never starve writes, on the real kernel: while the destination dumps of a full read of
// 1,500 services (seconds under emulation) run on the client's socket, a weight change issued
// after them reaches the kernel and is acknowledged before they end.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyPlan } from '../../src/ipvs/apply.js';
import { IpvsClient } from '../../src/ipvs/client.js';
import { planChanges } from '../../src/ipvs/plan.js';
import type { Destination, Service, ServiceWithDestinations } from '../../src/ipvs/types.js';
import { describeWith } from '../support/needs.js';
import { createNetns, type TestNetns } from '../support/netns.mjs';

const SERVICES = 1500;
const vip = (i: number): string => `198.18.${4 + (i >> 8)}.${i & 0xff}`;
const dest = (n: number, weight: number): Destination => ({ address: `198.19.0.${n}`, port: 80, forwarding: 'dr', weight, upperThreshold: 0, lowerThreshold: 0 });

describeWith(['root', 'netns', 'ipvs'], 'IPVS reads and writes on one client', () => {
  let ns: TestNetns;
  let client: IpvsClient;
  const table: ServiceWithDestinations[] = Array.from({ length: SERVICES }, (_, i) => ({
    service: { protocol: 'tcp', address: vip(i), port: 80, scheduler: 'wrr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 } satisfies Service,
    destinations: [dest(1, 1), dest(2, 2)],
  }));

  beforeAll(async () => {
    ns = createNetns('ipvs');
    client = await IpvsClient.open({ netns: ns.path });
    const result = await applyPlan(client, planChanges({ services: table }, { services: [] }, { purgeUnmanaged: false }));
    expect(result.failed).toEqual([]);
  });

  afterAll(() => {
    client?.close();
    ns?.remove();
  });

  it('a weight change issued behind 1,500 queued destination dumps is acknowledged before they end', async () => {
    const last = table[SERVICES - 1];
    if (!last) throw new Error('no services');
    // What a full read queues after the service dump: one destination dump per service.
    let dumpsEnded = false;
    const dumps = Promise.all(table.map((row) => client.destinations(row.service))).then((all) => ((dumpsEnded = true), all));
    await client.updateDestination(last.service, dest(1, 77));
    expect(dumpsEnded).toBe(false);
    expect(await dumps).toHaveLength(SERVICES);
    const now = await client.destinations(last.service);
    expect(now.find((d) => d.address === '198.19.0.1')?.weight).toBe(77);
  });

  it('a full read during writes sees the whole table', async () => {
    const first = table[0];
    if (!first) throw new Error('no services');
    const [kernel] = await Promise.all([client.read(), client.updateDestination(first.service, dest(2, 5))]);
    expect(kernel.services).toHaveLength(SERVICES);
  });
});
