// Graceful removal in the planner (src/ipvs/drain.ts): a leaving real server or retired service
// is set to weight 0 and deleted only when idle or past its drain_timeout.
import { describe, expect, it } from 'vitest';
import { applyPlan, type IpvsWriter } from '../../../src/ipvs/apply.js';
import { drainKey, nextDeadline, type Drain, type DrainContext } from '../../../src/ipvs/drain.js';
import { formatPlan, planChanges, type Operation } from '../../../src/ipvs/plan.js';
import type { Destination, DestinationEntry, KernelIpvs, Service, ServiceEntry } from '../../../src/ipvs/types.js';

const zeroStats = { conns: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
const svc = (port: number): Service => ({ protocol: 'tcp', address: '198.18.0.100', port, scheduler: 'wrr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 });
const id = (port: number) => ({ protocol: 'tcp' as const, address: '198.18.0.100', port });
const rs = (last: number, weight = 100): Destination => ({ address: `198.18.1.${last}`, port: 80, forwarding: 'dr', weight, upperThreshold: 0, lowerThreshold: 0 });
const entry = (d: Destination, activeConns: number): DestinationEntry => ({ ...d, activeConns, inactiveConns: 0, persistentConns: 0, stats: zeroStats });
const kernel = (...rows: [Service, DestinationEntry[]][]): KernelIpvs => ({ services: rows.map(([s, ds]) => ({ service: { ...s, stats: zeroStats } as ServiceEntry, destinations: ds })) });

const T0 = Date.UTC(2026, 11, 1, 2, 0, 0);
const FIVE_MIN = 300_000;
const ctx = (over: Partial<DrainContext> = {}): DrainContext => ({ now: T0, current: new Map(), timeouts: new Map([['tcp/198.18.0.100/80', FIVE_MIN]]), abrupt: new Set(), ...over });
const kinds = (ops: Operation[]): string[] => ops.map((o) => o.kind);
const mapOf = (drains: Drain[]): Map<string, Drain> => new Map(drains.map((d) => [drainKey(d.service, d.dest), d]));

describe('planChanges draining a removed real server', () => {
  const desired = { services: [{ service: svc(80), destinations: [rs(11)] }] };

  it('sets a removed real server with active connections to weight 0 instead of deleting it, after the other changes', () => {
    const plan = planChanges({ services: [{ service: svc(80), destinations: [rs(11), rs(13)] }] }, kernel([svc(80), [entry(rs(11), 4), entry(rs(12), 2)]]), { purgeUnmanaged: false, drain: ctx() });
    expect(kinds(plan.operations)).toEqual(['add-dest', 'drain-dest']);
    expect(plan.operations[1]).toMatchObject({ kind: 'drain-dest', dest: { address: '198.18.1.12', weight: 0 }, deadline: T0 + FIVE_MIN });
    expect(plan.drains).toEqual([{ service: id(80), dest: { address: '198.18.1.12', port: 80 }, since: T0, deadline: T0 + FIVE_MIN }]);
    expect(formatPlan(plan)).toContain('~   dest 198.18.1.12:80 draining: weight 0 until idle, deleted by 2026-12-01T02:05:00.000Z at the latest');
  });

  it('keeps the drain (same deadline, no operation) while connections remain, deletes it when they reach 0', () => {
    const first = planChanges(desired, kernel([svc(80), [entry(rs(11), 4), entry(rs(12), 2)]]), { purgeUnmanaged: false, drain: ctx() });
    const later = ctx({ now: T0 + 60_000, current: mapOf(first.drains) });
    const still = planChanges(desired, kernel([svc(80), [entry(rs(11), 4), entry(rs(12, 0), 1)]]), { purgeUnmanaged: false, drain: later });
    expect(still.operations).toEqual([]);
    expect(still.drains).toEqual(first.drains);
    const idle = planChanges(desired, kernel([svc(80), [entry(rs(11), 4), entry(rs(12, 0), 0)]]), { purgeUnmanaged: false, drain: later });
    expect(idle.operations).toEqual([{ kind: 'delete-dest', service: id(80), dest: { address: '198.18.1.12', port: 80 }, drained: 'idle' }]);
    expect(idle.drains).toEqual([]);
    expect(formatPlan(idle)).toContain('-   dest 198.18.1.12:80 (drained: no active connections left)');
  });

  it('deletes a draining real server with connections once drain_timeout has passed', () => {
    const current = mapOf([{ service: id(80), dest: { address: '198.18.1.12', port: 80 }, since: T0, deadline: T0 + FIVE_MIN }]);
    const plan = planChanges(desired, kernel([svc(80), [entry(rs(11), 4), entry(rs(12, 0), 9)]]), { purgeUnmanaged: false, drain: ctx({ now: T0 + FIVE_MIN, current }) });
    expect(plan.operations).toEqual([{ kind: 'delete-dest', service: id(80), dest: { address: '198.18.1.12', port: 80 }, drained: 'timeout' }]);
  });

  it('shortens a drain when drain_timeout is lowered during it, never lengthens it', () => {
    const current = mapOf([{ service: id(80), dest: { address: '198.18.1.12', port: 80 }, since: T0, deadline: T0 + FIVE_MIN }]);
    const k = kernel([svc(80), [entry(rs(11), 4), entry(rs(12, 0), 9)]]);
    const at = (timeout: number, now: number) => planChanges(desired, k, { purgeUnmanaged: false, drain: ctx({ now, current, timeouts: new Map([['tcp/198.18.0.100/80', timeout]]) }) });
    expect(at(60_000, T0 + 1000).drains[0]?.deadline).toBe(T0 + 60_000);
    expect(at(60_000, T0 + 60_000).operations).toMatchObject([{ kind: 'delete-dest', drained: 'timeout' }]);
    expect(at(3_600_000, T0 + 1000).drains[0]?.deadline).toBe(T0 + FIVE_MIN);
  });

  it('deletes at once a removed real server that is idle, one with drain_timeout 0, and one a failed check removes', () => {
    const k = kernel([svc(80), [entry(rs(11), 4), entry(rs(12), 0)]]);
    expect(planChanges(desired, k, { purgeUnmanaged: false, drain: ctx() }).operations).toEqual([{ kind: 'delete-dest', service: id(80), dest: { address: '198.18.1.12', port: 80 } }]);
    const busy = kernel([svc(80), [entry(rs(11), 4), entry(rs(12), 5)]]);
    expect(planChanges(desired, busy, { purgeUnmanaged: false, drain: ctx({ timeouts: new Map([['tcp/198.18.0.100/80', 0]]) }) }).operations).toEqual([
      { kind: 'delete-dest', service: id(80), dest: { address: '198.18.1.12', port: 80 } },
    ]);
    const abrupt = new Set([drainKey(id(80), { address: '198.18.1.12', port: 80 })]);
    expect(planChanges(desired, busy, { purgeUnmanaged: false, drain: ctx({ abrupt }) }).operations).toEqual([{ kind: 'delete-dest', service: id(80), dest: { address: '198.18.1.12', port: 80 } }]);
  });

  it('gives a real server declared again during its drain its weight back and ends the drain', () => {
    const current = mapOf([{ service: id(80), dest: { address: '198.18.1.12', port: 80 }, since: T0, deadline: T0 + FIVE_MIN }]);
    const back = { services: [{ service: svc(80), destinations: [rs(11), rs(12, 70)] }] };
    const plan = planChanges(back, kernel([svc(80), [entry(rs(11), 4), entry(rs(12, 0), 3)]]), { purgeUnmanaged: false, drain: ctx({ now: T0 + 1000, current }) });
    expect(plan.operations).toMatchObject([{ kind: 'edit-dest', dest: { address: '198.18.1.12', weight: 70 } }]);
    expect(plan.drains).toEqual([]);
  });

  it('without a drain context deletes at once, as before', () => {
    const plan = planChanges(desired, kernel([svc(80), [entry(rs(11), 4), entry(rs(12), 2)]]), { purgeUnmanaged: false });
    expect(kinds(plan.operations)).toEqual(['delete-dest']);
    expect(plan.drains).toEqual([]);
  });
});

describe('planChanges draining a retired service', () => {
  it('sets all its real servers to weight 0, then deletes the service when idle', () => {
    const retire = [{ service: id(81), drainTimeout: FIVE_MIN }];
    const busy = kernel([svc(81), [entry(rs(11), 2), entry(rs(12, 0), 0)]]);
    const first = planChanges({ services: [] }, busy, { purgeUnmanaged: false, retire, drain: ctx() });
    expect(first.operations).toMatchObject([{ kind: 'drain-dest', dest: { address: '198.18.1.11', weight: 0 } }]);
    expect(first.drains).toEqual([{ service: id(81), since: T0, deadline: T0 + FIVE_MIN }]);
    const idle = kernel([svc(81), [entry(rs(11, 0), 0), entry(rs(12, 0), 0)]]);
    const done = planChanges({ services: [] }, idle, { purgeUnmanaged: false, retire, drain: ctx({ now: T0 + 5000, current: mapOf(first.drains) }) });
    expect(done.operations).toEqual([{ kind: 'delete-service', service: id(81), drained: 'idle' }]);
    expect(formatPlan(done)).toBe('- service tcp 198.18.0.100:81 (drained: no active connections left)');
  });

  it('deletes it with connections at its deadline', () => {
    const retire = [{ service: id(81), drainTimeout: FIVE_MIN }];
    const current = mapOf([{ service: id(81), since: T0, deadline: T0 + FIVE_MIN }]);
    const plan = planChanges({ services: [] }, kernel([svc(81), [entry(rs(11, 0), 7)]]), { purgeUnmanaged: false, retire, drain: ctx({ now: T0 + FIVE_MIN + 1, current }) });
    expect(plan.operations).toEqual([{ kind: 'delete-service', service: id(81), drained: 'timeout' }]);
  });

  it('drains the old identity of a replaced service after its replacement is in', () => {
    const retire = [{ service: id(80), replacedBy: id(8080), drainTimeout: FIVE_MIN }];
    const plan = planChanges({ services: [{ service: svc(8080), destinations: [rs(11)] }] }, kernel([svc(80), [entry(rs(11), 3)]]), { purgeUnmanaged: false, retire, drain: ctx() });
    expect(kinds(plan.operations)).toEqual(['add-service', 'add-dest', 'drain-dest']);
    expect(plan.operations[2]).toMatchObject({ replacedBy: id(8080) });
  });

  it('does not drain the old identity while its replacement failed', async () => {
    const retire = [{ service: id(80), replacedBy: id(8080), drainTimeout: FIVE_MIN }];
    const plan = planChanges({ services: [{ service: svc(8080), destinations: [rs(11)] }] }, kernel([svc(80), [entry(rs(11), 3)]]), { purgeUnmanaged: false, retire, drain: ctx() });
    const calls: string[] = [];
    const ok = (what: string) => async (): Promise<void> => void calls.push(what);
    const writer: IpvsWriter = {
      addService: async () => {
        throw new Error('No such file or directory (scheduler module missing)');
      },
      updateService: ok('update'),
      deleteService: ok('delete'),
      addDestination: ok('add-dest'),
      updateDestination: ok('edit-dest'),
      deleteDestination: ok('delete-dest'),
    };
    const result = await applyPlan(writer, plan);
    expect(calls).toEqual([]);
    expect(result.skipped.map((s) => s.operation.kind)).toEqual(['add-dest', 'drain-dest']);
  });
});

describe('nextDeadline', () => {
  it('is the earliest deadline', () => {
    expect(nextDeadline([])).toBeUndefined();
    expect(nextDeadline([{ service: id(80), since: 0, deadline: 9 }, { service: id(81), since: 0, deadline: 4 }])).toBe(4);
  });
});
