// An IPVS table in memory behind the daemon's IpvsKernel seam, so the daemon's reload and
// restart paths run on a kernel without IPVS. Like the kernel, it refuses a service whose
// scheduler module cannot be loaded (schedulers listed in `missingSchedulers`).
import type { IpvsKernel } from '../../../src/daemon/ipvs-kernel.js';
import { destKey, serviceKey } from '../../../src/ipvs/names.js';
import type { Destination, DestinationEntry, DestinationId, KernelIpvs, Service, ServiceEntry, ServiceId } from '../../../src/ipvs/types.js';

const zero = { conns: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };

export class FakeIpvs implements IpvsKernel {
  readonly table = new Map<string, { service: Service; dests: Map<string, Destination> }>();
  readonly missingSchedulers = new Set<string>();

  private row(id: ServiceId): { service: Service; dests: Map<string, Destination> } {
    const row = this.table.get(serviceKey(id));
    if (!row) throw new Error('No such process (service not found)');
    return row;
  }

  private checkScheduler(s: Service): void {
    if (this.missingSchedulers.has(s.scheduler)) throw new Error(`No such file or directory (no scheduler module ip_vs_${s.scheduler})`);
  }

  async addService(s: Service): Promise<void> {
    this.checkScheduler(s);
    if (this.table.has(serviceKey(s))) throw new Error('File exists');
    this.table.set(serviceKey(s), { service: { ...s }, dests: new Map() });
  }

  async updateService(s: Service): Promise<void> {
    this.checkScheduler(s);
    this.row(s).service = { ...s };
  }

  async deleteService(id: ServiceId): Promise<void> {
    this.row(id);
    this.table.delete(serviceKey(id));
  }

  async addDestination(id: ServiceId, d: Destination): Promise<void> {
    this.row(id).dests.set(destKey(d), { ...d });
  }

  async updateDestination(id: ServiceId, d: Destination): Promise<void> {
    this.row(id).dests.set(destKey(d), { ...d });
  }

  async deleteDestination(id: ServiceId, d: DestinationId): Promise<void> {
    this.row(id).dests.delete(destKey(d));
  }

  private entry(d: Destination): DestinationEntry {
    return { ...d, activeConns: 0, inactiveConns: 0, persistentConns: 0, stats: zero };
  }

  async read(): Promise<KernelIpvs> {
    return { services: [...this.table.values()].map((r) => ({ service: { ...r.service, stats: zero } as ServiceEntry, destinations: [...r.dests.values()].map((d) => this.entry(d)) })) };
  }

  async service(id: ServiceId): Promise<ServiceEntry | undefined> {
    const row = this.table.get(serviceKey(id));
    return row ? ({ ...row.service, stats: zero } as ServiceEntry) : undefined;
  }

  async destinations(id: ServiceId): Promise<DestinationEntry[]> {
    return [...(this.table.get(serviceKey(id))?.dests.values() ?? [])].map((d) => this.entry(d));
  }

  async setTimeouts(): Promise<void> {}
  async startSyncDaemon(): Promise<void> {}
  async stopSyncDaemon(): Promise<void> {}
  close(): void {}

  /** "tcp/198.18.0.100/80 wrr" per service, sorted: what a test compares. */
  summary(): string[] {
    return [...this.table.entries()].map(([key, r]) => `${key} ${r.service.scheduler} ${[...r.dests.values()].map((d) => `${d.address}:${d.port}w${d.weight}`).join(',')}`).sort();
  }
}
