// The VRRP side of the daemon: one VrrpRunner per configured instance, wired to its shared raw
// socket (vrrp-socket-pool.ts), its VIP queue (vrrp-vip-queue.ts), tracking, sync groups
// (vrrp-sync-groups.ts) and notify hooks (vrrp-notify.ts); start, reload (vrrp-reload-diff.ts decides what restarts), stop and manual
// failover. What it reports is vrrp-status.ts; stale VIPs at start, vrrp-leftovers.ts.
//
// VIPs and exit paths. A stopping instance sends priority 0 (backups take over after Skew_Time)
// and removes its VIPs; stop() resolves only when every removal is done. On an exit we do not
// control, VIPs may stay behind:
//   - process 'exit' (process.exit, also of the VRRP worker thread): the hook below still sends
//     priority 0 from every master, because raw-socket sends are synchronous; removing the VIPs
//     needs netlink round trips, which an exit handler cannot wait for. (An uncaught exception
//     is handled before that: see vrrp-worker.ts.)
//   - SIGKILL, a kernel panic, power loss: nothing is sent; the peer takes over after
//     Master_Down_Interval.
// Either way, start() removes every configured VIP it finds before the instances start, so a
// restarted daemon never holds a VIP it is not master for.
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import type { DropReason } from '../vrrp/drop-reasons.js';
import type { InstanceSpec } from '../vrrp/from-config.js';
import type { FailoverMode, InstanceAction, TransitionReason, VrrpState } from '../vrrp/instance.js';
import { VrrpReceiver } from '../vrrp/receiver.js';
import { VrrpRunner } from '../vrrp/runner.js';
import { InstanceTracker } from '../vrrp/tracker.js';
import { NetlinkVrrpKernel, type VrrpKernel } from './vrrp-kernel.js';
import { removeLeftoverVips } from './vrrp-leftovers.js';
import { VrrpNotify } from './vrrp-notify.js';
import { PeerWatch } from './vrrp-peer-watch.js';
import { diffInstances, wantedInstances, type WantedInstance } from './vrrp-reload-diff.js';
import { VrrpSocketPool, type SharedSocket } from './vrrp-socket-pool.js';
import { instanceView, type FailoverResult, type VrrpInstanceView, type VrrpSocketView, type VrrpSyncGroupView } from './vrrp-status.js';
import { VrrpSyncGroups } from './vrrp-sync-groups.js';
import { VipQueue } from './vrrp-vip-queue.js';
import { InstanceVmac, vmacLinkOf } from './vrrp-vmac.js';

export interface VrrpManagerDeps {
  log: Logger;
  /** Default: the kernel of the namespace lvsd runs in. */
  kernel?: VrrpKernel;
  /**
   * A listener that also hears the transitions made while start() runs (an address owner, priority
   * 255, is master before start() returns); onStateChange() adds more later.
   */
  onStateChange?: StateChangeListener;
}

/** The part of the config VRRP runs on (the VRRP thread is sent only this, never the services). */
export type VrrpConfig = Pick<Config, 'vrrp'>;

export type StateChangeListener = (instance: string, state: VrrpState, reason: TransitionReason) => void;

/** How long a manual failover holds when the caller gives no time. */
export const DEFAULT_FAILOVER_HOLD_MS = 60_000;
/** The peer watch never samples more often than this. */
const MIN_PEER_WATCH_MS = 100;

interface ManagedInstance {
  spec: InstanceSpec;
  /** Everything that, when changed, restarts the instance. */
  fingerprint: string;
  runner: VrrpRunner;
  tracker: InstanceTracker;
  socket: SharedSocket;
  watch: PeerWatch;
  watchTimer: NodeJS.Timeout | undefined;
  groupName?: string;
  lastTransition?: VrrpInstanceView['lastTransition'];
  /** VIP changes and announcements, in order (vrrp-vip-queue.ts). */
  vips: VipQueue;
  /** Called on every advert for this VRID the socket delivers, even after the runner stopped. */
  onPeerAdvert?: () => void;
  /** use_vmac: the macvlan the VIPs and adverts go through (vrrp-vmac.ts). */
  vmac?: InstanceVmac;
}

