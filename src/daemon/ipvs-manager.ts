// The IPVS side of the daemon: keeps the kernel equal to the configured services as seen
// through health checks and operator overrides.
//
// Reconciles are scoped. A health change or an override touches one service: lvsd reads that
// service back from the kernel and plans against it, so a flapping farm of 10,000 services
// costs two small dumps per change, not a full one. Start, reload and a periodic resync read
// everything, which is also what repairs drift made behind lvsd's back (ipvsadm by hand).
// What a reload changes (and which managed services retire) is decided by reload-decision.ts;
// this class only reads, plans and applies it.
// Changes that arrive together are batched into one reconcile (a short debounce), so a rack
// going down is one netlink burst, not hundreds.
//
// Removals drain (src/ipvs/drain.ts): a real server that leaves the config or is disabled, and a
// service that leaves the config, keep weight 0 until their active connections end or their
// drain_timeout passes. While drains are under way, the draining services alone are read back
// every `metrics.ipvs_stats_interval` (and at the next deadline), never the whole table. Drains
// are saved in the state dir (drain-state.ts), so they survive reloads, restarts and kill -9.
// Operator overrides are the daemon's record (runtime-changes.ts, saved and shared with the peer);
// this class puts the ones in force into the kernel (replaceOverrides).
//
// Services with `active_on: master` are in the kernel only while this node is VRRP master of the
// instance they follow (vrrpState). Their checks run on the backup too, so a new master adds
// them with the health already known (a server that is down is not added up). The change is
// applied at once, not after the batching delay: the VRRP thread is adding the VIP at the same
// moment (it only posts the state change and never waits for IPVS). Leaving master deletes them
// at once, no drain: a backup must not forward, and the clients' traffic is the new master's.
import { mastershipServices } from '../config/derived.js';
import type { Config, ServiceConfig } from '../config/types.js';
import { checkTargets, effectiveDestinations, type EffectService, type HealthMonitor, type MonitoredRealServer, type OperatorOverride } from '../health/index.js';
import { applyPlan, describeOperation, type ApplyResult } from '../ipvs/apply.js';
import type { IpvsKernel } from './ipvs-kernel.js';
import { destinationFromConfig, serviceFromConfig, serviceIdFromConfig, sorryDestination } from '../ipvs/desired.js';
import { drainKey, nextDeadline, type Drain, type DrainContext } from '../ipvs/drain.js';
import { serviceKey, serviceName } from '../ipvs/names.js';
import { hostPort } from '../net/address.js';
import { planChanges, type Operation, type Plan, type Retirement } from '../ipvs/plan.js';
import type { DesiredIpvs, Destination, KernelIpvs, ServiceId, ServiceWithDestinations } from '../ipvs/types.js';
import type { Logger } from './log.js';
import type { StoredHealth } from './health-state.js';
import type { StoredOverride } from './override-state.js';
import type { ServiceDiff } from './reload-decision.js';

/** How long changes are gathered before one reconcile applies them together. */
const BATCH_MS = 20;
/** Back-off after a reconcile that could not even read the kernel, and the first after refused changes. */
const RETRY_MS = 1_000;
/** Draining services are read back at most this often, whatever metrics.ipvs_stats_interval says. */
const MIN_DRAIN_CHECK_MS = 1_000;

export interface ReconcileReport {
  scope: 'all' | string[];
  plan: Plan;
  result: ApplyResult;
}

export interface IpvsManagerDeps {
  client: IpvsKernel;
  health: HealthMonitor;
  log: Logger;
  onReconciled?: (report: ReconcileReport, seconds: number) => void;
  /** A service gained or lost quorum (not called for its first verdict): the quorum hooks run from here. */
  onQuorumChange?: (service: ServiceConfig, met: boolean, healthyWeight: number) => void;
  /** Where drains are saved; absent: kept in memory only. A failed save is logged. */
  persist?: {
    drains(drains: readonly Drain[]): Promise<void>;
  };
  /** Wall clock (epoch ms) for drain deadlines and override times; default Date.now. */
  now?: () => number;
  /** The VRRP instances this node is master of when IPVS starts (later changes: vrrpState). */
  masters?: readonly string[];
}

/** What a previous run left in the state dir. */
export interface RestoredState {
  drains: readonly Drain[];
  overrides: readonly StoredOverride[];
  /** The checks' verdicts: real servers start from them instead of from zero. */
  health?: readonly StoredHealth[];
}

