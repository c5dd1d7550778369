// Retired services (managed until now, no longer declared) and identity changes: the new
// service goes in first, the old one is deleted last, and kept while its replacement failed.
import { describe, expect, it } from 'vitest';
import { applyPlan, type IpvsWriter } from '../../../src/ipvs/apply.js';
import { formatPlan, planChanges } from '../../../src/ipvs/plan.js';
import type { Destination, KernelIpvs, Service, ServiceEntry } from '../../../src/ipvs/types.js';

const zeroStats = { conns: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
const svc = (port: number, scheduler = 'wrr'): Service => ({ protocol: 'tcp', address: '198.18.0.100', port, scheduler, schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 });
const rs: Destination = { address: '198.18.1.11', port: 80, forwarding: 'dr', weight: 100, upperThreshold: 0, lowerThreshold: 0 };
const kernel = (...services: Service[]): KernelIpvs => ({
  services: services.map((s) => ({ service: { ...s, stats: zeroStats } as ServiceEntry, destinations: [{ ...rs, activeConns: 0, inactiveConns: 0, persistentConns: 0, stats: zeroStats }] })),
});
const id = (port: number) => ({ protocol: 'tcp' as const, address: '198.18.0.100', port });

describe('planChanges with retired services', () => {
  it('replaces a service whose port changed: add the new one, delete the old one last', () => {
    const plan = planChanges({ services: [{ service: svc(8080), destinations: [rs] }] }, kernel(svc(80)), { purgeUnmanaged: false, retire: [{ service: id(80), replacedBy: id(8080) }] });
    expect(plan.operations.map((o) => o.kind)).toEqual(['add-service', 'add-dest', 'delete-service']);
    expect(plan.unmanaged).toEqual([]);
    expect(formatPlan(plan)).toContain('- service tcp 198.18.0.100:80 (replaced by tcp 198.18.0.100:8080)');
  });

  it('deletes retired services and leaves other undeclared ones alone (without purge)', () => {
    const plan = planChanges({ services: [] }, kernel(svc(80), svc(81)), { purgeUnmanaged: false, retire: [{ service: id(80) }] });
    expect(plan.operations).toEqual([{ kind: 'delete-service', service: id(80) }]);
    expect(plan.unmanaged).toEqual([id(81)]);
  });

  it('ignores a retirement of a service the kernel does not hold', () => {
    expect(planChanges({ services: [] }, kernel(), { purgeUnmanaged: false, retire: [{ service: id(80) }] }).operations).toEqual([]);
  });
});

describe('applyPlan of a replacement', () => {
  const writer = (failAdd: boolean): IpvsWriter & { calls: string[] } => {
    const calls: string[] = [];
    const ok = (what: string) => async (): Promise<void> => {
      calls.push(what);
    };
    return {
      calls,
      addService: async (s) => {
        calls.push(`add ${'port' in s ? s.port : ''}`);
        if (failAdd) throw new Error('No such file or directory (scheduler module missing)');
      },
      updateService: ok('update'),
      deleteService: async (s) => {
        calls.push(`delete ${'port' in s ? s.port : ''}`);
      },
      addDestination: ok('add-dest'),
      updateDestination: ok('edit-dest'),
      deleteDestination: ok('delete-dest'),
    };
  };
  const plan = () => planChanges({ services: [{ service: svc(8080, 'nq'), destinations: [rs] }] }, kernel(svc(80)), { purgeUnmanaged: false, retire: [{ service: id(80), replacedBy: id(8080) }] });

  it('deletes the old service after the new one is in', async () => {
    const w = writer(false);
    const result = await applyPlan(w, plan());
    expect(w.calls).toEqual(['add 8080', 'add-dest', 'delete 80']);
    expect(result.failed).toEqual([]);
  });

  it('keeps the old service when its replacement could not be added', async () => {
    const w = writer(true);
    const result = await applyPlan(w, plan());
    expect(w.calls).toEqual(['add 8080']);
    expect(result.failed.map((f) => f.operation.kind)).toEqual(['add-service']);
    expect(result.skipped.map((s) => s.reason)).toEqual(['service tcp 198.18.0.100:8080 could not be added', 'kept while its replacement tcp 198.18.0.100:8080 has failed changes']);
  });
});
