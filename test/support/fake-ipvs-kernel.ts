// Kernel IPVS in memory, behind the daemon's IpvsKernel seam (src/daemon/ipvs-kernel.ts), so
// IpvsManager, the Daemon and the sync follower run in unit tests on a host without IPVS.
//
// It keeps the kernel's keys and refusals, so a plan that would fail on the kernel fails here:
//  - a service is named by (family, protocol, address, port) or by (family, fwmark), a real
//    server by (address, port) inside its service (ip_vs_service_find / ip_vs_lookup_dest);
//  - add of an existing object: EEXIST; a missing service: ESRCH (also for its real servers,
//    ip_vs_genl_set_cmd); a missing real server: ENOENT; a scheduler whose module cannot load:
//    ENOENT; a weight outside 0..INT_MAX or lower_threshold > upper_threshold: ERANGE
//    (ip_vs_add_dest / ip_vs_edit_dest);
//  - a real server of the other family needs tunnel forwarding and no sync daemon, and a sync
//    daemon will not start while such a server exists: EINVAL;
//  - the real servers of a missing service dump as empty (ip_vs_genl_dump_dests), and GET of a
//    missing service is ESRCH, which IpvsClient.service() reads as undefined;
//  - a sync daemon already running in that state: EEXIST; stopping one that is not: ESRCH.
// Errors are KernelErrors worded like IpvsClient's (the same messages test/kernel asserts).
//
// For tests: counters that can be set, refusals to inject (fail the Nth write, fail a read),
// and a log of every call with the event-loop turn it was made in, to assert batching.
import { KernelError } from '../../src/kernel/errors.js';
import type { IpvsKernel } from '../../src/daemon/ipvs-kernel.js';
import { serviceFamily, serviceKey, serviceName } from '../../src/ipvs/names.js';
import { familyOf, hostPort } from '../../src/net/address.js';
import type { Destination, DestinationEntry, DestinationId, KernelIpvs, Service, ServiceEntry, ServiceId, Stats, SyncDaemon, Timeouts } from '../../src/ipvs/types.js';

const ERRNO = { ENOENT: 2, ESRCH: 3, ENOMEM: 12, ENODEV: 19, EINVAL: 22, ERANGE: 34 } as const;
type Code = keyof typeof ERRNO | 'EEXIST';
const errnoOf = (code: Code): number => (code === 'EEXIST' ? 17 : ERRNO[code]);

/** INT_MAX: the kernel stores a weight in an int and refuses a negative one. */
const MAX_WEIGHT = 2_147_483_647;

export type WriteMethod = 'addService' | 'updateService' | 'deleteService' | 'addDestination' | 'updateDestination' | 'deleteDestination';
export type ReadMethod = 'read' | 'service' | 'destinations';
export type OtherMethod = 'setTimeouts' | 'startSyncDaemon' | 'stopSyncDaemon';
export type Method = WriteMethod | ReadMethod | OtherMethod;

const WRITES: ReadonlySet<Method> = new Set<Method>(['addService', 'updateService', 'deleteService', 'addDestination', 'updateDestination', 'deleteDestination']);
const READS: ReadonlySet<Method> = new Set<Method>(['read', 'service', 'destinations']);

export interface Call {
  method: Method;
  /** "tcp 198.18.0.100:80", "tcp 198.18.0.100:80 198.18.1.11:80 w100", "master lvsd-sync". */
  target: string;
  /** Event-loop turn: calls issued without the loop turning in between share one. */
  turn: number;
  /** The refusal it got, as "ESRCH"; undefined when it succeeded. */
  error?: string;
}

export interface Injection {
  /** Which calls count: every write, every read, or one method. */
  on: 'write' | 'read' | Method;
  /** Fails the nth matching call from now (1 = the next one). Default 1. */
  nth?: number;
  /** How many matching calls fail from the nth on. Default 1; Infinity = until cleared. */
  times?: number;
  /** Default ENOMEM, which the kernel answers when it cannot allocate. */
  code?: Code;
}

interface Rule {
  on: Injection['on'];
  seen: number;
  nth: number;
  left: number;
  code: Code;
}