/** A configured service as the health policy reads it: real servers and sorry server as IPVS destinations. */
function effectService(svc: ServiceConfig): EffectService<Destination> {
  return {
    realServers: svc.real_servers.map((rs) => ({
      destination: destinationFromConfig(rs, rs.weight),
      checked: (rs.check ?? svc.check) !== undefined,
      ...(rs.on_failure ? { onFailure: rs.on_failure } : {}),
    })),
    onFailure: svc.on_failure,
    quorum: svc.quorum,
    quorumHysteresis: svc.quorum_hysteresis,
    ...(svc.sorry_server ? { sorryServer: sorryDestination(svc.sorry_server) } : {}),
  };
}

const overrideKey = (service: string, realServer?: string): string => `${service}|${realServer ?? ''}`;

export class IpvsManager {
  private config: Config;
  /** Operator overrides by overrideKey: a real server's, or a whole service's (drain or disable). They outlive reloads. */
  private readonly overrides = new Map<string, StoredOverride>();
  /** Removals still draining, by drainKey. */
  private drains = new Map<string, Drain>();
  private drainTimer: NodeJS.Timeout | undefined;
  private drainCheckPending = false;
  private readonly now: () => number;
  private readonly quorumMet = new Map<string, boolean>();
  /** Services with active_on: master, by name, each with the VRRP instance it follows. */
  private following: Map<string, string>;
  /** The VRRP instances this node is master of. */
  private readonly masters: Set<string>;
  /** Real-server weights in the kernel after the last reconcile, by service name then hostPort. */
  private readonly programmed = new Map<string, Map<string, number>>();
  private readonly dirty = new Set<string>();
  private fullPending = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The periodic full reconcile, every ipvs.resync_interval; re-armed when a reload changes it. */
  private resync: NodeJS.Timeout | undefined;
  private resyncMs = 0;
  /** Next try of refused changes; the wait doubles (up to the resync interval) until a full reconcile goes through clean. */
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MS;
  private stopped = false;
  /** The first reconcile, made by start(). */
  adoption: ReconcileReport | undefined;

  private constructor(
    private readonly deps: IpvsManagerDeps,
    config: Config,
  ) {
    this.config = config;
    this.following = mastershipServices(config);
    this.masters = new Set(deps.masters);
    this.now = deps.now ?? Date.now;
    deps.health.onChange((c) => this.markDirty(c.service));
    this.armResync();
  }

  private armResync(): void {
    const ms = this.config.ipvs.resync_interval;
    if (ms === this.resyncMs) return;
    clearInterval(this.resync);
    this.resyncMs = ms;
    this.resync = setInterval(() => this.requestFull(), ms).unref();
  }

  /**
   * Adopts what the kernel holds: real servers that are already in a configured service with a
   * non-zero weight start as healthy, so a restarted daemon keeps the farm serving while its
   * first checks run. Then one full reconcile, which is empty when nothing changed, and which
   * retires (drains, then deletes) `retire`: recorded services the config dropped while lvsd was
   * down. `restored` carries on the drains and overrides of the previous run.
   */
  static async start(config: Config, deps: IpvsManagerDeps, retire: readonly Retirement[] = [], restored?: RestoredState): Promise<IpvsManager> {
    const m = new IpvsManager(deps, config);
    for (const d of restored?.drains ?? []) m.drains.set(drainKey(d.service, d.dest), d);
    for (const o of restored?.overrides ?? []) m.overrides.set(overrideKey(o.service, o.realServer), o);
    const kernel = await deps.client.read();
    deps.health.update(m.monitored(kernel, restored?.health));
    deps.health.start();
    const first = await m.serialize(() => m.reconcile('all', kernel, [...retire, ...m.retiredDrains(retire)]));
    m.adoption = first;
    deps.log.info(
      { kernelServices: kernel.services.length, operations: first.result.applied.length, failed: first.result.failed.length, unmanaged: first.plan.unmanaged.length },
      `adopted the kernel's IPVS state (${kernel.services.length} services); first reconcile made ${first.result.applied.length} changes`,
    );
    return m;
  }