export class VrrpManager {
  private readonly kernel: VrrpKernel;
  private readonly log: Logger;
  private readonly instances = new Map<string, ManagedInstance>();
  private readonly socketPool: VrrpSocketPool;
  private readonly groups: VrrpSyncGroups;
  private linkWatch: { close(): void } | undefined;
  /** reload() and stop() run one at a time. */
  private operations: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<StateChangeListener>();
  private stopped = false;
  private readonly notify: VrrpNotify;

  private constructor(deps: VrrpManagerDeps) {
    this.kernel = deps.kernel ?? new NetlinkVrrpKernel();
    this.log = deps.log.child({ subsystem: 'vrrp' });
    this.notify = new VrrpNotify(this.log);
    this.groups = new VrrpSyncGroups(this.log, this.notify, (member, command) => this.instances.get(member)?.runner.sync(command));
    this.socketPool = new VrrpSocketPool(this.kernel, this.log);
    if (deps.onStateChange) this.listeners.add(deps.onStateChange);
  }

  /**
   * Starts every configured instance. Throws (with nothing left running) when an instance cannot
   * run: a missing interface, no address to send adverts from, a socket the kernel refuses.
   */
  static async start(config: VrrpConfig, deps: VrrpManagerDeps): Promise<VrrpManager> {
    const manager = new VrrpManager(deps);
    try {
      await manager.startAll(config);
    } catch (err) {
      await manager.stop();
      throw err;
    }
    return manager;
  }

  /**
   * Applies a new config. Instances whose settings, tracking, notify hooks and sync group are
   * unchanged keep running untouched; changed ones are stopped (priority 0, VIPs removed) and
   * started again; removed ones stop; new ones start. Throws without changing anything when the
   * new config cannot run.
   */
  reload(config: VrrpConfig): Promise<void> {
    return this.serialize(() => this.reloadNow(config));
  }

  /** Stops every instance: masters send priority 0, VIPs are removed, sockets closed. */
  stop(): Promise<void> {
    return this.serialize(async () => {
      if (this.stopped) return;
      this.stopped = true;
      process.removeListener('exit', this.onExit);
      await Promise.all([...this.instances.keys()].map((name) => this.stopInstance(name)));
      this.linkWatch?.close();
      this.linkWatch = undefined;
      this.kernel.close();
      await this.notify.drain();
    });
  }

  /**
   * Manual failover of one instance, or of every instance where it applies (masters for
   * step-down, backups for take-over) when `instance` is undefined. Sync groups follow their
   * member. See VrrpInstance.failover for the semantics of `holdMs`.
   */
  failover(instance: string | undefined, mode: FailoverMode, holdMs = DEFAULT_FAILOVER_HOLD_MS): FailoverResult[] {
    if (instance !== undefined) {
      const managed = this.instances.get(instance);
      if (!managed) return [{ instance, ok: false, reason: `no VRRP instance named ${instance}` }];
      return [this.failoverOne(instance, managed, mode, holdMs)];
    }
    const applies: VrrpState = mode === 'step-down' ? 'master' : 'backup';
    return [...this.instances]
      .filter(([, m]) => m.runner.instance.currentState === applies)
      .map(([name, m]) => this.failoverOne(name, m, mode, holdMs));
  }