interface DestRow {
  dest: Destination;
  counters: Omit<DestinationEntry, keyof Destination>;
}

interface ServiceRow {
  service: Service;
  stats: Stats;
  dests: Map<string, DestRow>;
}

export const zeroStats = (): Stats => ({ conns: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n, cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 });


export class FakeIpvsKernel implements IpvsKernel {
  private readonly table = new Map<string, ServiceRow>();
  private readonly rules: Rule[] = [];
  /** Scheduler modules the kernel cannot load: adding or switching to one is ENOENT. */
  readonly missingSchedulers = new Set<string>();
  /** Interfaces a sync daemon can bind to; undefined = any. */
  interfaces: Set<string> | undefined;
  readonly syncDaemons = new Map<SyncDaemon['state'], SyncDaemon>();
  /** Seconds; the kernel's defaults (ip_vs_proto_tcp.c, ip_vs_proto_udp.c). */
  readonly timeouts: Timeouts = { tcp: 900, tcpFin: 120, udp: 300 };
  readonly calls: Call[] = [];
  /** Handles from open() not closed yet. */
  openHandles = 0;
  private turn = 0;
  private turnOpen = false;

  /**
   * A handle on this table, as the daemon's openIpvs returns one: a call after its close() fails,
   * as on a closed socket. The table itself outlives it (a restarted daemon opens a new handle).
   */
  open(): IpvsKernel {
    let closed = false;
    this.openHandles++;
    const guard =
      <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
      (...args: A): Promise<R> =>
        closed ? Promise.reject(new Error('fake IPVS: call on a closed handle')) : f.apply(this, args);
    return {
      addService: guard(this.addService),
      updateService: guard(this.updateService),
      deleteService: guard(this.deleteService),
      addDestination: guard(this.addDestination),
      updateDestination: guard(this.updateDestination),
      deleteDestination: guard(this.deleteDestination),
      read: guard(this.read),
      service: guard(this.service),
      destinations: guard(this.destinations),
      setTimeouts: guard(this.setTimeouts),
      startSyncDaemon: guard(this.startSyncDaemon),
      stopSyncDaemon: guard(this.stopSyncDaemon),
      close: () => {
        if (!closed) this.openHandles--;
        closed = true;
      },
    };
  }

  /** The table is the kernel: closing it does nothing (handles from open() close). */
  close(): void {}

  /** Makes matching calls fail with a kernel refusal (see Injection). */
  inject(i: Injection): void {
    this.rules.push({ on: i.on, seen: 0, nth: i.nth ?? 1, left: i.times ?? 1, code: i.code ?? 'ENOMEM' });
  }

  clearInjections(): void {
    this.rules.length = 0;
  }

  /** Sets a service's counters (what `lvsd_ipvs_*` and `ipvsadm -L --stats` show). */
  setStats(id: ServiceId, stats: Partial<Stats>): void {
    const row = this.table.get(serviceKey(id));
    if (!row) throw new Error(`fake IPVS: no service ${serviceName(id)}`);
    row.stats = { ...row.stats, ...stats };
  }

  /** Sets a real server's counters and connection counts. */
  setDestinationStats(id: ServiceId, d: DestinationId, values: { stats?: Partial<Stats>; activeConns?: number; inactiveConns?: number; persistentConns?: number }): void {
    const row = this.table.get(serviceKey(id))?.dests.get(hostPort(d));
    if (!row) throw new Error(`fake IPVS: no real server ${hostPort(d)} in ${serviceName(id)}`);
    const { stats, ...conns } = values;
    row.counters = { ...row.counters, ...conns, stats: { ...row.counters.stats, ...stats } };
  }

  /** Write calls only, as "method target" lines, e.g. "updateDestination tcp 198.18.0.100:80 198.18.1.11:80 w0". */
  writes(): string[] {
    return this.calls.filter((c) => WRITES.has(c.method)).map((c) => `${c.method} ${c.target}`);
  }

  /** How many times `method` was called. */
  count(method: Method): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  clearCalls(): void {
    this.calls.length = 0;
  }

