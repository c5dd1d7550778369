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
import type { Server } from 'node:http';
import { formatIssue } from '../config/load.js';
import type { Config } from '../config/types.js';
import { HealthMonitor } from '../health/index.js';
import { hostPort } from '../net/address.js';
import type { KernelIpvs, ServiceId } from '../ipvs/types.js';
import type { ChangeRecord } from '../peer/types.js';
import { controlHandlers } from './control-handlers.js';
import { dispatchControl, type ControlHandlers, type ReloadResult } from './control-methods.js';
import { ControlServer } from './control-server.js';
import { ConfigRejected, readConfig, type LoadedConfig } from './config-file.js';
import type { DaemonOptions } from './daemon-options.js';
import { daemonStatus, metricsSource, type RunningParts } from './daemon-reports.js';
import { BgpLifecycle, type ServiceUp } from './bgp-lifecycle.js';
import { releaseOnCrash } from './crash-exit.js';
import type { IpvsKernel } from './ipvs-kernel.js';
import type { IpvsManager } from './ipvs-manager.js';
import { startIpvs } from './ipvs-start.js';
import { LoopDelayMonitor } from './loop-delay.js';
import { overridesInForce } from './override-state.js';
import { RuntimeChanges } from './runtime-changes.js';
import { caughtUp, effectiveConfig } from './runtime-servers.js';
import { SavedState } from './saved-state.js';
import { QuorumHooks } from './quorum-hooks.js';
import { DaemonMetrics, IpvsStatsCache, serveMetrics } from './metrics.js';
import { decideReload, diffServices, failedChanges, managedServices, type ServiceDiff } from './reload-decision.js';
import type { StatusReport } from './status.js';
import type { SyncFollower } from './sync-follower.js';
import { NameFollower } from '../resolve/follower.js';
import { VrrpThread } from './vrrp-thread.js';

/** How long quorum hooks still running at stop may finish. */
const QUORUM_HOOKS_DRAIN_MS = 10_000;

/** A SIGTERM (or SIGINT) arrived during start: the daemon stopped cleanly after the step in progress. */
export class StartAborted extends Error {
  override readonly name = 'StartAborted';
}

export class Daemon {
  private loaded: LoadedConfig;
  private ipvs: IpvsManager | undefined;
  private ipvsClient: IpvsKernel | undefined;
  private sync: SyncFollower | undefined;
  private readonly bgp: BgpLifecycle;
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
  /** The config as the file says it; `loaded.config` is it with the runtime real-server changes applied. */
  private fileConfig: Config;
  /** The operator's runtime changes (overrides, real servers), saved and shared with the peer. */
  private runtime: RuntimeChanges | undefined;
  private readonly saved: SavedState;
  private readonly quorumHooks: QuorumHooks;
  /** Real servers given by DNS name: `loaded.config` has them at their addresses (src/resolve). */
  private readonly names: NameFollower;
  /** A resolution change is queued behind the reloads: one is enough, however many names moved. */
  private namesQueued = false;