  /**
   * Calls `listener` on every state change of every instance (the daemon makes the IPVS sync
   * daemon follow VRRP with it). Returns a function that removes the listener.
   */
  onStateChange(listener: StateChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One entry per running instance, in config order. */
  status(): VrrpInstanceView[] {
    const now = performance.now();
    return [...this.instances.values()].map((m) =>
      instanceView(
        {
          status: m.runner.status(),
          settings: m.spec.settings,
          notifyHooks: this.notify.runsOf(m.spec.settings.name),
          ...(m.lastTransition ? { lastTransition: m.lastTransition } : {}),
          ...(m.groupName !== undefined ? { groupName: m.groupName } : {}),
          faultItems: m.tracker.result.faultyItems,
          watch: m.watch,
        },
        now,
      ),
    );
  }

  syncGroups(): VrrpSyncGroupView[] {
    return this.groups.views();
  }

  /** The shared sockets with the packets they received and the drops no instance could take. */
  sockets(): VrrpSocketView[] {
    return this.socketPool.views();
  }

  // --- start, reload, stop ---

  private async startAll(config: VrrpConfig): Promise<void> {
    const wanted = await wantedInstances(config, this.kernel);
    this.groups.rebuild(config.vrrp.sync_groups);
    await this.startInstances(wanted);
  }

  private async reloadNow(config: VrrpConfig): Promise<void> {
    if (this.stopped) throw new Error('the VRRP manager is stopped');
    const wanted = await wantedInstances(config, this.kernel);
    const { keep, leaving, starting, restarted, removed, added } = diffInstances(new Map([...this.instances].map(([name, m]) => [name, m.fingerprint])), wanted);
    await Promise.all(leaving.map((name) => this.stopInstance(name)));
    this.groups.rebuild(config.vrrp.sync_groups, keep);
    await this.startInstances(starting);
    this.log.info({ kept: [...keep], restarted, removed, added }, 'VRRP configuration reloaded');
  }

  /**
   * Creates every runner first and starts them after, so sync-group orders from the first
   * member to start (fault above all) reach members that have not started yet.
   */
  private async startInstances(wanted: readonly WantedInstance[]): Promise<void> {
    if (wanted.length === 0) return;
    if (!this.linkWatch) {
      this.linkWatch = this.kernel.watchLinks((ifname, running) => {
        for (const m of this.instances.values()) m.tracker.setInterface(ifname, running);
      });
      process.on('exit', this.onExit);
    }
    await removeLeftoverVips(this.kernel, wanted.map((p) => ({ ...p.spec.settings, vmacLink: vmacLinkOf(p.spec.settings) })), this.log);
    for (const p of wanted) {
      const link = vmacLinkOf(p.spec.settings);
      if (!link) continue;
      const warnings = await this.kernel.createVmac(link);
      for (const warning of warnings) this.log.warn({ instance: p.spec.settings.name, vmac: link.name }, warning);
      this.log.info({ instance: p.spec.settings.name, vmac: link.name, mac: link.mac, parent: link.parent }, `VRRP ${p.spec.settings.name}: macvlan ${link.name} created`);
    }
    const created = wanted.map((p) => this.createInstance(p));
    // Real link states before the first election, so a node whose link is down starts in FAULT.
    for (const m of created) {
      for (const iface of m.spec.track.interfaces) m.tracker.setInterface(iface.name, (await this.kernel.linkRunning(iface.name)) === true);
    }
    for (const m of created) this.run(m);
  }

  private createInstance(p: WantedInstance): ManagedInstance {
    const { settings, track } = p.spec;
    const socket = this.socketPool.acquire(settings);
    const name = settings.name;
    const vmac = this.openVmac(p.spec);
    const vipQueue: VipQueue = new VipQueue(name, this.kernel, this.log, vmac, (): boolean => runner.instance.currentState === 'master');
    const runner: VrrpRunner = new VrrpRunner(settings, {
      transport: vmac?.transport ?? socket.handle,
      vips: {
        add: (ifname, vips) => vipQueue.change(ifname, vips, 'add'),
        remove: (ifname, vips) => vipQueue.change(ifname, vips, 'remove'),
      },
      announcer: { announce: (ifname, address) => vipQueue.announce(ifname, address) },
      onAction: (action) => this.onAction(name, action),
      onError: (err, what) => this.log.error({ err, instance: name }, `VRRP ${what} failed`),
      onDrops: (reason, count, src) => this.log.warn({ instance: name, reason, count, src }, `VRRP ${name}: dropped ${count} advert(s): ${reason}`),
    });
    const tracker = new InstanceTracker(settings.priority, track, {
      onChange: (result) => {
        this.log.info({ instance: name, priority: result.priority, fault: result.fault, faultyItems: result.faultyItems }, 'VRRP tracking changed');
        runner.tracking(result.priority, result.fault);
      },
      onScript: (script, up, run) => this.log.info({ instance: name, script, up, run }, `track script ${up ? 'succeeds' : 'fails'}`),
    });
    const managed: ManagedInstance = {
      spec: p.spec,
      fingerprint: p.fingerprint,
      runner,
      tracker,
      socket,
      watch: new PeerWatch(settings.advertIntervalMs),
      watchTimer: undefined,
      ...(p.groupName !== undefined ? { groupName: p.groupName } : {}),
      vips: vipQueue,
      ...(vmac ? { vmac } : {}),
    };
    this.instances.set(name, managed);
    const sink = {
      receive: (advert: Parameters<VrrpRunner['receive']>[0]) => {
        managed.onPeerAdvert?.();
        runner.receive(advert);
      },
      countDrop: (reason: DropReason, src: string) => runner.countDrop(reason, src),
    };
    socket.receiver.register(settings.vrid, vmac ? vmac.listen(settings.vrid, sink) : sink);
    return managed;
  }

  private run(m: ManagedInstance): void {
    const s = m.spec.settings;
    if (!s.accept) this.log.warn({ instance: s.name }, 'accept: false is not enforced: the kernel accepts traffic to the VIPs while this node is master');
    m.runner.start();
    m.tracker.start();
    m.watchTimer = setInterval(() => this.watchPeers(m), Math.max(MIN_PEER_WATCH_MS, s.advertIntervalMs));
    m.watchTimer.unref();
    this.log.info({ instance: s.name, interface: s.interface, vrid: s.vrid, version: s.version, priority: s.priority, source: s.primaryAddress }, 'VRRP instance started');
  }

  /**
   * Make before break: a stopping master sends priority 0 and keeps its VIPs until the backup
   * that takes over (after its Skew_Time, at most one advert interval) sends its first advert, or
   * that interval has passed. Clients keep their replies from us until the new master's
   * gratuitous ARP moves them, instead of facing a gap from our removal to its takeover.
   */
  private async stopInstance(name: string): Promise<void> {
    const m = this.instances.get(name);
    if (!m) return;
    clearInterval(m.watchTimer);
    m.tracker.stop();
    if (m.runner.instance.currentState === 'master') {
      const s = m.runner.status();
      const waitMs = m.spec.settings.version === 2 ? 1000 : s.masterAdvertIntervalMs;
      m.vips.handOver = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        m.onPeerAdvert = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    m.runner.stop();
    await m.vips.settled();
    m.socket.receiver.unregister(m.spec.settings.vrid);
    this.instances.delete(name);
    this.socketPool.release(m.socket);
    if (m.vmac) await this.closeVmac(name, m.vmac);
  }

  /**
   * use_vmac: a socket bound to the macvlan, which the instance sends through and, while the
   * macvlan is up, hears multicast adverts on (vrrp-vmac.ts says why).
   */
  private openVmac(spec: InstanceSpec): InstanceVmac | undefined {
    const link = vmacLinkOf(spec.settings);
    if (!link) return undefined;
    const s = spec.settings;
    const multicast = s.unicastPeers.length === 0;
    const receiver = new VrrpReceiver(s.family);
    const socket = this.kernel.openSocket({ family: s.family, ifname: link.name, source: s.primaryAddress, multicast }, receiver.onPacket);
    return new InstanceVmac(link, this.kernel, socket, receiver, multicast, (err, dst) =>
      this.log.error({ err, instance: s.name, dst }, `VRRP ${s.name}: cannot send advert to ${dst}`),
    );
  }

  private async closeVmac(name: string, vmac: InstanceVmac): Promise<void> {
    vmac.close();
    try {
      await this.kernel.removeVmac(vmac.link);
      this.log.info({ instance: name, vmac: vmac.link.name }, `VRRP ${name}: macvlan ${vmac.link.name} removed`);
    } catch (err) {
      this.log.error({ err, instance: name, vmac: vmac.link.name }, `VRRP ${name}: cannot remove macvlan ${vmac.link.name}`);
    }
  }

  /**
   * Only synchronous work can happen here: the priority-0 adverts go out, then every socket is
   * closed (in a worker thread, an open netlink socket at exit crashes the whole process).
   */
  private readonly onExit = (): void => {
    this.notify.exit();
    for (const m of this.instances.values()) m.runner.stop();
    this.socketPool.closeAll();
    for (const m of this.instances.values()) m.vmac?.close();
    this.linkWatch?.close();
    this.kernel.close();
  };

  // --- what the runners do ---

  private onAction(name: string, action: InstanceAction): void {
    const m = this.instances.get(name);
    if (!m) return;
    if (action.type === 'state') this.onTransition(name, m, action);
    if (action.type === 'reannounce') {
      this.log.warn({ instance: name, peer: action.peer, peerPriority: action.peerPriority }, `VRRP ${name}: lower-priority master ${action.peer} on the LAN; re-announcing the VIPs`);
    }
    this.groups.observe(m.groupName, name, action);
  }

  private onTransition(name: string, m: ManagedInstance, action: Extract<InstanceAction, { type: 'state' }>): void {
    const { from, to, reason } = action;
    const priority = m.runner.status().priority;
    m.lastTransition = { at: new Date().toISOString(), from, to, reason };
    const level = to === 'fault' || reason === 'higher-priority' ? 'warn' : 'info';
    this.log[level]({ instance: name, from, to, reason, priority }, `VRRP ${name}: ${from} -> ${to} (${reason})`);
    this.notify.instance(m.spec, action, priority);
    for (const listener of this.listeners) listener(name, to, reason);
  }

  private failoverOne(name: string, m: ManagedInstance, mode: FailoverMode, holdMs: number): FailoverResult {
    const outcome = m.runner.failover(mode, holdMs);
    if (!outcome.ok) return { instance: name, ok: false, reason: outcome.reason };
    this.log.warn({ instance: name, mode, holdMs }, `VRRP ${name}: manual ${mode}`);
    return { instance: name, ok: true };
  }

  private watchPeers(m: ManagedInstance): void {
    const name = m.spec.settings.name;
    const changes = m.watch.observe(m.runner.status(), performance.now());
    for (const d of changes.checksumDifferences) {
      this.log.warn(
        { instance: name, peer: d.peer, peerChecksum: d.peerChecksum, ourChecksum: d.ourChecksum },
        `VRRP ${name}: peer ${d.peer} uses the ${d.peerChecksum} checksum and we send ${d.ourChecksum}; a peer that rejects ours will not see us (set checksum to its variant: auto follows only the master we back up, and a unicast peer that ignores our answers)`,
      );
    }
    for (const s of changes.splitBrainStarted) {
      const hint = s.checksumDiffers ? 'it uses another VRRPv3 checksum variant and likely rejects ours (set checksum to its variant)' : 'it does not hear our adverts (firewall, one-way link, VRID clash?)';
      this.log.error({ instance: name, peer: s.peer, peerPriority: s.peerPriority, checksumDiffers: s.checksumDiffers }, `VRRP ${name}: split brain: ${s.peer} advertises as master while we are master; ${hint}`);
    }
    for (const peer of changes.splitBrainEnded) this.log.info({ instance: name, peer }, `VRRP ${name}: split brain with ${peer} ended`);
  }

  private serialize<T>(op: () => Promise<T>): Promise<T> {
    const next = this.operations.then(op, op);
    this.operations = next.catch(() => undefined);
    return next;
  }
}
