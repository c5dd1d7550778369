// The VRRP side of the daemon: one VrrpRunner per configured instance, wired to raw sockets
// (shared per interface, family and source), VIPs, announcements, tracking, sync groups and
// notify hooks, with reload, manual failover and status.
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
import type { Config, SyncGroupConfig, VrrpInstanceConfig } from '../config/types.js';
import type { VrrpPacketHandler } from '../kernel/vrrp-socket.js';
import type { ChecksumVariant } from '../vrrp/checksum.js';
import type { DropReason } from '../vrrp/drop-reasons.js';
import { advertSource, instancePlan, notifySettings, vipSpecs, type InstancePlan } from '../vrrp/from-config.js';
import type { FailoverMode, InstanceAction, PeerStatus, TransitionReason, VrrpState } from '../vrrp/instance.js';
import { instanceNotifyEvent, notifyState, type NotifyEvent } from '../vrrp/notify.js';
import { NotifyRunner, type NotifyRuns } from '../vrrp/notify-spawn.js';
import { VrrpReceiver } from '../vrrp/receiver.js';
import { VrrpRunner, type RunnerStatus } from '../vrrp/runner.js';
import type { NotifySettings, VipSpec } from '../vrrp/settings.js';
import { SyncGroup } from '../vrrp/sync-group.js';
import { InstanceTracker } from '../vrrp/tracker.js';
import { NetlinkVrrpKernel, type VmacLink, type VrrpKernel, type VrrpSocketHandle } from './vrrp-kernel.js';
import { configuredVmacLink, InstanceVmac, vmacLinkOf } from './vrrp-vmac.js';
import { PeerWatch, type SplitBrain } from './vrrp-peer-watch.js';
import type { IpFamily } from '../net/address.js';

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
/** Notify hooks: a hung one is killed after 30 s, at most 8 run at once daemon-wide, 32 transitions wait per instance. */
const NOTIFY = { timeoutMs: 30_000, concurrency: 8, maxWaiting: 32 };
/** On stop, hooks still queued (the `stop` ones) get this long before they are killed. */
const NOTIFY_DRAIN_MS = 10_000;
/** The peer watch never samples more often than this. */
const MIN_PEER_WATCH_MS = 100;

export interface VrrpPeerView extends PeerStatus {
  /** How long ago its last accepted advert arrived, ms. */
  lastSeenMsAgo: number;
  /** Its checksum variant is not the one we send (see vrrp-peer-watch.ts). */
  checksumDiffers: boolean;
}

/** The runner's status (`priority` is the advertised one) plus what the manager knows. */
export interface VrrpInstanceView extends RunnerStatus {
  /** Its notify hooks that ran (or failed to) so far. */
  notifyHooks: NotifyRuns;
  interface: string;
  family: IpFamily;
  vrid: number;
  version: 2 | 3;
  advertIntervalMs: number;
  /** Our advert source (and tie-break address). */
  source: string;
  /** The current master: us when master, the followed peer when backup. */
  currentMaster?: { address: string; priority: number };
  lastTransition?: { at: string; from: VrrpState; to: VrrpState; reason: TransitionReason };
  syncGroup?: string;
  /** Tracked items that hold the instance in FAULT, as "kind name". */
  faultItems: string[];
  peers: VrrpPeerView[];
  /** Peers that keep advertising while we are master (see vrrp-peer-watch.ts). */
  splitBrain: SplitBrain[];
  splitBrainsDetected: number;
  /** Time left of a manual failover's hold, ms. */
  holdMsLeft?: number;
}

export interface VrrpSocketView {
  interface: string;
  family: IpFamily;
  source: string;
  multicast: boolean;
  packets: number;
  /** Drops that named no instance on this socket (unknown VRID, bad checksum before dispatch...). */
  drops: Partial<Record<DropReason, number>>;
}

export interface VrrpSyncGroupView {
  name: string;
  state: VrrpState;
  members: string[];
  faultyMembers: string[];
}

export interface FailoverResult {
  instance: string;
  ok: boolean;
  /** Why it was refused. */
  reason?: string;
}