  /** "tcp/198.18.0.100/80 wrr 198.18.1.11:80w100,…" per service, both sorted: what a test compares. */
  summary(): string[] {
    const dests = (r: ServiceRow): string => [...r.dests.values()].map(({ dest: d }) => `${hostPort(d)}w${d.weight}`).sort().join(',');
    return [...this.table.entries()].map(([key, r]) => `${key} ${r.service.scheduler} ${dests(r)}`).sort();
  }

  /** The weight of one real server in the kernel, undefined when it is not there. */
  weight(id: ServiceId, d: DestinationId): number | undefined {
    return this.table.get(serviceKey(id))?.dests.get(hostPort(d))?.dest.weight;
  }

  // --- IpvsKernel ---

  async addService(s: Service): Promise<void> {
    this.enter('addService', serviceName(s), `add service ${serviceName(s)}`, (fail) => {
      this.checkScheduler(s, fail);
      if (this.table.has(serviceKey(s))) fail('EEXIST', 'already exists');
      this.table.set(serviceKey(s), { service: structuredClone(s), stats: zeroStats(), dests: new Map() });
    });
  }

  async updateService(s: Service): Promise<void> {
    this.enter('updateService', serviceName(s), `edit service ${serviceName(s)}`, (fail) => {
      const row = this.table.get(serviceKey(s)) ?? fail('ESRCH', 'does not exist');
      this.checkScheduler(s, fail);
      row.service = structuredClone(s);
    });
  }

  async deleteService(id: ServiceId): Promise<void> {
    this.enter('deleteService', serviceName(id), `delete service ${serviceName(id)}`, (fail) => {
      if (!this.table.delete(serviceKey(id))) fail('ESRCH', 'does not exist');
    });
  }

  async addDestination(id: ServiceId, d: Destination): Promise<void> {
    this.enter('addDestination', `${serviceName(id)} ${hostPort(d)} w${d.weight}`, `add real server ${hostPort(d)} to ${serviceName(id)}`, (fail) => {
      const row = this.destinationRow(id, d, fail);
      if (row.dests.has(hostPort(d))) fail('EEXIST', 'already exists');
      row.dests.set(hostPort(d), { dest: structuredClone(d), counters: { activeConns: 0, inactiveConns: 0, persistentConns: 0, stats: zeroStats() } });
    });
  }

  async updateDestination(id: ServiceId, d: Destination): Promise<void> {
    this.enter('updateDestination', `${serviceName(id)} ${hostPort(d)} w${d.weight}`, `edit real server ${hostPort(d)} of ${serviceName(id)}`, (fail) => {
      const row = this.destinationRow(id, d, fail);
      const existing = row.dests.get(hostPort(d)) ?? fail('ENOENT', 'does not exist');
      existing.dest = structuredClone(d);
    });
  }

  async deleteDestination(id: ServiceId, d: DestinationId): Promise<void> {
    this.enter('deleteDestination', `${serviceName(id)} ${hostPort(d)}`, `delete real server ${hostPort(d)} of ${serviceName(id)}`, (fail) => {
      const row = this.table.get(serviceKey(id)) ?? fail('ESRCH', `service ${serviceName(id)} does not exist`);
      if (!row.dests.delete(hostPort(d))) fail('ENOENT', 'does not exist');
    });
  }

  async read(): Promise<KernelIpvs> {
    return this.enter('read', 'all', 'list services', () => ({
      services: [...this.table.values()].map((r) => ({ service: this.serviceEntry(r), destinations: this.destinationEntries(r) })),
    }));
  }

  async service(id: ServiceId): Promise<ServiceEntry | undefined> {
    return this.enter('service', serviceName(id), `get service ${serviceName(id)}`, () => {
      const row = this.table.get(serviceKey(id));
      return row ? this.serviceEntry(row) : undefined;
    });
  }

  async destinations(id: ServiceId): Promise<DestinationEntry[]> {
    return this.enter('destinations', serviceName(id), `list real servers of ${serviceName(id)}`, () => {
      const row = this.table.get(serviceKey(id));
      return row ? this.destinationEntries(row) : [];
    });
  }

