import { describe, expect, it } from 'vitest';
import { applyPlan, describeOperation, type IpvsWriter } from '../../../src/ipvs/apply.js';
import { serviceName } from '../../../src/ipvs/names.js';
import { hostPort } from '../../../src/net/address.js';
import { planChanges } from '../../../src/ipvs/plan.js';
import type { Destination, DestinationId, Service, ServiceId } from '../../../src/ipvs/types.js';

/** Records calls, how many were outstanding at once, and fails the ones named in `fail`. */
class FakeWriter implements IpvsWriter {
  readonly calls: string[] = [];
  outstanding = 0;
  maxOutstanding = 0;
  constructor(private readonly fail: Set<string> = new Set()) {}
  private async call(what: string): Promise<void> {
    this.calls.push(what);
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    await new Promise((r) => setImmediate(r));
    this.outstanding--;
    if (this.fail.has(what)) throw new Error(`${what}: refused`);
  }
  addService(s: Service) { return this.call(`add ${serviceName(s)}`); }
  updateService(s: Service) { return this.call(`edit ${serviceName(s)}`); }
  deleteService(id: ServiceId) { return this.call(`delete ${serviceName(id)}`); }
  addDestination(id: ServiceId, d: Destination) { return this.call(`add ${serviceName(id)} ${hostPort(d)}`); }
  updateDestination(id: ServiceId, d: Destination) { return this.call(`edit ${serviceName(id)} ${hostPort(d)}`); }
  deleteDestination(id: ServiceId, d: DestinationId) { return this.call(`delete ${serviceName(id)} ${hostPort(d)}`); }
}

const zeroStats = { conns: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
const svc = (port: number): Service => ({ protocol: 'tcp', address: '198.18.0.100', port, scheduler: 'rr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 });
const rs = (last: number): Destination => ({ address: `198.18.1.${last}`, port: 80, forwarding: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 });
const entry = (d: Destination) => ({ ...d, activeConns: 0, inactiveConns: 0, persistentConns: 0, stats: zeroStats });

describe('applyPlan', () => {
  it('pipelines each phase and runs the phases in order', async () => {
    const desired = { services: [80, 81, 82].map((p) => ({ service: svc(p), destinations: [rs(1), rs(2)] })) };
    const plan = planChanges(desired, { services: [] }, { purgeUnmanaged: false });
    const w = new FakeWriter();
    const result = await applyPlan(w, plan);
    expect(result.failed).toEqual([]);
    expect(result.applied).toHaveLength(9);
    expect(w.maxOutstanding).toBe(6); // the six real servers went out together
    expect(w.calls.slice(0, 3)).toEqual(['add tcp 198.18.0.100:80', 'add tcp 198.18.0.100:81', 'add tcp 198.18.0.100:82']);
  });

  it('skips the real servers of a service that could not be added and reports the failure', async () => {
    const desired = { services: [{ service: svc(80), destinations: [rs(1)] }, { service: svc(81), destinations: [rs(1)] }] };
    const plan = planChanges(desired, { services: [] }, { purgeUnmanaged: false });
    const w = new FakeWriter(new Set(['add tcp 198.18.0.100:80']));
    const result = await applyPlan(w, plan);
    expect(result.failed.map((f) => describeOperation(f.operation))).toEqual(['add service tcp 198.18.0.100:80']);
    expect(result.skipped.map((s) => [describeOperation(s.operation), s.reason])).toEqual([
      ['add real server 198.18.1.1:80 to tcp 198.18.0.100:80', 'service tcp 198.18.0.100:80 could not be added'],
    ]);
    expect(w.calls).toContain('add tcp 198.18.0.100:81 198.18.1.1:80');
  });

  it('keeps old real servers when a new one could not be added', async () => {
    const kernel = { services: [{ service: { ...svc(80), stats: zeroStats }, destinations: [entry(rs(1))] }] };
    const plan = planChanges({ services: [{ service: svc(80), destinations: [rs(2)] }] }, kernel, { purgeUnmanaged: false });
    const w = new FakeWriter(new Set(['add tcp 198.18.0.100:80 198.18.1.2:80']));
    const result = await applyPlan(w, plan);
    expect(result.failed).toHaveLength(1);
    expect(result.skipped.map((s) => s.reason)).toEqual(['kept while tcp 198.18.0.100:80 has failed changes']);
    expect(w.calls).not.toContain('delete tcp 198.18.0.100:80 198.18.1.1:80');
  });

  it('does nothing for an empty plan', async () => {
    const w = new FakeWriter();
    const result = await applyPlan(w, { operations: [], unmanaged: [], drains: [] });
    expect(w.calls).toEqual([]);
    expect(result.applied).toEqual([]);
  });
});
