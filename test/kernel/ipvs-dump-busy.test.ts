// Issue 18: after full reads of a big table the next destination dump was refused with EBUSY (the
// kernel runs one dump per netlink socket, and one was left running). On the real kernel, with
// 5,000 services (10,000 took 150 s in the lab VM; on this client the failure shows at no size,
// the EBUSY case below needs none): two full reads back to back, then one service's real servers
// listed and a weight edited; then the same while status reads run meanwhile (the daemon's status path is
// IpvsClient.read, src/daemon/daemon.ts). After each step no socket of ours is left with a dump
// running: the "Dump" column of /proc/net/netlink (nlk->cb_running) is 0 for every one. Last,
// the kernel's own rule: a dump sent while another runs on the socket is answered EBUSY, and the
// client waits for that one's DONE and goes again instead of failing its caller.
import { RawNetlinkSocket } from 'netlink';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyPlan } from '../../src/ipvs/apply.js';
import { IpvsClient } from '../../src/ipvs/client.js';
import { serviceKey } from '../../src/ipvs/names.js';
import { planChanges } from '../../src/ipvs/plan.js';
import type { Destination, Service, ServiceWithDestinations } from '../../src/ipvs/types.js';
import { inNetns } from '../../src/kernel/native.js';
import { describeWith } from '../support/needs.js';
import { withStrayDump } from '../unit/kernel/genl-stray-dump.js';
import { createNetns, type TestNetns } from '../support/netns.mjs';

/** One real server each keeps the setup short; the full read is still 5,001 dumps. */
const SERVICES = 5_000;
/** Scoped reconciles (read one service, edit its weight) while status reads run. */
const SCOPED = 100;
/** Status reads at most, while the scoped reconciles run. */
const STATUS_READS = 2;

const vip = (i: number): string => `198.18.${4 + (i >> 8)}.${i & 0xff}`;
const real = (weight: number): Destination => ({ address: '198.19.0.1', port: 80, forwarding: 'dr', weight, upperThreshold: 0, lowerThreshold: 0 });

describeWith(['root', 'netns', 'ipvs'], 'IPVS dumps after full reads of 5,000 services', () => {
  let ns: TestNetns;
  let client: IpvsClient;
  const table: ServiceWithDestinations[] = Array.from({ length: SERVICES }, (_, i) => ({
    service: { protocol: 'tcp', address: vip(i), port: 80, scheduler: 'wrr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 } satisfies Service,
    destinations: [real(1)],
  }));
  const row = (i: number): ServiceWithDestinations => {
    const r = table[i];
    if (!r) throw new Error(`no service ${i}`);
    return r;
  };

  /** The genl sockets (protocol 16) of the namespace whose dump is still running in the kernel. */
  const runningDumps = (): string[] =>
    ns
      .run('cat', ['/proc/net/netlink'])
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1] === '16' && f[6] !== '0')
      .map((f) => f.join(' '));

  beforeAll(async () => {
    ns = createNetns('busy');
    client = await IpvsClient.open({ netns: ns.path });
    const result = await applyPlan(client, planChanges({ services: table }, { services: [] }, { purgeUnmanaged: false }));
    expect(result.failed).toEqual([]);
  });

  afterAll(() => {
    client?.close();
    ns?.remove();
  });

  it('reads the whole table twice back to back, then lists one service and edits its weight: no EBUSY, no dump left running', async () => {
    for (let k = 0; k < 2; k++) {
      const kernel = await client.read();
      expect(kernel.services).toHaveLength(SERVICES);
      expect(runningDumps()).toEqual([]);
    }
    const first = row(0).service;
    expect(await client.destinations(first)).toMatchObject([{ address: '198.19.0.1', weight: 1 }]);
    await client.updateDestination(first, real(77));
    expect(await client.destinations(first)).toMatchObject([{ address: '198.19.0.1', weight: 77 }]);
    expect(runningDumps()).toEqual([]);
  });

  it('the same while status reads run meanwhile: every scoped read and weight edit succeeds', async () => {
    let scopedDone = false;
    const statusReads: number[] = [];
    const status = (async () => {
      while (!scopedDone && statusReads.length < STATUS_READS) statusReads.push((await client.read()).services.length);
    })();
    const failures: string[] = [];
    try {
      // What a health change does (src/daemon/ipvs-manager.ts readIds, then the plan's one edit),
      // plus one service list on the same socket: a dump of 5,000 parts of its own.
      for (let i = 0; i < SCOPED; i++) {
        const { service } = row(i * 47);
        try {
          if (i === 50) expect(await client.services()).toHaveLength(SERVICES);
          expect(await client.service(service)).toBeDefined();
          expect(await client.destinations(service)).toHaveLength(1);
          await client.updateDestination(service, real(2 + (i % 90)));
        } catch (err) {
          failures.push(`${i}: ${(err as Error).message}`);
        }
      }
    } finally {
      scopedDone = true;
      await status;
    }
    expect(failures).toEqual([]);
    expect(statusReads.length).toBeGreaterThan(0);
    for (const n of statusReads) expect(n).toBe(SERVICES);
    const edited = await client.read();
    const weights = new Map(edited.services.map((s) => [serviceKey(s.service), s.destinations[0]?.weight]));
    for (let i = 0; i < SCOPED; i++) expect(weights.get(serviceKey(row(i * 47).service))).toBe(2 + (i % 90));
    expect(runningDumps()).toEqual([]);
  });

  it('a dump the kernel refuses with EBUSY (another still runs on the socket) waits for that one to end and succeeds', async () => {
    const raw = inNetns(ns.path, () => new RawNetlinkSocket(16, { recvBufferSize: 1024 * 1024, sendBufferSize: 1024 * 1024 }));
    const sock = withStrayDump(raw);
    const other = await IpvsClient.open({ socket: sock });
    try {
      const first = row(1).service;
      expect(await other.destinations(first)).toHaveLength(1);
      expect(sock.strays).toBe(1);
      await other.updateDestination(first, real(33));
      expect(await other.destinations(first)).toMatchObject([{ weight: 33 }]);
    } finally {
      other.close();
    }
  });
});