  async setTimeouts(t: Partial<Timeouts>): Promise<void> {
    this.enter('setTimeouts', JSON.stringify(t), 'set IPVS timeouts', () => {
      for (const k of ['tcp', 'tcpFin', 'udp'] as const) if (t[k]) this.timeouts[k] = t[k];
    });
  }

  async startSyncDaemon(d: SyncDaemon): Promise<void> {
    this.enter('startSyncDaemon', `${d.state} ${d.interface} ${d.syncId}`, `start ${d.state} sync daemon on ${d.interface}`, (fail) => {
      if (this.syncDaemons.has(d.state)) fail('EEXIST', 'already running');
      if (this.interfaces && !this.interfaces.has(d.interface)) fail('ENODEV', `no interface ${d.interface}`);
      if (this.hasMixedFamily()) fail('EINVAL', "refused: the kernel does not sync connections while a real server's address family differs from its service's (IPv4 behind IPv6 or the reverse), or the group is not multicast");
      this.syncDaemons.set(d.state, structuredClone(d));
    });
  }

  async stopSyncDaemon(state: SyncDaemon['state']): Promise<void> {
    this.enter('stopSyncDaemon', state, `stop ${state} sync daemon`, (fail) => {
      if (!this.syncDaemons.delete(state)) fail('ESRCH', 'not running');
    });
  }

  // --- the kernel's checks ---

  private checkScheduler(s: Service, fail: Fail): void {
    if (this.missingSchedulers.has(s.scheduler)) fail('ENOENT', `scheduler '${s.scheduler}' not available in this kernel (modprobe ip_vs_${s.scheduler}?)`);
  }

  /** The service a real server is written to, after the checks ip_vs_genl_set_cmd and ip_vs_add/edit_dest make. */
  private destinationRow(id: ServiceId, d: Destination, fail: Fail): ServiceRow {
    const row = this.table.get(serviceKey(id)) ?? fail('ESRCH', `service ${serviceName(id)} does not exist`);
    if (familyOf(d.address) !== serviceFamily(id)) {
      if (d.forwarding !== 'tun' || this.syncDaemons.size > 0) fail('EINVAL', `invalid destination ${hostPort(d)} (not a unicast address, or forwarding method not allowed for this address family)`);
    }
    if (!Number.isInteger(d.weight) || d.weight < 0 || d.weight > MAX_WEIGHT || d.lowerThreshold > d.upperThreshold) fail('ERANGE', 'weight or thresholds out of range');
    return row;
  }

  private hasMixedFamily(): boolean {
    for (const row of this.table.values()) {
      const family = serviceFamily(row.service);
      for (const { dest } of row.dests.values()) if (familyOf(dest.address) !== family) return true;
    }
    return false;
  }

  private serviceEntry(r: ServiceRow): ServiceEntry {
    return { ...structuredClone(r.service), stats: { ...r.stats } };
  }

  private destinationEntries(r: ServiceRow): DestinationEntry[] {
    return [...r.dests.values()].map(({ dest, counters }) => ({ ...structuredClone(dest), ...counters, stats: { ...counters.stats } }));
  }

  /** Logs the call, applies injected refusals, then runs the kernel's side of it. */
  private enter<T>(method: Method, target: string, operation: string, body: (fail: Fail) => T): T {
    if (!this.turnOpen) {
      this.turn++;
      this.turnOpen = true;
      setImmediate(() => (this.turnOpen = false));
    }
    const call: Call = { method, target, turn: this.turn };
    this.calls.push(call);
    const fail: Fail = (code, sentence) => {
      call.error = code;
      throw new KernelError(`${operation}: ${sentence} (${code})`, errnoOf(code), code, operation);
    };
    const injected = this.injected(method);
    if (injected) fail(injected, 'rejected by the kernel');
    return body(fail);
  }

  private injected(method: Method): Code | undefined {
    let code: Code | undefined;
    for (const r of this.rules) {
      const matches = r.on === method || (r.on === 'write' && WRITES.has(method)) || (r.on === 'read' && READS.has(method));
      if (!matches) continue;
      r.seen++;
      if (r.seen >= r.nth && r.left > 0) {
        r.left--;
        code ??= r.code;
      }
    }
    return code;
  }
}

type Fail = (code: Code, sentence: string) => never;

