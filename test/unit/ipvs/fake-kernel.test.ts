// The in-memory IPVS kernel (test/support/fake-ipvs-kernel.ts) refuses what the real kernel
// refuses, with the errno and the sentence test/kernel/ipvs-client.test.ts reads from Debian's
// kernel, so daemon tests built on it fail where the kernel would.
import { describe, expect, it } from 'vitest';
import type { KernelError } from '../../../src/kernel/errors.js';
import type { Destination } from '../../../src/ipvs/types.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { dns6, mark4, web } from '../../kernel/support/ipvs-fixture.js';

const dest = (address: string, port: number, more: Partial<Destination> = {}): Destination => ({ address, port, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...more });

const refusal = async (p: Promise<unknown>): Promise<KernelError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!err) throw new Error('expected a refusal');
  return err as KernelError;
};

describe('fake IPVS kernel', () => {
  it('refuses like the kernel, with the errno and the words of test/kernel/ipvs-client.test.ts', async () => {
    const k = new FakeIpvsKernel();
    await k.addService(web);
    await k.addDestination(web, dest('198.18.1.12', 8080));
    k.missingSchedulers.add('foo');
    const cases: Array<[Promise<unknown>, number, string]> = [
      [k.addService({ ...web, port: 81, scheduler: 'foo' }), 2, "add service tcp 198.18.0.100:81: scheduler 'foo' not available in this kernel (modprobe ip_vs_foo?) (ENOENT)"],
      [k.addService(web), 17, 'add service tcp 198.18.0.100:80: already exists (EEXIST)'],
      [k.addDestination({ ...web, port: 82 }, dest('198.18.1.11', 80)), 3, 'add real server 198.18.1.11:80 to tcp 198.18.0.100:82: service tcp 198.18.0.100:82 does not exist (ESRCH)'],
      [k.deleteService({ ...web, port: 83 }), 3, 'delete service tcp 198.18.0.100:83: does not exist (ESRCH)'],
      [k.addDestination(web, dest('198.18.1.12', 8080)), 17, 'add real server 198.18.1.12:8080 to tcp 198.18.0.100:80: already exists (EEXIST)'],
      [k.updateDestination(web, dest('198.18.1.13', 80)), 2, 'edit real server 198.18.1.13:80 of tcp 198.18.0.100:80: does not exist (ENOENT)'],
      [k.addDestination(web, dest('198.18.1.14', 80, { weight: -1 })), 34, 'add real server 198.18.1.14:80 to tcp 198.18.0.100:80: weight or thresholds out of range (ERANGE)'],
      [k.addDestination(web, dest('198.18.1.14', 80, { upperThreshold: 5, lowerThreshold: 6 })), 34, 'add real server 198.18.1.14:80 to tcp 198.18.0.100:80: weight or thresholds out of range (ERANGE)'],
      [k.updateService({ ...web, port: 84 }), 3, 'edit service tcp 198.18.0.100:84: does not exist (ESRCH)'],
      [k.stopSyncDaemon('master'), 3, 'stop master sync daemon: not running (ESRCH)'],
    ];
    for (const [p, errno, message] of cases) {
      const err = await refusal(p);
      expect([err.errno, err.message]).toEqual([errno, message]);
    }
    await k.deleteDestination(web, { address: '198.18.1.12', port: 8080 });
    expect((await refusal(k.deleteDestination(web, { address: '198.18.1.12', port: 8080 }))).message).toBe(
      'delete real server 198.18.1.12:8080 of tcp 198.18.0.100:80: does not exist (ENOENT)',
    );
    // GET of a missing service reads as undefined; its real servers dump as empty.
    expect(await k.service({ ...web, port: 83 })).toBeUndefined();
    expect(await k.destinations({ ...web, port: 83 })).toEqual([]);
  });

  it('keys services like the kernel: family, protocol, address and port, or family and fwmark', async () => {
    const k = new FakeIpvsKernel();
    await k.addService(web);
    await k.addService({ ...web, protocol: 'udp' });
    await k.addService(mark4);
    await k.addService({ ...mark4, family: 6 });
    expect((await refusal(k.addService({ ...mark4, scheduler: 'rr' }))).errno).toBe(17);
    await k.updateService({ ...web, scheduler: 'rr' });
    expect(k.summary()).toEqual(['fwmark/ipv4/7 sh ', 'fwmark/ipv6/7 sh ', 'tcp/198.18.0.100/80 rr ', 'udp/198.18.0.100/80 wrr ']);
  });

  it('takes a real server of the other family only with tunnel forwarding, and then runs no sync daemon', async () => {
    const k = new FakeIpvsKernel();
    await k.addService(dns6);
    expect((await refusal(k.addDestination(dns6, dest('198.18.1.20', 53)))).errno).toBe(22);
    await k.addDestination(dns6, dest('198.18.1.20', 53, { forwarding: 'tun', tunnel: { type: 'ipip', port: 0, checksum: 'none' } }));
    const mixed = await refusal(k.startSyncDaemon({ state: 'master', interface: 'lvsd-sync', syncId: 5 }));
    expect(mixed.message).toMatch(/^start master sync daemon on lvsd-sync: refused: the kernel does not sync connections while a real server's address family differs/);
    await k.deleteDestination(dns6, { address: '198.18.1.20', port: 53 });
    await k.startSyncDaemon({ state: 'master', interface: 'lvsd-sync', syncId: 5 });
    expect((await refusal(k.startSyncDaemon({ state: 'master', interface: 'lvsd-sync', syncId: 5 }))).message).toBe('start master sync daemon on lvsd-sync: already running (EEXIST)');
    expect((await refusal(k.addDestination(dns6, dest('198.18.1.20', 53, { forwarding: 'tun' })))).errno).toBe(22);
  });

  it('edits keep the counters; reads are copies; the counters can be set', async () => {
    const k = new FakeIpvsKernel();
    await k.addService(web);
    await k.addDestination(web, dest('198.18.1.11', 80, { weight: 100 }));
    k.setStats(web, { conns: 7n });
    k.setDestinationStats(web, { address: '198.18.1.11', port: 80 }, { stats: { inBytes: 5000n }, activeConns: 3 });
    await k.updateDestination(web, dest('198.18.1.11', 80, { weight: 0 }));
    const [row] = (await k.read()).services;
    expect(row?.service.stats.conns).toBe(7n);
    expect(row?.destinations[0]).toMatchObject({ weight: 0, activeConns: 3, stats: { inBytes: 5000n, conns: 0n } });
    if (row?.destinations[0]) row.destinations[0].weight = 55;
    expect(k.weight(web, { address: '198.18.1.11', port: 80 })).toBe(0);
  });

  it('fails the nth matching call as injected, and logs every call with its event-loop turn', async () => {
    const k = new FakeIpvsKernel();
    k.inject({ on: 'write', nth: 2 });
    k.inject({ on: 'read', times: 2, code: 'ENODEV' });
    await k.addService(web);
    expect((await refusal(k.addService(mark4))).message).toBe('add service fwmark 7 ipv4: rejected by the kernel (ENOMEM)');
    await k.addService(mark4);
    expect((await refusal(k.read())).code).toBe('ENODEV');
    expect((await refusal(k.service(web))).code).toBe('ENODEV');
    expect(await k.service(web)).toBeDefined();
    expect(k.writes()).toEqual(['addService tcp 198.18.0.100:80', 'addService fwmark 7 ipv4', 'addService fwmark 7 ipv4']);
    expect(k.calls.map((c) => c.error)).toEqual([undefined, 'ENOMEM', undefined, 'ENODEV', 'ENODEV', undefined]);
    // One turn for everything issued together, a new one after the loop turned.
    const turn = k.calls.at(-1)?.turn ?? 0;
    await new Promise((r) => setImmediate(r));
    await Promise.all([k.service(web), k.destinations(web)]);
    expect(k.calls.slice(-2).map((c) => c.turn)).toEqual([turn + 1, turn + 1]);
  });

  it('a handle from open() refuses calls after close; the table outlives it', async () => {
    const k = new FakeIpvsKernel();
    const h = k.open();
    await h.addService(web);
    expect(k.openHandles).toBe(1);
    h.close();
    expect(k.openHandles).toBe(0);
    await expect(h.read()).rejects.toThrow(/closed handle/);
    expect((await k.open().read()).services).toHaveLength(1);
  });
});
