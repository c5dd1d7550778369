// The lvsd daemon: one process running IPVS reconciliation, health checks and VRRP.
//
// Start-up order (each step is ready before the next needs it):
//  1. config: parsed and checked; any error stops here, before the kernel is touched;
//  2. control socket: `lvsd status` works from the first moment, and a second daemon is refused;
//  3. VRRP thread (vrrp-thread.ts): started, and VIPs a crashed run left behind are removed, before
//     the IPVS adoption that takes seconds at 10,000 services;
//  4. IPVS: the kernel's services are adopted (never flushed) and reconciled, health checks start
//     with the real servers that are already serving counted as up: a restart keeps connections;
//  5. VRRP: instances start as backup; a node becomes master only after its services are ready;
//  6. BGP mode (bgp section): VIPs announced through BIRD once their services are up (src/bgp);
//  7. metrics endpoint.
// A SIGTERM during start (opts.signal) ends the start after the step in progress and stops
// cleanly; a reload requested during start waits for the start to finish.
// A reload is a transaction (decided by reload-decision.ts): the new config, and its hash, become
// current only when IPVS and VRRP have taken it; a failure is logged, IPVS is put back to the
// running config, and the same file can be tried again.
// Shutdown (SIGTERM/SIGINT) runs the other way: BGP withdraws first (the router stops sending
// new flows before anything else goes), then VRRP (a master sends priority 0 so the
// peer takes over after Skew_Time, and removes its VIPs), then checks stop; IPVS rules are kept
// unless ipvs.remove_on_exit, so a restart does not drop live connections.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { BgpMode } from '../bgp/mode.js';
import { LVSD_ROUTE_PROTOCOL, type BgpKernel } from '../bgp/types.js';
import { ConfigLoader, formatIssue, type ConfigIssue } from '../config/load.js';
import type { NodeChoice } from '../config/nodes.js';
import type { Config } from '../config/types.js';
import { HealthMonitor } from '../health/index.js';
import type { OperatorOverride } from '../health/index.js';
import { describeOperation } from '../ipvs/apply.js';
import { serviceKey, serviceName } from '../ipvs/names.js';
import { hostPort } from '../net/address.js';
import { formatPlan } from '../ipvs/plan.js';
import type { KernelIpvs, ServiceId } from '../ipvs/types.js';
import { controlHandlers } from './control-handlers.js';
import { dispatchControl, type ControlHandlers, type ControlResult, type ReloadResult } from './control-methods.js';
import { ControlServer } from './control-server.js';
import { releaseOnCrash } from './crash-exit.js';
import { openKernelIpvs, type IpvsKernel } from './ipvs-kernel.js';
import type { NetlinkSocketError } from '../kernel/errors.js';
import { HostRouteTable } from '../kernel/routes.js';
import { readSysctl, writeSysctl } from '../kernel/sysctl.js';
import { IpvsManager, type RestoredState } from './ipvs-manager.js';
import type { Logger } from './log.js';
import { LoopDelayMonitor } from './loop-delay.js';
import { drainStateWriter, readDrainState } from './drain-state.js';
import { readManagedState, writeManagedState } from './managed-state.js';
import { overridesInForce, readOverrideState } from './override-state.js';
import { RuntimeChanges } from './runtime-changes.js';
import { caughtUp, effectiveConfig, fileHas, formatRuntimeServers, resolveServer } from './runtime-servers.js';
import type { ChangeRecord } from '../peer/types.js';
import { healthStateWriter, readHealthState } from './health-state.js';
import { QuorumHooks } from './quorum-hooks.js';
import { DaemonMetrics, IpvsStatsCache, serveMetrics, type HttpRoute, type IpvsStatsView, type LoopDelayView } from './metrics.js';
import { ipvsStatsViews, realServerMetricsViews, vrrpMetricsViews } from './metrics-sources.js';
import { decideReload, decideStart, diffServices, managedServices, type ServiceDiff } from './reload-decision.js';
import { statusReport, type StatusReport } from './status.js';
import { SyncFollower } from './sync-follower.js';
import { NameFollower } from '../resolve/follower.js';
import { namesStateWriter, readNamesState } from './resolve-state.js';
import { VrrpThread } from './vrrp-thread.js';

/** How long health changes settle before health.json is written. */
const HEALTH_SAVE_DELAY_MS = 1_000;
/** How long quorum hooks still running at stop may finish. */
const QUORUM_HOOKS_DRAIN_MS = 10_000;

export class ConfigRejected extends Error {
  override readonly name = 'ConfigRejected';
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`${file}: configuration rejected:\n${issues.map(formatIssue).join('\n')}`);
  }
}