interface SharedSocket {
  key: string;
  view: Omit<VrrpSocketView, 'packets' | 'drops'>;
  receiver: VrrpReceiver;
  handle: VrrpSocketHandle;
  users: number;
}

interface ManagedGroup {
  group: SyncGroup;
  notify: NotifySettings;
}

interface ManagedInstance {
  plan: InstancePlan;
  /** Everything that, when changed, restarts the instance. */
  fingerprint: string;
  runner: VrrpRunner;
  tracker: InstanceTracker;
  socket: SharedSocket;
  watch: PeerWatch;
  watchTimer: NodeJS.Timeout | undefined;
  groupName?: string;
  lastTransition?: VrrpInstanceView['lastTransition'];
  /** VIP changes run one after another, so a quick master-backup-master cannot reorder them. */
  vipOps: Promise<void>;
  /** Set while a stopping master keeps its VIPs until a new master speaks (see stopInstance). */
  handOver?: Promise<void>;
  /** Called on every advert for this VRID the socket delivers, even after the runner stopped. */
  onPeerAdvert?: () => void;
  /** use_vmac: the macvlan the VIPs and adverts go through (vrrp-vmac.ts). */
  vmac?: InstanceVmac;
}

interface PlannedInstance {
  plan: InstancePlan;
  fingerprint: string;
  groupName?: string;
}

export class VrrpManager {
  private readonly kernel: VrrpKernel;
  private readonly log: Logger;
  private readonly instances = new Map<string, ManagedInstance>();
  private readonly openSockets = new Map<string, SharedSocket>();
  private readonly groups = new Map<string, ManagedGroup>();
  private linkWatch: { close(): void } | undefined;
  /** reload() and stop() run one at a time. */
  private operations: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<StateChangeListener>();
  private exiting = false;
  private stopped = false;
  private readonly notify: NotifyRunner;

  private constructor(private readonly deps: VrrpManagerDeps) {
    this.kernel = deps.kernel ?? new NetlinkVrrpKernel();
    this.log = deps.log.child({ subsystem: 'vrrp' });
    this.notify = new NotifyRunner(this.log, NOTIFY);
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
      await this.notify.drain(NOTIFY_DRAIN_MS);
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
    return [...this.instances.values()].map((m) => this.instanceView(m, now));
  }

  syncGroups(): VrrpSyncGroupView[] {
    return [...this.groups.values()].map(({ group }) => ({
      name: group.name,
      state: group.currentState,
      members: [...group.members],
      faultyMembers: group.faultyMembers,
    }));
  }

  /** The shared sockets with the packets they received and the drops no instance could take. */
  sockets(): VrrpSocketView[] {
    return [...this.openSockets.values()].map((s) => ({
      ...s.view,
      packets: s.receiver.packets,
      drops: Object.fromEntries(Object.entries(s.receiver.drops).filter(([, n]) => n > 0)),
    }));
  }

  // --- start, reload, stop ---

  private async startAll(config: VrrpConfig): Promise<void> {
    const planned = await this.planAll(config);
    this.rebuildGroups(config.vrrp.sync_groups);
    await this.startInstances(planned);
  }

  private async reloadNow(config: VrrpConfig): Promise<void> {
    if (this.stopped) throw new Error('the VRRP manager is stopped');
    const planned = await this.planAll(config);
    const wanted = new Map(planned.map((p) => [p.plan.settings.name, p]));
    const keep = new Set([...this.instances].filter(([name, m]) => wanted.get(name)?.fingerprint === m.fingerprint).map(([name]) => name));
    const leaving = [...this.instances.keys()].filter((name) => !keep.has(name));
    await Promise.all(leaving.map((name) => this.stopInstance(name)));
    // Groups whose members all stayed keep their state; the others start from scratch.
    const keptGroups = new Map([...this.groups].filter(([, g]) => g.group.members.every((m) => keep.has(m))));
    this.rebuildGroups(config.vrrp.sync_groups, keptGroups);
    const starting = planned.filter((p) => !keep.has(p.plan.settings.name));
    await this.startInstances(starting);
    this.log.info(
      {
        kept: [...keep],
        restarted: leaving.filter((n) => wanted.has(n)),
        removed: leaving.filter((n) => !wanted.has(n)),
        added: starting.map((p) => p.plan.settings.name).filter((n) => !leaving.includes(n)),
      },
      'VRRP configuration reloaded',
    );
  }

