import { describe, expect, it } from 'vitest';
import { formatPlan, planChanges, type Operation } from '../../../src/ipvs/plan.js';
import type { DesiredIpvs, Destination, DestinationEntry, KernelIpvs, Service, ServiceEntry } from '../../../src/ipvs/types.js';

const zeroStats = { conns: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
const web: Service = { protocol: 'tcp', address: '198.18.0.100', port: 80, scheduler: 'wrr', schedulerFlags: [], onePacket: false, persistence: 300, persistencePrefix: 32 };
const dns: Service = { protocol: 'udp', address: '2001:2::53', port: 53, scheduler: 'mh', schedulerFlags: ['mh-port'], onePacket: true, persistence: 0, persistencePrefix: 128 };
const rs = (last: number, weight = 100): Destination => ({ address: `198.18.1.${last}`, port: 80, forwarding: 'dr', weight, upperThreshold: 0, lowerThreshold: 0 });

/** What the kernel would report for a desired state: the same objects plus counters. */
function kernelOf(desired: DesiredIpvs): KernelIpvs {
  return {
    services: desired.services.map(({ service, destinations }) => ({
      service: { ...service, stats: zeroStats } as ServiceEntry,
      destinations: destinations.map((d): DestinationEntry => ({ ...d, activeConns: 3, inactiveConns: 1, persistentConns: 0, stats: zeroStats })),
    })),
  };
}

const kinds = (ops: Operation[]): string[] => ops.map((o) => o.kind);

describe('planChanges', () => {
  it('adds everything to an empty kernel, services first, and formats it as a diff', () => {
    const desired: DesiredIpvs = { services: [{ service: web, destinations: [rs(11), rs(12)] }, { service: dns, destinations: [] }] };
    const plan = planChanges(desired, { services: [] }, { purgeUnmanaged: false });
    expect(kinds(plan.operations)).toEqual(['add-service', 'add-service', 'add-dest', 'add-dest']);
    expect(formatPlan(plan)).toBe(
      [
        '+ service tcp 198.18.0.100:80 wrr persistent 300s',
        '+   dest 198.18.1.11:80 dr weight 100',
        '+   dest 198.18.1.12:80 dr weight 100',
        '+ service udp [2001:2::53]:53 mh flags mh-port one-packet',
      ].join('\n'),
    );
  });

  it('is empty when the kernel already holds the desired state', () => {
    const desired: DesiredIpvs = { services: [{ service: web, destinations: [rs(11), rs(12)] }, { service: dns, destinations: [] }] };
    const plan = planChanges(desired, kernelOf(desired), { purgeUnmanaged: true });
    expect(plan.operations).toEqual([]);
    expect(plan.unmanaged).toEqual([]);
    expect(formatPlan(plan)).toBe('no changes');
  });

  it('edits scheduler, flags and persistence in place instead of re-creating the service', () => {
    const before: DesiredIpvs = { services: [{ service: web, destinations: [rs(11)] }] };
    const after: DesiredIpvs = { services: [{ service: { ...web, scheduler: 'sh', schedulerFlags: ['sh-fallback'], persistence: 0 }, destinations: [rs(11)] }] };
    const plan = planChanges(after, kernelOf(before), { purgeUnmanaged: false });
    expect(kinds(plan.operations)).toEqual(['edit-service']);
    expect(formatPlan(plan)).toBe('~ service tcp 198.18.0.100:80 scheduler wrr -> sh, flags none -> sh-fallback, persistent 300s -> off');
  });

  it('treats scheduler flags as bits and ignores the netmask of a non-persistent service', () => {
    const have: DesiredIpvs = { services: [{ service: { ...web, scheduler: 'sh', schedulerFlags: ['flag-2'], persistence: 0, persistencePrefix: 32 }, destinations: [] }] };
    const want: DesiredIpvs = { services: [{ service: { ...web, scheduler: 'sh', schedulerFlags: ['sh-port'], persistence: 0, persistencePrefix: 24 }, destinations: [] }] };
    expect(planChanges(want, kernelOf(have), { purgeUnmanaged: false }).operations).toEqual([]);
  });

  it('changes weights in place and adds new real servers before removing old ones', () => {
    const before: DesiredIpvs = { services: [{ service: web, destinations: [rs(11), rs(12)] }] };
    const after: DesiredIpvs = { services: [{ service: web, destinations: [rs(11, 50), rs(13)] }] };
    const plan = planChanges(after, kernelOf(before), { purgeUnmanaged: false });
    expect(kinds(plan.operations)).toEqual(['edit-dest', 'add-dest', 'delete-dest']);
    expect(formatPlan(plan)).toBe(
      [
        '  service tcp 198.18.0.100:80',
        '~   dest 198.18.1.11:80 weight 100 -> 50',
        '+   dest 198.18.1.13:80 dr weight 100',
        '-   dest 198.18.1.12:80',
      ].join('\n'),
    );
  });

  it('edits forwarding, thresholds and tunnel settings in place', () => {
    const tun: Destination = { ...rs(11), forwarding: 'tun', tunnel: { type: 'ipip', port: 0, checksum: 'none' } };
    const before: DesiredIpvs = { services: [{ service: web, destinations: [tun] }] };
    const after: DesiredIpvs = { services: [{ service: web, destinations: [{ ...tun, upperThreshold: 100, tunnel: { type: 'gue', port: 6080, checksum: 'remcsum' } }] }] };
    const plan = planChanges(after, kernelOf(before), { purgeUnmanaged: false });
    expect(kinds(plan.operations)).toEqual(['edit-dest']);
    expect(formatPlan(plan)).toContain('upper-threshold 0 -> 100, tunnel ipip -> gue:6080 remcsum');
  });

  it('reports unmanaged services and leaves them alone unless told to purge', () => {
    const other: Service = { ...web, port: 8080 };
    const kernel = kernelOf({ services: [{ service: web, destinations: [rs(11)] }, { service: other, destinations: [rs(20)] }] });
    const desired: DesiredIpvs = { services: [{ service: web, destinations: [rs(11)] }] };
    const kept = planChanges(desired, kernel, { purgeUnmanaged: false });
    expect(kept.operations).toEqual([]);
    expect(kept.unmanaged).toEqual([{ protocol: 'tcp', address: '198.18.0.100', port: 8080 }]);
    expect(formatPlan(kept)).toBe('? service tcp 198.18.0.100:8080 unmanaged, left alone');
    const purged = planChanges(desired, kernel, { purgeUnmanaged: true });
    expect(purged.operations).toEqual([{ kind: 'delete-service', service: { protocol: 'tcp', address: '198.18.0.100', port: 8080 } }]);
    expect(purged.unmanaged).toEqual([]);
  });

  it('keeps counters out of the plan and refuses duplicate declarations', () => {
    const kernel = kernelOf({ services: [{ service: web, destinations: [] }] });
    const plan = planChanges({ services: [{ service: { ...web, scheduler: 'rr' }, destinations: [] }] }, kernel, { purgeUnmanaged: false });
    expect(plan.operations[0]).not.toHaveProperty('service.stats');
    expect(() => planChanges({ services: [{ service: web, destinations: [] }, { service: web, destinations: [] }] }, kernel, { purgeUnmanaged: false })).toThrow(/declared twice/);
    expect(() => planChanges({ services: [{ service: web, destinations: [rs(1), rs(1)] }] }, kernel, { purgeUnmanaged: false })).toThrow(/declared twice/);
  });

  it('tells fwmark services apart by family', () => {
    const v4: Service = { fwmark: 7, family: 4, scheduler: 'rr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 };
    const v6: Service = { ...v4, family: 6, persistencePrefix: 128 };
    const plan = planChanges({ services: [{ service: v6, destinations: [] }] }, kernelOf({ services: [{ service: v4, destinations: [] }] }), { purgeUnmanaged: true });
    expect(kinds(plan.operations)).toEqual(['add-service', 'delete-service']);
    expect(formatPlan(plan)).toBe('+ service fwmark 7 ipv6 rr\n- service fwmark 7 ipv4');
  });
});