  private constructor(
    private readonly opts: DaemonOptions,
    loaded: LoadedConfig,
  ) {
    this.loaded = loaded;
    this.fileConfig = loaded.config;
    this.health = new HealthMonitor({ logger: opts.log });
    this.bgp = new BgpLifecycle(opts.log, opts.bgpKernel);
    this.saved = new SavedState({ dir: () => this.loaded.config.ipvs.state_dir, log: opts.log, health: () => this.health.snapshot() });
    this.names = new NameFollower({
      log: opts.log,
      isUp: (service, address, port) => this.passesCheck(service, address, port),
      onChange: () => this.followNames(),
      onLookup: (name, outcome) => this.metrics.recordLookup(name, outcome),
      ...(opts.lookup ? { lookup: opts.lookup } : {}),
    });
    this.quorumHooks = new QuorumHooks(opts.log);
    this.ipvsSnapshot = new IpvsStatsCache(
      () => (this.ipvsClient as IpvsKernel).read(),
      loaded.config.metrics.ipvs_stats_interval,
      undefined,
      (err) => opts.log.warn({ err }, 'reading IPVS counters for metrics failed; serving the last ones'),
    );
    this.health.onChange(() => {
      this.saved.healthChanged();
      this.names.healthChanged();
    });
    this.metrics = new DaemonMetrics(metricsSource(this.parts()));
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
    await this.bgp.configure(config, this.servicesUp());
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
    const restored = await this.saved.runtimeChanges(file);
    this.runtime = new RuntimeChanges({ node: file.node.name, stateDir: () => this.loaded.config.ipvs.state_dir, log: this.opts.log, changed: () => this.applyRuntime() }, restored);
    // Not awaited: the start holds the queue that applying it waits in; the ledger has it at once.
    void this.runtime.clearCaughtUp(file);
    this.loaded = { config: effectiveConfig(file, this.runtime.active()), hash: this.loaded.hash };
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
      const config = this.runningConfig(this.fileConfig, records);
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

  /**
   * The config the daemon runs on: the file's, with the operator's runtime real-server changes,
   * and real servers given by name at their addresses. Every change after start (a reload, a
   * runtime change, a name that moved) is judged against it; without the addresses a runtime
   * change would read every named real server as gone.
   */
  private runningConfig(file: Config, records: readonly ChangeRecord[]): Config {
    return this.names.materialize(effectiveConfig(file, records)).config;
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
    // Read before configure(): that schedules the first lookups, which must find the saved addresses in place.
    const saved = await this.saved.names(file);
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
        const next = this.runningConfig(this.fileConfig, this.runtime?.active() ?? []);
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
    await this.saved.saveNames(this.names.snapshot());
  }

  /** A node with no services and no sync daemon never needs IPVS (a VRRP-only router). */
  private needsIpvs(config: Config): boolean {
    return config.services.length > 0 || config.ipvs.sync_daemon.enabled;
  }

  private async startIpvs(config: Config): Promise<void> {
    const started = await startIpvs(config, {
      openIpvs: this.opts.openIpvs,
      health: this.health,
      log: this.opts.log,
      saved: this.saved,
      runtime: this.runtime?.all() ?? [],
      isMaster: this.isMaster(),
      masters: this.vrrp?.masterInstances() ?? [],
      onQuorumChange: (service, met, healthyWeight) => this.quorumHooks.changed(service, met, healthyWeight),
      onReconciled: (report, seconds) => {
        this.metrics.recordReconcile(report.result.failed.length === 0, seconds);
        // Quorum and disabled services are decided by the reconcile: the announcement follows.
        void this.announce();
      },
    });
    ({ client: this.ipvsClient, ipvs: this.ipvs, sync: this.sync, leftovers: this.leftovers } = started);
  }

  /** Whether each service is up for BGP: quorum met (IPVS) and not disabled by the operator. */
  private servicesUp(): ServiceUp {
    const disabled = new Set((this.ipvs?.overridesList() ?? []).filter((o) => o.realServer === undefined).map((o) => o.service));
    return (name) => ({ quorumMet: this.ipvs?.quorumState(name) === true, disabled: disabled.has(name) });
  }

  private announce(): Promise<void> {
    return this.stopping ? Promise.resolve() : this.bgp.announce(this.loaded.config, this.servicesUp());
  }

  private isMaster(): boolean {
    return this.vrrp?.isMaster() ?? false;
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
    loaded = { config: this.runningConfig(file, (this.runtime?.active() ?? []).filter((r) => !caught.has(r))), hash: loaded.hash };
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
    if (caught.size > 0) void this.runtime?.clearCaughtUp(file);
    this.ipvs?.prune();
    if (this.ipvs) await this.saved.recordManaged(loaded.config, managedServices(loaded.config, this.leftovers));
    this.metrics.recordReload(true);
    this.metrics.setConfigHash(loaded.hash);
    log.info({ configHash: loaded.hash }, 'reload applied');
    return { ok: true, hash: loaded.hash, changed: true };
  }

  /** IPVS first (so VIPs never point at missing services), then the sync daemon, then VRRP. */
  private async applyConfig(config: Config, diff: ServiceDiff): Promise<void> {
    if (this.ipvs) {
      const { failed } = (await this.ipvs.reload(config, diff)).result;
      if (failed.length > 0) throw new Error(failedChanges(failed));
    } else if (this.needsIpvs(config)) {
      await this.startIpvs(config);
    }
    await this.sync?.reconfigure(config.ipvs.sync_daemon, this.isMaster());
    // VRRP throws without changing anything when it cannot take the config.
    await this.vrrp?.reload(config);
    await this.bgp.configure(config, this.servicesUp());
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
    await this.bgp.stop().catch((err: unknown) => log.error({ err }, 'withdrawing the BGP announcements'));
    await this.vrrp?.stop().catch((err: unknown) => log.error({ err }, 'stopping VRRP'));
    this.forgetVrrpOnCrash?.();
    this.mainLoopDelay.stop();
    this.names.stop();
    await this.saveNames();
    await this.ipvs?.stop().catch((err: unknown) => log.error({ err }, 'stopping IPVS management'));
    if (!this.ipvs) this.health.stop();
    if (this.ipvs) await this.saved.saveHealth();
    await this.quorumHooks.drain(QUORUM_HOOKS_DRAIN_MS);
    await this.sync?.stop();
    this.ipvsClient?.close();
    await this.control?.close();
    await new Promise<void>((resolve) => (this.metricsServer ? this.metricsServer.close(() => resolve()) : resolve()));
    log.info('lvsd stopped');
  }

  /** `lvsd status`: IPVS read fresh from the kernel. */
  status(): Promise<StatusReport> {
    const client = this.ipvsClient;
    return daemonStatus(this.parts(), client ? () => client.read() : undefined);
  }

  /** The status page's report: IPVS from the snapshot /metrics serves. */
  private snapshotStatus(): Promise<StatusReport> {
    return daemonStatus(this.parts(), this.ipvsClient ? async () => (await this.ipvsSnapshot.get()) ?? { services: [] } : undefined);
  }

  /** The parts what the daemon shows reads (daemon-reports.ts). */
  private parts(): RunningParts {
    return {
      loaded: () => this.loaded,
      health: this.health,
      names: this.names,
      bgp: this.bgp,
      mainLoopDelay: this.mainLoopDelay,
      ipvsSnapshot: () => (this.ipvsClient ? this.ipvsSnapshot : undefined),
      ipvs: () => this.ipvs,
      vrrp: () => this.vrrp,
      runtime: () => this.runtime,
    };
  }

  /** The control socket's methods (control-handlers.ts) on this daemon. */
  private controlHandlers(): ControlHandlers {
    return controlHandlers({
      config: () => this.loaded.config,
      fileConfig: () => this.fileConfig,
      status: () => this.status(),
      reload: (force) => this.reload(force),
      vrrp: () => this.vrrp,
      ipvs: () => this.ipvs,
      runtime: () => this.runtime,
      setMaintenance: (on) => this.bgp.setMaintenance(on, this.loaded.config, this.servicesUp()),
    });
  }
}