  /**
   * Creates every runner first and starts them after, so sync-group orders from the first
   * member to start (fault above all) reach members that have not started yet.
   */
  private async startInstances(planned: readonly PlannedInstance[]): Promise<void> {
    if (planned.length === 0) return;
    if (!this.linkWatch) {
      this.linkWatch = this.kernel.watchLinks((ifname, running) => {
        for (const m of this.instances.values()) m.tracker.setInterface(ifname, running);
      });
      process.on('exit', this.onExit);
    }
    await removeLeftoverVips(this.kernel, planned.map((p) => ({ ...p.plan.settings, vmacLink: vmacLinkOf(p.plan.settings) })), this.log);
    for (const p of planned) {
      const link = vmacLinkOf(p.plan.settings);
      if (!link) continue;
      const warnings = await this.kernel.createVmac(link);
      for (const warning of warnings) this.log.warn({ instance: p.plan.settings.name, vmac: link.name }, warning);
      this.log.info({ instance: p.plan.settings.name, vmac: link.name, mac: link.mac, parent: link.parent }, `VRRP ${p.plan.settings.name}: macvlan ${link.name} created`);
    }
    const created = planned.map((p) => this.createInstance(p));
    // Real link states before the first election, so a node whose link is down starts in FAULT.
    for (const m of created) {
      for (const iface of m.plan.track.interfaces) m.tracker.setInterface(iface.name, (await this.kernel.linkRunning(iface.name)) === true);
    }
    for (const m of created) this.run(m);
  }