  /**
   * A validated new config and what it changes: re-targets checks, reconciles only the services
   * whose configuration changed (read back from the kernel one by one), so a one-weight change
   * among 10,000 services costs one small read and one write, and retires (drains, then deletes)
   * the services the config dropped, after their replacements are in. A change of the `ipvs` block itself (e.g. purge_unmanaged)
   * gets a full reconcile. The daemon reverts a failed reload by reloading the old config.
   */
  async reload(config: Config, diff: ServiceDiff): Promise<ReconcileReport> {
    this.config = config;
    this.following = mastershipServices(config);
    if (!this.stopped) this.armResync();
    return this.serialize(async () => {
      const ids = diff.full ? undefined : [...diff.changed.map(serviceIdFromConfig), ...diff.retired.map((r) => r.service)];
      const kernel = ids ? await this.readIds(ids) : await this.deps.client.read();
      this.deps.health.update(this.monitored(kernel));
      // Services still draining from an earlier change stay retired (they are in scope only when read).
      const retire = [...diff.retired, ...this.retiredDrains(diff.retired)];
      return this.reconcile(diff.full ? 'all' : diff.changed.map((s) => s.name), kernel, retire, ids);
    });
  }

  /** Forgets operator overrides of services the (committed) config no longer has (their record is the daemon's). */
  prune(): void {
    const names = new Set(this.config.services.map((s) => s.name));
    for (const name of this.quorumMet.keys()) if (!names.has(name)) this.quorumMet.delete(name);
    for (const [key, o] of this.overrides) if (!names.has(o.service)) this.overrides.delete(key);
  }

  /**
   * This node became VRRP master of `instance`, or stopped being it: the services that follow it
   * (active_on: master) are added or deleted now, with no batching delay. Resolves when that
   * reached the kernel (at once when no service follows the instance); never rejects.
   */
  vrrpState(instance: string, master: boolean): Promise<void> {
    if (master === this.masters.has(instance)) return Promise.resolve();
    if (master) this.masters.add(instance);
    else this.masters.delete(instance);
    let followers = 0;
    for (const [service, followed] of this.following) {
      if (followed !== instance) continue;
      this.dirty.add(service);
      followers++;
    }
    if (followers === 0 || this.stopped) return Promise.resolve();
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.flush();
  }

  /** False for a service with active_on: master while this node is not master of its instance. */
  isActive(service: string): boolean {
    const instance = this.following.get(service);
    return instance === undefined || this.masters.has(instance);
  }

  /** What a reconcile would do now, without doing it. */
  async plan(config: Config = this.config): Promise<Plan> {
    return planChanges(this.desired(config), await this.deps.client.read(), {
      purgeUnmanaged: config.ipvs.purge_unmanaged,
      retire: [...this.retiredDrains([]), ...this.inactive(config.services)],
      drain: this.drainContext(config.services),
    });
  }

  /**
   * Puts `overrides` in force instead of the ones held (the daemon's record of runtime changes,
   * which the peer protocol also feeds, is their source of truth): the services whose overrides
   * changed are reconciled. Nothing is saved here; the record is.
   */
  replaceOverrides(overrides: readonly StoredOverride[]): void {
    const next = new Map(overrides.map((o) => [overrideKey(o.service, o.realServer), o]));
    const touched = new Set<string>();
    for (const [key, o] of this.overrides) if (next.get(key)?.override !== o.override) touched.add(o.service);
    for (const [key, o] of next) if (this.overrides.get(key)?.override !== o.override) touched.add(o.service);
    this.overrides.clear();
    for (const [key, o] of next) this.overrides.set(key, o);
    const names = new Set(this.config.services.map((s) => s.name));
    for (const name of touched) if (names.has(name)) this.markDirty(name);
  }

  /** The overrides in force, with where and when each was set. */
  overridesList(): StoredOverride[] {
    return [...this.overrides.values()];
  }

  /** The removals still draining. */
  drainsList(): Drain[] {
    return [...this.drains.values()];
  }

  quorumState(service: string): boolean | undefined {
    return this.quorumMet.get(service);
  }

  /** The weight IPVS has for a real server after lvsd's last reconcile of its service; 0 when absent. */
  programmedWeight(service: string, server: string): number {
    return this.programmed.get(service)?.get(server) ?? 0;
  }