/** A SIGTERM (or SIGINT) arrived during start: the daemon stopped cleanly after the step in progress. */
export class StartAborted extends Error {
  override readonly name = 'StartAborted';
}

export type { ReloadResult } from './control-methods.js';

interface LoadedConfig {
  config: Config;
  hash: string;
}

/** Keeps the services validated by the last load, so a reload validates only what changed. */
const configLoader = new ConfigLoader();

async function readConfig(path: string, node: NodeChoice | undefined, log: Logger): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigRejected(path, [{ file: path, line: 1, col: 1, message: `cannot read the config file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  const result = configLoader.parse(text, path, node);
  for (const w of result.warnings) log.warn(`${formatIssue(w)}`);
  if (!result.ok) throw new ConfigRejected(path, result.errors);
  return { config: result.config, hash: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}

export interface DaemonOptions {
  configPath: string;
  /** Which node of a file with nodes: this is, the same on every reload (default: the only one). */
  node?: NodeChoice;
  log: Logger;
  /** Aborted when the daemon is asked to stop while it is still starting. */
  signal?: AbortSignal;
  /** Default: the kernel's IPVS over generic netlink. */
  openIpvs?: () => Promise<IpvsKernel>;
  /** Default: VRRP in its worker thread (VrrpThread.spawn). */
  startVrrp?: (log: Logger) => VrrpThread;
  /** BGP mode's kernel side; default lvsd's routes in that kernel table (HostRouteTable) and /proc/sys. */
  bgpKernel?: BgpKernel;
  /**
   * More pages on the metrics listener (`lvsd run` adds the status page, src/web), given the
   * status read from the IPVS snapshot the metrics use (never a kernel dump per request).
   */
  routes?: (status: () => Promise<StatusReport>) => HttpRoute;
}

export class Daemon {
  private loaded: LoadedConfig;
  private ipvs: IpvsManager | undefined;
  private ipvsClient: IpvsKernel | undefined;
  private sync: SyncFollower | undefined;
  private bgp: BgpMode | undefined;
  /** `lvsd drain-node`: BGP mode withdraws every VIP; IPVS keeps serving what still arrives. Not kept across restarts. */
  private maintenance = false;
  private vrrp: VrrpThread | undefined;
  private forgetVrrpOnCrash: (() => void) | undefined;
  private readonly mainLoopDelay = new LoopDelayMonitor();
  private metricsServer: Server | undefined;
  private control: ControlServer | undefined;
  private readonly health: HealthMonitor;
  private readonly metrics: DaemonMetrics;
  /** The IPVS table as last read, for /metrics and the status page. */
  private readonly ipvsSnapshot: IpvsStatsCache<KernelIpvs>;
  private stopping: Promise<void> | undefined;
  private reloading: Promise<unknown> = Promise.resolve();
  /** Kernel services lvsd still manages beyond the config's (a removal the guard refused). */
  private leftovers: ServiceId[] = [];
  /** What the record last written holds (state dir and service keys), to skip identical writes. */
  private recordKey: string | undefined;
  private readonly drainWriter = drainStateWriter(() => this.loaded.config.ipvs.state_dir);
  /** The config as the file says it; `loaded.config` is it with the runtime real-server changes applied. */
  private fileConfig: Config;
  /** The operator's runtime changes (overrides, real servers), saved and shared with the peer. */
  private runtime: RuntimeChanges | undefined;
  private readonly healthWriter = healthStateWriter(() => this.loaded.config.ipvs.state_dir);
  private readonly quorumHooks: QuorumHooks;
  /** A health.json write waiting for changes to settle. */
  private healthSave: NodeJS.Timeout | undefined;
  /** Real servers given by DNS name: `loaded.config` has them at their addresses (src/resolve). */
  private readonly names: NameFollower;
  private readonly namesWriter = namesStateWriter(() => this.loaded.config.ipvs.state_dir);
  /** A resolution change is queued behind the reloads: one is enough, however many names moved. */
  private namesQueued = false;

  private constructor(
    private readonly opts: DaemonOptions,
    loaded: LoadedConfig,
  ) {
    this.loaded = loaded;
    this.fileConfig = loaded.config;
    this.health = new HealthMonitor({ logger: opts.log });
    this.names = new NameFollower({
      log: opts.log,
      isUp: (service, address, port) => this.passesCheck(service, address, port),
      onChange: () => this.followNames(),
      onLookup: (name, outcome) => this.metrics.recordLookup(name, outcome),
    });
    this.quorumHooks = new QuorumHooks(opts.log);
    this.ipvsSnapshot = new IpvsStatsCache(
      () => (this.ipvsClient as IpvsKernel).read(),
      loaded.config.metrics.ipvs_stats_interval,
      undefined,
      (err) => opts.log.warn({ err }, 'reading IPVS counters for metrics failed; serving the last ones'),
    );
    // One write per second at most, however many servers flap at once.
    this.health.onChange(() => {
      this.healthSave ??= setTimeout(() => void this.saveHealth(), HEALTH_SAVE_DELAY_MS).unref();
      this.names.healthChanged();
    });
    this.metrics = new DaemonMetrics({
      vrrp: async () => vrrpMetricsViews(this.vrrp ? await this.vrrp.status() : []),
      loopDelay: async (): Promise<LoopDelayView[]> => [
        { loop: 'main', delay: this.mainLoopDelay.read(true) },
        ...(this.vrrp ? [{ loop: 'vrrp' as const, delay: (await this.vrrp.snapshot(true)).loopDelay }] : []),
      ],
      realServers: () => realServerMetricsViews(this.loaded.config, this.health.status(), (service, server) => this.ipvs?.programmedWeight(service, server)),
      ipvsStats: () => this.ipvsStats(),
      bgp: async () => this.bgp?.status(),
      names: () => this.names.status(),
      draining: () => {
        const drains = this.ipvs?.drainsList() ?? [];
        const realServers = drains.filter((d) => d.dest).length;
        return { realServers, services: drains.length - realServers };
      },
      peer: () => this.runtime?.peerStatus(),
      runtimeChanges: () => this.runtime?.active() ?? [],
    });
  }

  get config(): Config {
    return this.loaded.config;
  }

  static async start(opts: DaemonOptions): Promise<Daemon> {
    const loaded = await readConfig(opts.configPath, opts.node, opts.log);
    const d = new Daemon(opts, loaded);
    const starting = d.startParts();
    // The control socket answers during start: a reload asked for then runs after it.
    d.reloading = starting.catch(() => undefined);
    try {
      await starting;
    } catch (err) {
      await d.stop();
      throw err;
    }
    return d;
  }

  private async startParts(): Promise<void> {
    const { config, hash } = this.loaded;
    const log = this.opts.log;
    const handlers = this.controlHandlers();
    this.control = await ControlServer.listen(config.control.socket, (method, params) => dispatchControl(handlers, method, params));
    log.info({ socket: config.control.socket }, 'control socket ready');
    await this.startRuntime(config);
    const vrrp = (this.opts.startVrrp ?? VrrpThread.spawn)(log);
    this.vrrp = vrrp;
    this.forgetVrrpOnCrash = releaseOnCrash(() => vrrp.stop());
    await vrrp.clearLeftovers(config);
    this.startStep();
    if (this.needsIpvs(config)) {
      await this.startNames(config);
      await this.startIpvs(this.loaded.config);
    }
    this.startStep();
    // Before VRRP: a node back from a crash learns the peer's changes before it can become master.
    await this.configurePeer(config);
    this.startStep();
    vrrp.onStateChange((instance, state) => {
      // Services that follow mastership first: the VIP is going up (or down) in the VRRP thread
      // now. The sync daemon's role switch (a stop and a start in the kernel, on the same socket)
      // waits for them: measured in the lab VM, it held their writes back by 100-300 ms.
      const services = this.ipvs?.vrrpState(instance, state === 'master') ?? Promise.resolve();
      void services.then(() => this.sync?.follow(this.isMaster()));
    });
    await vrrp.start(config);
    this.startStep();
    if (config.bgp) await this.startBgp(config);
    this.startStep();
    this.metricsServer = await serveMetrics(this.metrics, config.metrics.listen, this.opts.routes?.(() => this.snapshotStatus()));
    this.startStep();
    this.metrics.setConfigHash(hash);
    log.info({ node: config.node.name, configHash: hash, services: config.services.length, instances: config.vrrp.instances.length, metrics: config.metrics.listen }, 'lvsd running');
  }

  /**
   * The runtime changes a previous run saved (a broken file is logged and taken as empty), with
   * the real-server changes the file has caught up with while lvsd was down cleared.
   */
  private async startRuntime(file: Config): Promise<void> {
    const node = file.node.name;
    let restored: ChangeRecord[] = [];
    try {
      restored = await readOverrideState(file.ipvs.state_dir, node);
    } catch (err) {
      this.opts.log.error({ err, dir: file.ipvs.state_dir }, 'cannot read the saved runtime changes; starting without them');
    }
    this.runtime = new RuntimeChanges({ node, stateDir: () => this.loaded.config.ipvs.state_dir, log: this.opts.log, changed: () => this.applyRuntime() }, restored);
    // Not awaited: the start holds the queue that applying it waits in; the ledger has it at once.
    void this.clearCaughtUp(file);
    this.loaded = { config: effectiveConfig(file, this.runtime.active()), hash: this.loaded.hash };
  }

  /** Clears the runtime real-server changes `file` now agrees with, with a log line each. */
  private async clearCaughtUp(file: Config): Promise<void> {
    const caught = this.runtime ? caughtUp(file, this.runtime.active()) : [];
    if (caught.length === 0) return;
    await this.runtime?.set(
      caught.map((r) => ({ kind: r.kind, service: r.service, ...(r.realServer !== undefined ? { realServer: r.realServer } : {}), value: 'clear' as const })),
      'the config file now agrees with this runtime real-server change (lvsd add-server / remove-server): the record is dropped',
    );
  }

  /** The peer protocol for this config; a failure (address not on this host) is logged, the rest runs. */
  private async configurePeer(config: Config): Promise<void> {
    await this.runtime?.configurePeer(config.peer).catch((err: unknown) => {
      this.opts.log.error({ err, listen: config.peer?.listen }, 'cannot start the peer protocol: runtime changes are not shared with the other node');
    });
  }

  /**
   * After any runtime change (this node's CLI, the peer, a file that caught up): the real servers
   * added or removed go through the same reconcile as a reload (a removal drains), then the
   * overrides are put in force. Runs in turn with reloads.
   */
  private applyRuntime(): Promise<void> {
    const run = this.reloading.then(async () => {
      const runtime = this.runtime;
      if (!runtime || !this.ipvs || this.stopping) return;
      const records = runtime.active();
      const config = effectiveConfig(this.fileConfig, records);
      const diff = diffServices(this.loaded.config, config, this.leftovers);
      if (diff.changed.length > 0 || diff.retired.length > 0) {
        const { failed } = (await this.ipvs.reload(config, diff)).result;
        if (failed.length > 0) this.opts.log.warn({ failed: failed.length }, 'runtime real-server change: some IPVS changes failed and are retried');
        this.loaded = { config, hash: this.loaded.hash };
      }
      this.ipvs.replaceOverrides(overridesInForce(records, this.fileConfig.node.name));
      await this.ipvs.settled();
    });
    this.reloading = run.catch((err: unknown) => this.opts.log.error({ err }, 'applying the runtime changes'));
    return run;
  }

  /** Between start steps: a stop asked for during start ends it here (Daemon.start then stops). */
  private startStep(): void {
    if (this.opts.signal?.aborted) throw new StartAborted('stopped during start');
  }

  /**
   * Real servers given by DNS name: what the last run knew is taken back (so a restart starts at
   * the last known addresses), names without a known address are looked up once (bounded by the
   * resolver's timeout and tries), and the daemon runs on the config with the addresses in.
   */
  private async startNames(file: Config): Promise<void> {
    let saved: Awaited<ReturnType<typeof readNamesState>> = { names: [], placements: [] };
    try {
      saved = await readNamesState(file.ipvs.state_dir);
    } catch (err) {
      this.opts.log.error({ err, dir: file.ipvs.state_dir }, 'cannot read the saved name resolutions; resolving from scratch');
    }
    this.names.configure(file);
    this.names.restore(saved);
    await this.names.firstLookups();
    // The runtime changes are in already (startRuntime); the names go in last.
    this.loaded = { config: this.names.materialize(this.loaded.config).config, hash: this.loaded.hash };
  }

  /** Whether a real server passes its check now; one the monitor does not know yet passes only when it has no check. */
  private passesCheck(service: string, address: string, port: number): boolean {
    const state = this.health.statesFor(service).get(hostPort({ address, port }));
    if (state) return state.up && !state.pending;
    const svc = this.fileConfig.services.find((s) => s.name === service);
    return svc !== undefined && svc.check === undefined && !svc.real_servers.some((rs) => rs.host !== undefined && rs.port === port && rs.check !== undefined);
  }

  /**
   * A name moved (or failed past its hold, or a new address passed its check): a small reload,
   * queued behind config reloads like one. Only the services whose real servers changed are
   * reconciled; VRRP is not involved, so a resolution never moves a VIP.
   */
  private followNames(): void {
    if (this.namesQueued) return;
    this.namesQueued = true;
    this.reloading = this.reloading
      .then(async () => {
        this.namesQueued = false;
        if (this.stopping || !this.ipvs) return;
        const next = this.names.materialize(effectiveConfig(this.fileConfig, this.runtime?.active() ?? [])).config;
        const diff = diffServices(this.loaded.config, next);
        if (diff.changed.length > 0 || diff.retired.length > 0) {
          await this.ipvs.reload(next, diff);
          this.loaded = { config: next, hash: this.loaded.hash };
        }
        await this.saveNames();
      })
      .catch((err: unknown) => this.opts.log.error({ err }, 'applying a name resolution change failed; the next change or reload tries again'));
  }

  private async saveNames(): Promise<void> {
    if (!this.fileConfig.services.some((s) => s.real_servers.some((rs) => rs.host !== undefined))) return;
    await this.namesWriter.save(this.names.snapshot()).catch((err: unknown) => {
      this.opts.log.error({ err, dir: this.loaded.config.ipvs.state_dir }, 'cannot save the name resolutions');
    });
  }

  /** A node with no services and no sync daemon never needs IPVS (a VRRP-only router). */
  private needsIpvs(config: Config): boolean {
    return config.services.length > 0 || config.ipvs.sync_daemon.enabled;
  }

  private async startIpvs(config: Config): Promise<void> {
    const onSocketError = (err: NetlinkSocketError): void =>
      this.opts.log.warn({ err: err.message, failedRequests: err.failedRequests }, 'IPVS netlink socket error: requests in flight failed and will be retried');
    this.ipvsClient = await (this.opts.openIpvs ?? (() => openKernelIpvs({ onSocketError })))();
    const t = config.ipvs.timeouts;
    if (t.tcp !== undefined || t.tcpfin !== undefined || t.udp !== undefined) {
      await this.ipvsClient.setTimeouts({
        ...(t.tcp !== undefined ? { tcp: Math.ceil(t.tcp / 1000) } : {}),
        ...(t.tcpfin !== undefined ? { tcpFin: Math.ceil(t.tcpfin / 1000) } : {}),
        ...(t.udp !== undefined ? { udp: Math.ceil(t.udp / 1000) } : {}),
      });
    }
    const recorded = await this.readRecord(config);
    const start = decideStart(config, recorded);
    if (start.refused) this.opts.log.error(start.refused);
    this.ipvs = await IpvsManager.start(
      config,
      {
        client: this.ipvsClient,
        health: this.health,
        log: this.opts.log,
        onQuorumChange: (service, met, healthyWeight) => this.quorumHooks.changed(service, met, healthyWeight),
        onReconciled: (report, seconds) => {
          this.metrics.recordReconcile(report.result.failed.length === 0, seconds);
          // Quorum and disabled services are decided by the reconcile: the announcement follows.
          void this.announce();
        },
        persist: { drains: (d) => this.drainWriter.save(d) },
        masters: this.vrrp?.masterInstances() ?? [],
      },
      start.retire,
      await this.readRuntimeState(config),
    );
    const failedDeletes = new Set((this.ipvs.adoption?.result.failed ?? []).flatMap((f) => (f.operation.kind === 'delete-service' ? [serviceName(f.operation.service)] : [])));
    this.leftovers = [...start.kept, ...start.retire.map((r) => r.service).filter((id) => failedDeletes.has(serviceName(id)))];
    await this.writeRecord(config);
    this.sync = new SyncFollower(this.ipvsClient, config.ipvs.sync_daemon, this.opts.log);
    // Backup at start (VRRP has not started); the current role when a reload brings IPVS in.
    await this.sync.follow(this.isMaster());
  }

  /** BGP mode: the kernel table is emptied of what a crashed run left, then the VIPs whose services are up are announced. */
  private async startBgp(config: Config): Promise<void> {
    if (!config.bgp) return;
    const kernel: BgpKernel = this.opts.bgpKernel ?? {
      openRoutes: (table) => HostRouteTable.open(table, LVSD_ROUTE_PROTOCOL),
      readSysctl: (key) => readSysctl(key),
      writeSysctl: (key, value) => writeSysctl(key, value),
    };
    this.bgp = new BgpMode(config.bgp, { kernel, log: this.opts.log });
    await this.announce(config);
  }

  /** Announces the VIPs of the services that are up (quorum met, not disabled); withdraws the others. */
  private announce(config: Config = this.loaded.config): Promise<void> {
    if (!this.bgp || this.stopping) return Promise.resolve();
    const disabled = new Set((this.ipvs?.overridesList() ?? []).filter((o) => o.realServer === undefined).map((o) => o.service));
    return this.bgp.announce(config, {
      service: (name) => ({ quorumMet: this.ipvs?.quorumState(name) === true, disabled: disabled.has(name) }),
      maintenance: this.maintenance,
    });
  }

  /** A reload turned BGP on or off, or changed it. */
  private async reconfigureBgp(config: Config): Promise<void> {
    if (!config.bgp) {
      await this.bgp?.stop();
      this.bgp = undefined;
    } else if (!this.bgp) {
      await this.startBgp(config);
    } else {
      await this.bgp.reconfigure(config.bgp);
      await this.announce(config);
    }
  }

  private isMaster(): boolean {
    return this.vrrp?.isMaster() ?? false;
  }

  /** The services recorded as lvsd's own by the last run; none when there is no usable record. */
  private async readRecord(config: Config): Promise<ServiceId[]> {
    try {
      return (await readManagedState(config.ipvs.state_dir)) ?? [];
    } catch (err) {
      this.opts.log.error({ err, dir: config.ipvs.state_dir }, 'cannot read the record of managed IPVS services: services dropped from the config while lvsd was down stay in the kernel');
      return [];
    }
  }

  /** Writes health.json now; a failure is logged (the next change or the stop writes it again). */
  private async saveHealth(): Promise<void> {
    clearTimeout(this.healthSave);
    this.healthSave = undefined;
    await this.healthWriter.save(this.health.snapshot()).catch((err: unknown) => {
      this.opts.log.error({ err, dir: this.loaded.config.ipvs.state_dir }, 'cannot save the health state');
    });
  }

  /** The drains, overrides and health verdicts a previous run saved; a broken file is logged and taken as empty. */
  private async readRuntimeState(config: Config): Promise<RestoredState> {
    const dir = config.ipvs.state_dir;
    const read = async <T>(what: string, reader: (dir: string) => Promise<T[]>): Promise<T[]> => {
      try {
        return await reader(dir);
      } catch (err) {
        this.opts.log.error({ err, dir }, `cannot read the saved ${what}; starting without them`);
        return [];
      }
    };
    return {
      drains: await read('draining removals', readDrainState),
      overrides: overridesInForce(this.runtime?.all() ?? [], config.node.name),
      health: await read('health state', readHealthState),
    };
  }

  /** Records the managed services; a failure is logged (the next successful write repairs it). */
  private async writeRecord(config: Config): Promise<void> {
    const services = managedServices(config, this.leftovers);
    // A reload that only edits services (weights, schedulers) leaves the record as it is.
    const key = `${config.ipvs.state_dir}\n${services.map(serviceKey).sort().join('\n')}`;
    if (key === this.recordKey) return;
    try {
      await writeManagedState(config.ipvs.state_dir, services);
      this.recordKey = key;
    } catch (err) {
      this.opts.log.error({ err, dir: config.ipvs.state_dir }, 'cannot record the managed IPVS services');
    }
  }

  /**
   * Re-reads the config file and applies what differs, as one transaction: any error (a bad file,
   * a refused removal, a kernel or VRRP failure) is logged, leaves the running config in force
   * and the file can be retried. Never rejects (SIGHUP has nobody to report to but the log).
   */
  reload(force = false): Promise<ReloadResult> {
    const next = this.reloading.then(() => this.reloadNow(force)).catch((err: unknown) => this.reloadFailed([String(err)]));
    this.reloading = next;
    return next;
  }

  private reloadFailed(errors: string[]): ReloadResult {
    for (const e of errors) this.opts.log.error(e);
    this.opts.log.error('reload rejected: the running configuration stays in force');
    this.metrics.recordReload(false);
    return { ok: false, errors };
  }

  private async reloadNow(force: boolean): Promise<ReloadResult> {
    const log = this.opts.log;
    const fail = (errors: string[]): ReloadResult => this.reloadFailed(errors);
    // Queued behind a start that was aborted, or asked for while stopping: the kernel is not ours to change.
    if (this.stopping) return fail(['lvsd is stopping']);
    let loaded: LoadedConfig;
    try {
      loaded = await readConfig(this.opts.configPath, this.opts.node, log);
    } catch (err) {
      return fail(err instanceof ConfigRejected ? err.issues.map(formatIssue) : [String(err)]);
    }
    // The runtime real-server changes stay differences from the file until the file agrees.
    const file = loaded.config;
    const caught = new Set(caughtUp(file, this.runtime?.active() ?? []));
    // Names the new file adds are looked up first; the change is judged on their addresses.
    this.names.configure(file);
    await this.names.firstLookups();
    loaded = { config: this.names.materialize(effectiveConfig(file, (this.runtime?.active() ?? []).filter((r) => !caught.has(r)))).config, hash: loaded.hash };
    const decision = decideReload({ current: this.loaded, next: loaded, recorded: this.leftovers, force });
    if (decision.kind === 'refused') {
      this.names.configure(this.fileConfig);
      return fail([decision.message]);
    }
    if (decision.kind === 'unchanged') {
      this.metrics.recordReload(true);
      log.info({ configHash: loaded.hash }, 'reload: configuration unchanged');
      return { ok: true, hash: loaded.hash, changed: false };
    }
    const old = this.loaded;
    if (loaded.config.control.socket !== old.config.control.socket || loaded.config.metrics.listen !== old.config.metrics.listen) {
      log.warn('control.socket and metrics.listen changes take effect at the next restart');
    }
    try {
      await this.applyConfig(loaded.config, decision.diff);
    } catch (err) {
      this.names.configure(this.fileConfig);
      await this.revertTo(old.config, loaded.config);
      return fail([err instanceof Error ? err.message : String(err)]);
    }
    this.loaded = loaded;
    this.fileConfig = file;
    await this.saveNames();
    this.leftovers = [];
    await this.configurePeer(file);
    // Not awaited: the record's own apply runs after this reload (and changes nothing more).
    if (caught.size > 0) void this.clearCaughtUp(file);
    this.ipvs?.prune();
    if (this.ipvs) await this.writeRecord(loaded.config);
    this.metrics.recordReload(true);
    this.metrics.setConfigHash(loaded.hash);
    log.info({ configHash: loaded.hash }, 'reload applied');
    return { ok: true, hash: loaded.hash, changed: true };
  }

  /** IPVS first (so VIPs never point at missing services), then the sync daemon, then VRRP. */
  private async applyConfig(config: Config, diff: ServiceDiff): Promise<void> {
    if (this.ipvs) {
      const { failed } = (await this.ipvs.reload(config, diff)).result;
      if (failed.length > 0) {
        const first = failed[0] as (typeof failed)[number];
        // A kernel refusal already names the operation ("edit service …: scheduler … (ENOENT)").
        const what = describeOperation(first.operation);
        const why = first.error.message.startsWith(what) ? first.error.message : `${what}: ${first.error.message}`;
        throw new Error(`${failed.length} IPVS change(s) failed, first: ${why}`);
      }
    } else if (this.needsIpvs(config)) {
      await this.startIpvs(config);
    }
    await this.sync?.reconfigure(config.ipvs.sync_daemon, this.isMaster());
    // VRRP throws without changing anything when it cannot take the config.
    await this.vrrp?.reload(config);
    await this.reconfigureBgp(config);
  }

  /** Puts IPVS and the sync daemon back to the running config after a failed reload. */
  private async revertTo(config: Config, failed: Config): Promise<void> {
    const log = this.opts.log;
    try {
      if (this.ipvs) await this.ipvs.reload(config, diffServices(failed, config));
      await this.sync?.reconfigure(config.ipvs.sync_daemon, this.isMaster());
    } catch (err) {
      log.error({ err }, 'reverting the failed reload; the periodic resync tries again');
    }
  }

  /** Graceful stop, in the reverse order of start. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopParts();
    return this.stopping;
  }

  private async stopParts(): Promise<void> {
    const log = this.opts.log;
    await this.runtime?.stop();
    await this.bgp?.stop().catch((err: unknown) => log.error({ err }, 'withdrawing the BGP announcements'));
    await this.vrrp?.stop().catch((err: unknown) => log.error({ err }, 'stopping VRRP'));
    this.forgetVrrpOnCrash?.();
    this.mainLoopDelay.stop();
    this.names.stop();
    await this.saveNames();
    await this.ipvs?.stop().catch((err: unknown) => log.error({ err }, 'stopping IPVS management'));
    if (!this.ipvs) this.health.stop();
    if (this.ipvs) await this.saveHealth();
    await this.quorumHooks.drain(QUORUM_HOOKS_DRAIN_MS);
    await this.sync?.stop();
    this.ipvsClient?.close();
    await this.control?.close();
    await new Promise<void>((resolve) => (this.metricsServer ? this.metricsServer.close(() => resolve()) : resolve()));
    log.info('lvsd stopped');
  }

  /** `lvsd status`: IPVS read fresh from the kernel. */
  status(): Promise<StatusReport> {
    return this.statusFrom(this.ipvsClient ? () => (this.ipvsClient as IpvsKernel).read() : undefined);
  }

  /** The status page's report: IPVS from the snapshot /metrics serves. */
  private snapshotStatus(): Promise<StatusReport> {
    return this.statusFrom(this.ipvsClient ? async () => (await this.ipvsSnapshot.get()) ?? { services: [] } : undefined);
  }

  private async statusFrom(kernel: (() => Promise<KernelIpvs>) | undefined): Promise<StatusReport> {
    return statusReport({
      config: this.loaded.config,
      configHash: this.loaded.hash,
      vrrp: this.vrrp ? await this.vrrp.status() : [],
      health: this.health.status(),
      overrides: this.ipvs?.overridesList() ?? [],
      drains: this.ipvs?.drainsList() ?? [],
      names: this.names.status(),
      quorum: (name) => this.ipvs?.quorumState(name),
      kernel,
      ...(this.bgp ? { bgp: () => (this.bgp as BgpMode).status() } : {}),
      runtime: this.runtime?.active() ?? [],
      ...(this.runtime?.peerStatus() ? { peer: this.runtime.peerStatus() } : {}),
    });
  }

  private async ipvsStats(): Promise<IpvsStatsView[]> {
    if (!this.ipvsClient) return [];
    const kernel = await this.ipvsSnapshot.get();
    return kernel ? ipvsStatsViews(this.loaded.config, kernel) : [];
  }

  /** The "address:port" key of a real server named for an override (a bare address matches by address); undefined for the whole service. */
  private overrideTarget(service: string, realServer: string | undefined): string | undefined {
    const svc = this.loaded.config.services.find((s) => s.name === service);
    if (!svc) throw new Error(`no service named "${service}" (services: ${this.loaded.config.services.map((s) => s.name).join(', ') || 'none'})`);
    if (realServer === undefined) return undefined;
    const rs = svc.real_servers.find((r) => hostPort(r) === realServer || r.address === realServer);
    if (!rs) throw new Error(`service ${svc.name} has no real server ${realServer}`);
    return hostPort(rs);
  }

  /** `lvsd add-server` / `lvsd remove-server`: recorded like an override, then applied as a config change would be. */
  private async changeServer(method: 'add-server' | 'remove-server', service: string, text: string, weight: number | undefined): Promise<ControlResult<'add-server'>> {
    if (!this.ipvs || !this.runtime) throw new Error('no services are configured');
    const target = resolveServer(this.loaded.config, service, text);
    const key = { kind: 'server' as const, service, realServer: target.key };
    const inFile = fileHas(this.fileConfig, service, target.key);
    const held = this.runtime.get(key);
    if (method === 'add-server') {
      const w = weight === undefined ? 1 : weight;
      if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 65535) throw new Error(`add-server: weight ${String(weight)} is not an integer 0-65535`);
      // A server of the file that was removed at runtime comes back as the file has it.
      if (inFile && held?.value !== 'remove') throw new Error(`service ${service} already has ${target.key} (in the config file)`);
      if (!inFile && held?.value === 'add') throw new Error(`service ${service} already has ${target.key} (added at runtime by ${held.node})`);
      await this.runtime.set([inFile ? { ...key, value: 'clear' } : { ...key, value: 'add', weight: w }]);
      return { service, realServer: target.key, change: inFile ? 'restored from the file' : 'added', weight: w };
    }
    if (!inFile && held?.value !== 'add') throw new Error(`service ${service} has no real server ${target.key}`);
    if (inFile && held?.value === 'remove') throw new Error(`${target.key} is already removed from service ${service} (by ${held.node})`);
    await this.runtime.set([inFile ? { ...key, value: 'remove' } : { ...key, value: 'clear' }]);
    return { service, realServer: target.key, change: 'removed (draining)' };
  }

  /** drain, disable, enable: recorded like every runtime change (saved, shared with the peer node). */
  private async setOverride(service: string, realServer: string | undefined, override: OperatorOverride | 'clear'): Promise<string | undefined> {
    if (!this.ipvs || !this.runtime) throw new Error('no services are configured');
    const target = this.overrideTarget(service, realServer);
    await this.runtime.set([{ kind: 'override', service, ...(target !== undefined ? { realServer: target } : {}), value: override }]);
    return target;
  }

  /** `lvsd drain-node`: BGP mode withdraws every VIP (on) or announces them again (off). */
  private async setMaintenance(on: boolean): Promise<{ maintenance: boolean; announced: string[] }> {
    if (!this.bgp) throw new Error('drain-node: this node does not announce its VIPs (no bgp section); a VRRP node steps down with "lvsd failover"');
    this.maintenance = on;
    await this.announce();
    const { maintenance, announced } = await this.bgp.status();
    return { maintenance, announced };
  }

  /** `lvsd plan`: what a reconcile would change now, and the runtime changes the file does not have. */
  private async plan(): Promise<ControlResult<'plan'>> {
    if (!this.ipvs) return { text: 'no services are configured: nothing to plan', operations: 0, runtimeChanges: 0 };
    const plan = await this.ipvs.plan();
    const runtime = formatRuntimeServers(this.runtime?.active() ?? []);
    return { text: [formatPlan(plan), ...runtime].join('\n'), operations: plan.operations.length, runtimeChanges: runtime.length };
  }

  /** The control socket's methods (control-handlers.ts) on this daemon. */
  private controlHandlers(): ControlHandlers {
    return controlHandlers({
      config: () => this.loaded.config,
      status: () => this.status(),
      reload: (force) => this.reload(force),
      vrrp: () => this.vrrp,
      setOverride: (service, realServer, override) => this.setOverride(service, realServer, override),
      changeServer: (method, service, realServer, weight) => this.changeServer(method, service, realServer, weight),
      setMaintenance: (on) => this.setMaintenance(on),
      plan: () => this.plan(),
    });
  }
}