  /** Maps every instance, looking up its advert source; throws naming each that cannot run. */
  private async planAll(config: VrrpConfig): Promise<PlannedInstance[]> {
    const allVips = new Set(config.vrrp.instances.flatMap((i) => i.vips.map((v) => v.address)));
    const groupOf = new Map<string, SyncGroupConfig>();
    for (const g of config.vrrp.sync_groups) for (const member of g.instances) groupOf.set(member, g);
    const problems: string[] = [];
    const planned: PlannedInstance[] = [];
    for (const inst of config.vrrp.instances) {
      const result = instancePlan(inst, await this.sourceFor(inst, allVips));
      if (!result.ok) {
        problems.push(result.problem);
        continue;
      }
      const group = groupOf.get(inst.name);
      planned.push({
        plan: result.plan,
        fingerprint: JSON.stringify({ plan: result.plan, group: group ?? null }),
        ...(group ? { groupName: group.name } : {}),
      });
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
    return planned;
  }

  private async sourceFor(inst: VrrpInstanceConfig, allVips: ReadonlySet<string>): Promise<string | undefined> {
    const addresses = await this.kernel.addresses(inst.interface);
    if (addresses === undefined) throw new Error(`vrrp instance ${inst.name}: no interface ${inst.interface}`);
    return advertSource(inst, addresses, allVips);
  }

  private rebuildGroups(configs: readonly SyncGroupConfig[], keep: ReadonlyMap<string, ManagedGroup> = new Map()): void {
    this.groups.clear();
    for (const g of configs) {
      this.groups.set(g.name, keep.get(g.name) ?? { group: new SyncGroup(g.name, g.instances), notify: notifySettings(g.notify) });
    }
  }

  private createInstance(p: PlannedInstance): ManagedInstance {
    const { settings, track } = p.plan;
    const socket = this.acquireSocket(p.plan);
    const name = settings.name;
    const managedRef: { current?: ManagedInstance } = {};
    const vmac = this.openVmac(p.plan);
    const runner = new VrrpRunner(settings, {
      transport: vmac?.transport ?? socket.handle,
      vips: {
        add: (ifname, vips) => this.queueVips(managedRef.current, ifname, vips, 'add'),
        remove: (ifname, vips) => this.queueVips(managedRef.current, ifname, vips, 'remove'),
      },
      announcer: { announce: (ifname, address) => this.queueAnnounce(managedRef.current, ifname, address) },
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
      plan: p.plan,
      fingerprint: p.fingerprint,
      runner,
      tracker,
      socket,
      watch: new PeerWatch(settings.advertIntervalMs),
      watchTimer: undefined,
      ...(p.groupName !== undefined ? { groupName: p.groupName } : {}),
      vipOps: Promise.resolve(),
      ...(vmac ? { vmac } : {}),
    };
    managedRef.current = managed;
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
    const s = m.plan.settings;
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
      const waitMs = m.plan.settings.version === 2 ? 1000 : s.masterAdvertIntervalMs;
      m.handOver = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        m.onPeerAdvert = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    m.runner.stop();
    await m.vipOps;
    m.socket.receiver.unregister(m.plan.settings.vrid);
    this.instances.delete(name);
    this.releaseSocket(m.socket);
    if (m.vmac) await this.closeVmac(name, m.vmac);
  }

  /**
   * use_vmac: a socket bound to the macvlan, which the instance sends through and, while the
   * macvlan is up, hears multicast adverts on (vrrp-vmac.ts says why).
   */
  private openVmac(plan: InstancePlan): InstanceVmac | undefined {
    const link = vmacLinkOf(plan.settings);
    if (!link) return undefined;
    const s = plan.settings;
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
    this.exiting = true;
    for (const m of this.instances.values()) m.runner.stop();
    for (const s of this.openSockets.values()) s.handle.close();
    for (const m of this.instances.values()) m.vmac?.close();
    this.linkWatch?.close();
    this.kernel.close();
  };

  // --- sockets ---

  private acquireSocket(plan: InstancePlan): SharedSocket {
    const s = plan.settings;
    const multicast = s.unicastPeers.length === 0;
    const key = `${s.interface}/${s.family}/${s.primaryAddress}/${multicast ? 'multicast' : 'unicast'}`;
    let shared = this.openSockets.get(key);
    if (!shared) {
      const receiver = new VrrpReceiver(s.family, (reason, count, src) =>
        this.log.warn({ interface: s.interface, family: s.family, reason, count, src }, `VRRP: dropped ${count} packet(s) on ${s.interface}: ${reason}`),
      );
      const onPacket: VrrpPacketHandler = receiver.onPacket;
      const handle = this.kernel.openSocket({ family: s.family, ifname: s.interface, source: s.primaryAddress, multicast }, onPacket);
      shared = { key, view: { interface: s.interface, family: s.family, source: s.primaryAddress, multicast }, receiver, handle, users: 0 };
      this.openSockets.set(key, shared);
    }
    shared.users++;
    return shared;
  }

  private releaseSocket(shared: SharedSocket): void {
    shared.users--;
    if (shared.users > 0) return;
    shared.handle.close();
    this.openSockets.delete(shared.key);
  }

  // --- what the runners do ---

  private queueVips(m: ManagedInstance | undefined, ifname: string, vips: readonly VipSpec[], op: 'add' | 'remove'): Promise<void> {
    if (!m) return Promise.resolve();
    const name = m.plan.settings.name;
    const run = async (): Promise<void> => {
      if (op === 'add') await this.vmacLink(m, 'up');
      for (const vip of vips) {
        const dev = vip.dev ?? ifname;
        try {
          const changed = op === 'add' ? await this.kernel.addVip(dev, vip) : await this.kernel.removeVip(dev, vip);
          this.log.debug({ instance: name, vip: vip.address, interface: dev, changed }, op === 'add' ? 'VIP added' : 'VIP removed');
        } catch (err) {
          this.log.error({ err, instance: name, vip: vip.address, interface: dev }, `cannot ${op} VIP`);
        }
      }
      if (op === 'remove') await this.vmacLink(m, 'down');
    };
    const handOver = op === 'remove' ? m.handOver : undefined;
    m.vipOps = m.vipOps.then(() => handOver).then(run);
    return m.vipOps;
  }

  /** use_vmac: the macvlan goes up before the VIPs go on and down after they left (vrrp-vmac.ts). */
  private async vmacLink(m: ManagedInstance, to: 'up' | 'down'): Promise<void> {
    if (!m.vmac) return;
    try {
      await (to === 'up' ? m.vmac.bringUp() : m.vmac.bringDown());
    } catch (err) {
      this.log.error({ err, instance: m.plan.settings.name, vmac: m.vmac.link.name }, `cannot bring macvlan ${m.vmac.link.name} ${to}`);
    }
  }

  /**
   * A gratuitous ARP / unsolicited NA waits for the VIP changes queued before it: a neighbour
   * that switches to us before the address is ours only sees drops. Each one goes out on its own
   * turn of the event loop, because sending one costs milliseconds in the kernel and a burst must
   * not hold up the VIP itself, adverts or other instances. Measured: announcing first delayed
   * the VIP by 60-100 ms after a takeover.
   */
  private queueAnnounce(m: ManagedInstance | undefined, ifname: string, address: string): void {
    if (!m) return;
    const send = (): void => {
      if (m.runner.instance.currentState !== 'master') return;
      try {
        this.kernel.announce(ifname, address);
      } catch (err) {
        this.log.warn({ err, instance: m.plan.settings.name, address, interface: ifname }, 'cannot announce VIP');
      }
    };
    void m.vipOps.then(() => new Promise<void>((resolve) => setImmediate(() => {
      send();
      resolve();
    })));
  }

  private onAction(name: string, action: InstanceAction): void {
    const m = this.instances.get(name);
    if (!m) return;
    if (action.type === 'state') this.onTransition(name, m, action);
    if (action.type === 'reannounce') {
      this.log.warn({ instance: name, peer: action.peer, peerPriority: action.peerPriority }, `VRRP ${name}: lower-priority master ${action.peer} on the LAN; re-announcing the VIPs`);
    }
    const managedGroup = m.groupName !== undefined ? this.groups.get(m.groupName) : undefined;
    if (!managedGroup) return;
    const outcome = managedGroup.group.observe(name, action);
    for (const order of outcome.orders) this.instances.get(order.member)?.runner.sync(order.command);
    if (outcome.groupState && action.type === 'state') {
      const { from, to } = outcome.groupState;
      this.log.info({ syncGroup: managedGroup.group.name, from, to }, `VRRP sync group ${managedGroup.group.name} is ${to}`);
      this.runNotify(managedGroup.notify, {
        kind: 'group',
        name: managedGroup.group.name,
        state: notifyState(to),
        previous: from === 'initialize' ? 'initialize' : notifyState(from),
        reason: action.reason,
      });
    }
  }

  private onTransition(name: string, m: ManagedInstance, action: Extract<InstanceAction, { type: 'state' }>): void {
    const { from, to, reason } = action;
    const priority = m.runner.status().priority;
    m.lastTransition = { at: new Date().toISOString(), from, to, reason };
    const level = to === 'fault' || reason === 'higher-priority' ? 'warn' : 'info';
    this.log[level]({ instance: name, from, to, reason, priority }, `VRRP ${name}: ${from} -> ${to} (${reason})`);
    this.runNotify(m.plan.notify, instanceNotifyEvent(m.plan.settings, action, priority));
    for (const listener of this.listeners) listener(name, to, reason);
  }

  private runNotify(hooks: NotifySettings, event: NotifyEvent): void {
    if (!this.exiting) this.notify.notify(hooks, event);
  }

  private failoverOne(name: string, m: ManagedInstance, mode: FailoverMode, holdMs: number): FailoverResult {
    const outcome = m.runner.failover(mode, holdMs);
    if (!outcome.ok) return { instance: name, ok: false, reason: outcome.reason };
    this.log.warn({ instance: name, mode, holdMs }, `VRRP ${name}: manual ${mode}`);
    return { instance: name, ok: true };
  }

  private watchPeers(m: ManagedInstance): void {
    const name = m.plan.settings.name;
    const changes = m.watch.observe(m.runner.status(), performance.now());
    for (const d of changes.checksumDifferences) {
      this.log.warn(
        { instance: name, peer: d.peer, peerChecksum: d.peerChecksum, ourChecksum: d.ourChecksum },
        `VRRP ${name}: peer ${d.peer} uses the ${d.peerChecksum} checksum and we send ${d.ourChecksum}; a peer that rejects ours will not see us (set checksum to its variant: auto follows only the master we back up, and a unicast peer that ignores our answers)`,
      );
    }
    for (const s of changes.splitBrainStarted) {
      const hint = s.checksumDiffers ? 'it uses another VRRPv3 checksum variant and likely rejects ours (set checksum to its variant)' : 'it does not hear our adverts (firewall, one-way link, VRID clash?)';
      this.log.error({ instance: name, peer: s.peer, peerPriority: s.peerPriority, checksumDiffers: s.checksumDiffers }, `VRRP ${name}: split brain: ${s.peer} keeps advertising while we are master; ${hint}`);
    }
    for (const peer of changes.splitBrainEnded) this.log.info({ instance: name, peer }, `VRRP ${name}: split brain with ${peer} ended`);
  }

  private instanceView(m: ManagedInstance, now: number): VrrpInstanceView {
    const s = m.runner.status();
    const settings = m.plan.settings;
    const currentMaster = s.state === 'master' ? { address: settings.primaryAddress, priority: s.priority } : s.master;
    return {
      ...s,
      notifyHooks: this.notify.runsOf({ kind: 'instance', name: settings.name }),
      interface: settings.interface,
      family: settings.family,
      vrid: settings.vrid,
      version: settings.version,
      advertIntervalMs: settings.advertIntervalMs,
      source: settings.primaryAddress,
      ...(currentMaster ? { currentMaster } : {}),
      ...(m.lastTransition ? { lastTransition: m.lastTransition } : {}),
      ...(m.groupName !== undefined ? { syncGroup: m.groupName } : {}),
      faultItems: m.tracker.result.faultyItems,
      peers: s.peers.map((p) => ({ ...p, lastSeenMsAgo: Math.round(now - p.lastSeenMs), checksumDiffers: p.checksum !== s.sendChecksum })),
      splitBrain: m.watch.current,
      splitBrainsDetected: m.watch.splitBrainCount,
      ...(s.holdUntilMs !== undefined && s.holdUntilMs > now ? { holdMsLeft: Math.round(s.holdUntilMs - now) } : {}),
    };
  }

  private serialize<T>(op: () => Promise<T>): Promise<T> {
    const next = this.operations.then(op, op);
    this.operations = next.catch(() => undefined);
    return next;
  }
}

/**
 * Removes configured VIPs a previous run left on the interfaces: we are not master yet. Runs
 * before the instances start, and on its own at daemon start before IPVS adoption (which takes
 * seconds at 10,000 services), so a crashed node does not answer for the VIPs meanwhile.
 */
export async function removeLeftoverVips(kernel: VrrpKernel, instances: readonly ConfiguredVips[], log: Logger): Promise<void> {
  await Promise.all(
    instances.map(async (inst) => {
      // A macvlan left by a previous run may be up with the VIPs on it, answering for them with
      // the virtual MAC: it goes first, with its addresses (the instance creates it afresh).
      if (inst.vmacLink && (await kernel.removeVmac(inst.vmacLink))) {
        log.warn({ instance: inst.name, vmac: inst.vmacLink.name }, 'removed a macvlan left behind by a previous run');
      }
      await Promise.all(
        inst.vips.map(async (vip) => {
          const ifname = vip.dev ?? inst.interface;
          if (await kernel.removeVip(ifname, vip)) {
            log.warn({ instance: inst.name, vip: vip.address, interface: ifname }, 'removed a VIP left behind by a previous run');
          }
        }),
      );
    }),
  );
}

/** An instance with its VIPs and macvlan, as removeLeftoverVips takes them. */
export interface ConfiguredVips {
  name: string;
  interface: string;
  vips: readonly VipSpec[];
  vmacLink?: VmacLink | undefined;
}

/** The instances of a config with their VIPs, as removeLeftoverVips takes them. */
export function configuredVips(config: VrrpConfig): ConfiguredVips[] {
  return config.vrrp.instances.map((inst) => ({ name: inst.name, interface: inst.interface, vips: vipSpecs(inst), vmacLink: configuredVmacLink(inst) }));
}