  /** Waits until every requested change has reached the kernel. */
  async settled(): Promise<void> {
    while (this.timer || this.running) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
        await this.flush();
      } else {
        await this.running;
      }
    }
  }

  /** Stops checks and timers; removes the managed services only when the config says so. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resync);
    clearTimeout(this.retryTimer);
    if (this.timer) clearTimeout(this.timer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.timer = undefined;
    await this.running;
    this.deps.health.stop();
    if (!this.config.ipvs.remove_on_exit) return;
    // Services still draining after they left the config are lvsd's too.
    const ids = [...this.config.services.map(serviceIdFromConfig), ...this.retiredDrains([]).map((r) => r.service)];
    const ops = ids.map((id) => this.deps.client.deleteService(id).catch(() => undefined));
    await Promise.all(ops);
    this.deps.log.info({ services: ops.length }, 'removed the managed IPVS services (ipvs.remove_on_exit)');
  }

  /** What to check; `restored` (at start only) gives each real server its verdict from the previous run. */
  private monitored(kernel: KernelIpvs, restored: readonly StoredHealth[] = []): MonitoredRealServer[] {
    const inKernel = new Map(kernel.services.map((row) => [serviceName(row.service), row]));
    const serviceMatch = new Map(this.config.services.map((s) => [s.name, serviceName(serviceIdFromConfig(s))]));
    const targets = checkTargets(this.config.services, (service, realServer) => {
      const row = inKernel.get(serviceMatch.get(service) ?? '');
      return row?.destinations.some((d) => hostPort(d) === realServer && d.weight > 0) ?? false;
    });
    if (restored.length === 0) return targets;
    const saved = new Map(restored.map((r) => [`${r.service}|${r.realServer}`, r.health]));
    return targets.map((t) => {
      const health = saved.get(`${t.service}|${hostPort(t)}`);
      return health ? { ...t, restored: health } : t;
    });
  }

  /** The overrides of one service's real servers by real-server key; a whole-service override drains them all. */
  private overridesOf(svc: ServiceConfig): Map<string, OperatorOverride> {
    const out = new Map<string, OperatorOverride>();
    const whole = this.overrides.has(overrideKey(svc.name));
    for (const rs of svc.real_servers) {
      const key = hostPort(rs);
      const o = whole ? 'drain' : this.overrides.get(overrideKey(svc.name, key))?.override;
      if (o) out.set(key, o);
    }
    return out;
  }

  private desiredService(svc: ServiceConfig): ServiceWithDestinations {
    const states = this.deps.health.statesFor(svc.name);
    const overrides = this.overridesOf(svc);
    const effect = effectiveDestinations(effectService(svc), states, overrides, this.quorumMet.get(svc.name));
    if (this.quorumMet.get(svc.name) !== effect.quorumMet) {
      if (this.quorumMet.has(svc.name)) {
        this.deps.log.warn(
          { service: svc.name, healthyWeight: effect.healthyWeight, quorum: svc.quorum, sorryServer: effect.sorryServerActive },
          effect.quorumMet ? 'quorum regained' : 'quorum lost',
        );
        this.deps.onQuorumChange?.(svc, effect.quorumMet, effect.healthyWeight);
      }
      this.quorumMet.set(svc.name, effect.quorumMet);
    }
    return { service: serviceFromConfig(svc), destinations: effect.destinations };
  }

  /** Inactive services (active_on: master on a backup) are left out; their quorum is still followed. */
  private desired(config: Config, only?: ReadonlySet<string>): DesiredIpvs {
    const services = config.services.filter((s) => !only || only.has(s.name));
    const desired = services.map((s) => this.desiredService(s));
    return { services: this.following.size === 0 ? desired : desired.filter((_, i) => this.isActive((services[i] as ServiceConfig).name)) };
  }

  /** These services that must not be in the kernel now, as retirements: deleted at once, never drained. */
  private inactive(services: readonly ServiceConfig[]): Retirement[] {
    if (this.following.size === 0) return [];
    return services.filter((s) => !this.isActive(s.name)).map((s) => ({ service: serviceIdFromConfig(s) }));
  }

  /**
   * How removals from these services leave: drained with the service's drain_timeout, except the
   * real servers a failed check or quorum takes out (and a sorry server no longer needed), which
   * go at once as before: only the operator's removals (config, `disable`) drain.
   */
  private drainContext(services: readonly ServiceConfig[]): DrainContext {
    const timeouts = new Map<string, number>();
    const abrupt = new Set<string>();
    for (const svc of services) {
      const id = serviceIdFromConfig(svc);
      timeouts.set(serviceKey(id), svc.drain_timeout);
      const overrides = this.overridesOf(svc);
      for (const rs of svc.real_servers) if (overrides.get(hostPort(rs)) !== 'disable') abrupt.add(drainKey(id, rs));
      if (svc.sorry_server) abrupt.add(drainKey(id, svc.sorry_server));
    }
    return { now: this.now(), current: this.drains, timeouts, abrupt };
  }

  /** Whole services still draining, as retirements (their deadline is in the drain record), minus those already in `retire`. */
  private retiredDrains(retire: readonly Retirement[]): Retirement[] {
    const given = new Set(retire.map((r) => serviceKey(r.service)));
    const out: Retirement[] = [];
    for (const d of this.drains.values()) {
      if (d.dest || given.has(serviceKey(d.service))) continue;
      out.push({ service: d.service, drainTimeout: Math.max(1, d.deadline - d.since) });
    }
    return out;
  }

  private markDirty(service: string): void {
    if (this.stopped) return;
    this.dirty.add(service);
    this.arm();
  }

  private requestFull(): void {
    if (this.stopped) return;
    this.fullPending = true;
    this.arm();
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, BATCH_MS);
  }

  private async flush(): Promise<void> {
    await this.serialize(async () => {
      const full = this.fullPending;
      const names = new Set(this.dirty);
      const drainCheck = this.drainCheckPending;
      this.fullPending = false;
      this.drainCheckPending = false;
      this.dirty.clear();
      if (full) await this.reconcileAll();
      else if (names.size > 0 || drainCheck) await this.reconcileSome(names, drainCheck);
    }).catch((err: unknown) => {
      // The kernel could not be read (or the plan not computed): try again later, from scratch.
      this.deps.log.error({ err }, `IPVS reconcile failed; retrying with a full read-back in ${RETRY_MS} ms`);
      setTimeout(() => this.requestFull(), RETRY_MS).unref();
    });
  }

  /** Runs reconciles one at a time: two plans computed against the same kernel state would collide. */
  private async serialize<T>(work: () => Promise<T>): Promise<T> {
    while (this.running) await this.running.catch(() => undefined);
    const p = work();
    this.running = p.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await p;
    } finally {
      this.running = undefined;
    }
  }

  private async reconcileAll(): Promise<ReconcileReport> {
    return this.reconcile('all', await this.deps.client.read(), this.retiredDrains([]));
  }

  /** The named services; with `drains`, also every service with a drain under way (a scoped read each). */
  private async reconcileSome(names: ReadonlySet<string>, drains: boolean): Promise<ReconcileReport> {
    const scope = new Set(names);
    const retire = drains ? this.retiredDrains([]) : [];
    if (drains) {
      const byKey = new Map(this.config.services.map((s) => [serviceKey(serviceIdFromConfig(s)), s.name]));
      for (const d of this.drains.values()) {
        const name = d.dest ? byKey.get(serviceKey(d.service)) : undefined;
        if (name) scope.add(name);
      }
    }
    const services = this.config.services.filter((s) => scope.has(s.name));
    const ids = [...services.map(serviceIdFromConfig), ...retire.map((r) => r.service)];
    return this.reconcile(
      services.map((s) => s.name),
      await this.readIds(ids),
      retire,
      ids,
    );
  }

  /** The kernel's rows for just these services (absent ones are skipped). */
  private async readIds(ids: readonly ServiceId[]): Promise<KernelIpvs> {
    const kernel: KernelIpvs = { services: [] };
    for (const id of ids) {
      const service = await this.deps.client.service(id);
      if (service) kernel.services.push({ service, destinations: await this.deps.client.destinations(id) });
    }
    return kernel;
  }

  /**
   * Plans and applies the services in `scope` against `kernel`, which was read for `read` (the
   * ids asked for; undefined: the whole table). The drains of the services read are replaced by
   * the plan's.
   */
  private async reconcile(scope: 'all' | string[], kernel: KernelIpvs, retire: readonly Retirement[], read?: readonly ServiceId[]): Promise<ReconcileReport> {
    const started = performance.now();
    const only = scope === 'all' ? undefined : new Set(scope);
    const services = this.config.services.filter((s) => !only || only.has(s.name));
    const plan = planChanges(this.desired(this.config, only), kernel, {
      purgeUnmanaged: scope === 'all' && this.config.ipvs.purge_unmanaged,
      retire: [...retire, ...this.inactive(services)],
      drain: this.drainContext(services),
    });
    const result = await applyPlan(this.deps.client, plan);
    this.recordProgrammed(only, kernel, result.applied);
    await this.updateDrains(plan, result, read);
    const seconds = (performance.now() - started) / 1000;
    for (const op of result.applied) this.deps.log.info({ operation: op.kind }, describeOperation(op));
    for (const f of result.failed) this.deps.log.error({ operation: f.operation.kind, err: f.error.message }, `failed: ${describeOperation(f.operation)}`);
    // Refused changes are logged and counted, and tried again after a back-off: a lost reply
    // (ENOBUFS) goes through at once, a missing scheduler module would only fill the log.
    if (result.failed.length > 0) this.retryLater(result.failed.map((f) => f.operation));
    else if (!only) this.retryMs = RETRY_MS;
    const report = { scope, plan, result };
    this.deps.onReconciled?.(report, seconds);
    return report;
  }

  /** Reconciles the services of these operations again (all, when one is not configured) after the back-off. */
  private retryLater(failed: readonly Operation[]): void {
    const names = new Map(this.config.services.map((s) => [serviceKey(serviceIdFromConfig(s)), s.name]));
    const services = failed.map((op) => names.get(serviceKey(op.service)));
    const delay = this.retryMs;
    this.retryMs = Math.min(2 * this.retryMs, this.resyncMs);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (services.some((name) => name === undefined)) this.requestFull();
      else for (const name of services) this.markDirty(name as string);
    }, delay).unref();
  }

  /** What the kernel holds now for the reconciled services: what was read, changed by what went through. */
  private recordProgrammed(only: ReadonlySet<string> | undefined, kernel: KernelIpvs, applied: readonly Operation[]): void {
    const read = new Map(kernel.services.map((row) => [serviceKey(row.service), row.destinations]));
    const weights = new Map<string, Map<string, number>>();
    const services = this.config.services.filter((s) => !only || only.has(s.name));
    for (const s of services) {
      const key = serviceKey(serviceIdFromConfig(s));
      weights.set(key, new Map((read.get(key) ?? []).map((d) => [hostPort(d), d.weight])));
    }
    for (const op of applied) {
      const w = weights.get(serviceKey(op.service));
      if (op.kind === 'add-dest' || op.kind === 'edit-dest' || op.kind === 'drain-dest') w?.set(hostPort(op.dest), op.dest.weight);
      else if (op.kind === 'delete-dest') w?.delete(hostPort(op.dest));
      else if (op.kind === 'delete-service') w?.clear();
    }
    if (!only) this.programmed.clear();
    for (const s of services) this.programmed.set(s.name, weights.get(serviceKey(serviceIdFromConfig(s))) ?? new Map());
  }

  /**
   * Takes the plan's drains for the services that were read. A drain whose deletion failed keeps
   * its record (and deadline), so the retry does not start it over. Saved when the set changed.
   */
  private async updateDrains(plan: Plan, result: ApplyResult, read: readonly ServiceId[] | undefined): Promise<void> {
    const inScope = read ? new Set(read.map(serviceKey)) : undefined;
    const next = new Map<string, Drain>();
    for (const [key, d] of this.drains) if (inScope && !inScope.has(serviceKey(d.service))) next.set(key, d);
    for (const d of plan.drains) next.set(drainKey(d.service, d.dest), d);
    for (const { operation: op } of result.failed) {
      const key = op.kind === 'delete-dest' ? drainKey(op.service, op.dest) : op.kind === 'delete-service' ? drainKey(op.service) : undefined;
      const previous = key === undefined ? undefined : this.drains.get(key);
      if (key !== undefined && previous) next.set(key, previous);
    }
    const changed = next.size !== this.drains.size || [...next].some(([key, d]) => this.drains.get(key) !== d);
    this.drains = next;
    this.scheduleDrainCheck();
    if (!changed) return;
    try {
      await this.deps.persist?.drains([...next.values()]);
    } catch (err) {
      this.deps.log.error({ err }, 'cannot save the draining removals; a restart would start their drains over');
    }
  }

  /** Looks at the drains again after `metrics.ipvs_stats_interval`, or at the next deadline if sooner. */
  private scheduleDrainCheck(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    const deadline = nextDeadline(this.drains.values());
    if (this.stopped || deadline === undefined) return;
    const untilDeadline = deadline - this.now();
    // A deadline already passed means a deletion failed: retry it after the usual back-off.
    const delay = Math.min(Math.max(this.config.metrics.ipvs_stats_interval, MIN_DRAIN_CHECK_MS), untilDeadline > 0 ? untilDeadline : RETRY_MS);
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      if (this.stopped) return;
      this.drainCheckPending = true;
      this.arm();
    }, delay);
    this.drainTimer.unref();
  }

}
