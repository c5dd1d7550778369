// The VRRP state machine of one virtual router (RFC 5798 6.4 as revised by RFC 9568 6.4; RFC
// 3768 for version 2), plus what an operator needs around it: tracking-driven priority and fault,
// sync-group commands, manual failover and counters. It is pure: events in, actions out, time
// from an injected monotonic clock. Timers are deadlines; the shell (runner.ts) turns `arm`
// actions into real timers and feeds `timer` events back, and a timer event that arrives before
// its current deadline (because an advert moved it) is answered by re-arming, never acted on.
import { VRRP_MULTICAST_IPV4, VRRP_MULTICAST_IPV6, type ChecksumVariant } from './checksum.js';
import { advertAuth, authMatches } from './auth.js';
import { emptyCounters, type InstanceCounters } from './instance-counters.js';
import type { VrrpState } from './state.js';
import type { DropReason } from './drop-reasons.js';
import { advertIntervalMs, type VrrpAdvert } from './packet.js';
import type { InstanceSettings } from './settings.js';
import { ipToBytes } from '../net/address.js';

export type { VrrpState } from './state.js';

/**
 * `advert` is Adver_Timer, `master-down` Master_Down_Timer (RFC 5798 6.2), `preempt-delay` ends a
 * preempt_delay wait, `hold` ends a manual take-over's priority boost.
 */
export type TimerKind = 'advert' | 'master-down' | 'preempt-delay' | 'hold';

/** A decoded advert plus what the socket said about it. */
export interface ReceivedAdvert {
  advert: VrrpAdvert;
  src: string;
  dst: string;
  /** IPv4 TTL / IPv6 hop limit it arrived with. */
  ttl: number;
  checksum: ChecksumVariant;
}

export type SyncCommand = 'master' | 'backup' | 'fault' | 'clear-fault';

export type InstanceEvent =
  | { type: 'start' }
  | ({ type: 'advert' } & ReceivedAdvert)
  | { type: 'timer'; timer: TimerKind }
  /** Tracking result: the effective priority (see tracking.ts) and whether a weight-0 item failed. */
  | { type: 'tracking'; priority: number; fault: boolean }
  /** From the instance's sync group (sync-group.ts). */
  | { type: 'sync'; command: SyncCommand }
  | { type: 'shutdown' };

export type TransitionReason =
  | 'startup'
  | 'owner'
  | 'master-down'
  | 'higher-priority'
  | 'preempt-delay'
  | 'fault'
  | 'fault-cleared'
  | 'sync-group'
  | 'step-down'
  | 'take-over'
  | 'shutdown';

export type InstanceAction =
  /** Encode and send to the multicast group or each unicast peer. */
  | { type: 'send-advert'; advert: VrrpAdvert; checksum: ChecksumVariant }
  | { type: 'add-vips' }
  | { type: 'remove-vips' }
  /** Gratuitous ARP / unsolicited NA for the VIPs (RFC 5798 6.4.1). */
  | { type: 'announce' }
  /**
   * One more burst of announcements while master: `peer`, a lower-priority master that does not
   * hear us, is on the LAN and neighbours may have followed its announcements (a split brain).
   */
  | { type: 'reannounce'; peer: string; peerPriority: number }
  /** A received advert was discarded (and counted); the shell logs a throttled summary. */
  | { type: 'drop'; reason: DropReason; src: string }
  | { type: 'state'; from: VrrpState; to: VrrpState; reason: TransitionReason }
  /** (Re)start the timer so that it fires at monotonic time `at` (ms). */
  | { type: 'arm'; timer: TimerKind; at: number }
  | { type: 'disarm'; timer: TimerKind }
  /** Tracking put us in fault or let us out; a sync group (sync-group.ts) spreads it. */
  | { type: 'own-fault'; fault: boolean };

export type FailoverMode = 'step-down' | 'take-over';

export type FailoverOutcome = { ok: true; actions: InstanceAction[] } | { ok: false; reason: string };

export interface PeerStatus {
  address: string;
  priority: number;
  checksum: ChecksumVariant;
  lastSeenMs: number;
}

export interface InstanceStatus {
  name: string;
  state: VrrpState;
  /** Priority from the configuration. */
  configuredPriority: number;
  /** The priority we advertise now: configured, adjusted by tracking or a take-over. */
  priority: number;
  fault: { tracking: boolean; syncGroup: boolean };
  /** The master we follow when backup: its address and priority. */
  master?: { address: string; priority: number };
  /** Master_Adver_Interval: the master's interval (v3 learns it from adverts), ms. */
  masterAdvertIntervalMs: number;
  /** Checksum variant our next advert will use. */
  sendChecksum: ChecksumVariant;
  peers: PeerStatus[];
  counters: InstanceCounters;
  /** Time spent in each state since construction, including the current stretch, ms. */
  timeInStateMs: Record<VrrpState, number>;
  /** How long the current state has lasted, ms ("master since"). */
  inStateMs: number;
  /** Until when a manual failover holds, monotonic ms. */
  holdUntilMs?: number;
}

/** Peers remembered for status; more are forgotten oldest first. */
const MAX_PEERS = 32;
/** A master answers lower-priority and priority-0 adverts at most this often (and at most once per interval). */
const MAX_REPLY_GAP_MS = 1000;
/** A lower-priority master silent for this many advert intervals has gone (see lowerMaster). */
const LOWER_MASTER_GAP_INTERVALS = 30;

export class VrrpInstance {
  private state: VrrpState = 'initialize';
  private trackedPriority: number;
  private trackingFault = false;
  private groupFault = false;
  /** Set while the sync group holds us in backup: no preemption until the group goes master. */
  private groupHeld = false;
  private masterIntervalMs: number;
  private master: { address: string; priority: number } | undefined;
  /** When a step-down's no-preempt, no-takeover period ends. */
  private stepDownUntil = 0;
  /** A take-over's priority until the hold timer fires. */
  private boostedPriority: number | undefined;
  /** Checksum variant of the master we last followed (`checksum: auto`); see sendChecksum. */
  private learnedChecksum: ChecksumVariant | undefined;
  /** When we last answered a lower-priority or priority-0 advert out of turn. */
  private lastReplyAt = -Infinity;
  /** When we last heard a lower-priority master while master. */
  private lowerMasterHeardAt = -Infinity;
  private readonly deadlines = new Map<TimerKind, number>();
  private readonly peers = new Map<string, PeerStatus>();
  private readonly ownAddresses: ReadonlySet<string>;
  private readonly counters = emptyCounters();
  private readonly timeIn: Record<VrrpState, number> = { initialize: 0, backup: 0, master: 0, fault: 0 };
  private stateSince: number;

  constructor(
    readonly settings: InstanceSettings,
    private readonly now: () => number,
  ) {
    this.trackedPriority = settings.priority;
    this.masterIntervalMs = settings.advertIntervalMs;
    this.ownAddresses = new Set(settings.vips.map((v) => v.address));
    this.stateSince = now();
  }

  get currentState(): VrrpState {
    return this.state;
  }

  /** Counts a packet for this VRID that was dropped before reaching the state machine. */
  countDrop(reason: DropReason): void {
    this.counters.drops[reason]++;
  }

  handle(event: InstanceEvent): InstanceAction[] {
    switch (event.type) {
      case 'start':
        return this.state === 'initialize' ? this.initialize('startup') : [];
      case 'advert':
        return this.receive(event);
      case 'timer':
        return this.timerFired(event.timer);
      case 'tracking':
        return this.trackingChanged(event.priority, event.fault);
      case 'sync':
        return this.syncCommand(event.command);
      case 'shutdown':
        return this.shutdown();
    }
  }

  /**
   * Manual failover. `step-down`: a master sends priority 0 so a backup takes over after its
   * Skew_Time, and stays backup (not preempting, not taking over) for `holdMs`. `take-over`: a
   * backup becomes master now, advertising a priority above the current master's (at most 254)
   * for `holdMs`, after which normal election resumes.
   */
  failover(mode: FailoverMode, holdMs: number): FailoverOutcome {
    const now = this.now();
    if (mode === 'step-down') {
      if (this.state !== 'master') return { ok: false, reason: `${this.settings.name} is ${this.state}, not master` };
      this.stepDownUntil = now + holdMs;
      return { ok: true, actions: this.leaveMaster('step-down') };
    }
    if (this.state !== 'backup') return { ok: false, reason: `${this.settings.name} is ${this.state}, not backup` };
    if (this.master?.priority === 255) return { ok: false, reason: `the master ${this.master.address} owns the addresses (priority 255)` };
    this.stepDownUntil = 0;
    const own = this.effectivePriority();
    this.boostedPriority = Math.max(own, Math.min(254, (this.master?.priority ?? 0) + 1));
    return { ok: true, actions: [...this.becomeMaster('take-over'), this.arm('hold', now + holdMs)] };
  }

  status(): InstanceStatus {
    const now = this.now();
    const timeInStateMs = { ...this.timeIn, [this.state]: this.timeIn[this.state] + (now - this.stateSince) };
    const holdUntilMs = this.stepDownUntil > now ? this.stepDownUntil : this.deadlines.get('hold');
    return {
      name: this.settings.name,
      state: this.state,
      configuredPriority: this.settings.priority,
      priority: this.advertPriority(),
      fault: { tracking: this.trackingFault, syncGroup: this.groupFault },
      ...(this.master && this.state === 'backup' ? { master: { ...this.master } } : {}),
      masterAdvertIntervalMs: this.masterIntervalMs,
      sendChecksum: this.sendChecksum(),
      peers: [...this.peers.values()].map((p) => ({ ...p })),
      counters: structuredClone(this.counters),
      timeInStateMs,
      inStateMs: now - this.stateSince,
      ...(holdUntilMs !== undefined ? { holdUntilMs } : {}),
    };
  }

  // --- timing (RFC 5798 6.1; RFC 3768 6.1 for v2) ---

  /** Skew_Time: lower priorities wait longer, so the best backup answers first. */
  private skewMs(): number {
    const p = this.advertPriority();
    // RFC 3768: (256 - Priority) / 256 seconds. RFC 5798/9568: scaled by Master_Adver_Interval.
    return this.settings.version === 2 ? ((256 - p) * 1000) / 256 : ((256 - p) * this.masterIntervalMs) / 256;
  }

  private masterDownIntervalMs(): number {
    return 3 * this.masterIntervalMs + this.skewMs();
  }

  // --- priorities ---

  private effectivePriority(): number {
    return this.settings.priority === 255 ? 255 : this.trackedPriority;
  }

  private advertPriority(): number {
    return this.boostedPriority ?? this.effectivePriority();
  }

  /** May we take over from a lower-priority master right now? The owner always may (RFC 5798 6.1). */
  private mayPreempt(): boolean {
    if (this.advertPriority() === 255) return true;
    return this.settings.preempt && !this.groupHeld && this.now() >= this.stepDownUntil;
  }

  private sendChecksum(): ChecksumVariant {
    if (this.settings.version === 2) return 'plain';
    if (this.settings.family === 6) return 'pseudo-header';
    if (this.settings.checksum === 'rfc5798') return 'pseudo-header';
    if (this.settings.checksum === 'rfc9568') return 'plain';
    // Learned from the master we follow, or from a configured unicast peer that is master below
    // us (see lowerMaster): any other sender (a forged priority-1 advert) must not change what
    // our backups accept.
    return this.learnedChecksum ?? 'pseudo-header';
  }

  // --- actions ---

  private advert(priority: number): InstanceAction {
    this.counters.advertsSent++;
    if (priority === 0) this.counters.priorityZeroSent++;
    const s = this.settings;
    const addresses = s.vips.map((v) => v.address);
    const advert: VrrpAdvert =
      s.version === 2
        ? { version: 2, vrid: s.vrid, priority, ...advertAuth(s.authPassword), advertIntervalSec: s.advertIntervalMs / 1000, addresses }
        : { version: 3, vrid: s.vrid, priority, maxAdvertIntervalCs: s.advertIntervalMs / 10, addresses };
    return { type: 'send-advert', advert, checksum: this.sendChecksum() };
  }

  private arm(timer: TimerKind, at: number): InstanceAction {
    this.deadlines.set(timer, at);
    return { type: 'arm', timer, at };
  }

  private disarm(timer: TimerKind): InstanceAction[] {
    if (!this.deadlines.delete(timer)) return [];
    return [{ type: 'disarm', timer }];
  }

  private enter(to: VrrpState, reason: TransitionReason): InstanceAction {
    const now = this.now();
    const from = this.state;
    this.timeIn[from] += now - this.stateSince;
    this.stateSince = now;
    this.state = to;
    this.counters.transitions++;
    this.counters.entered[to]++;
    return { type: 'state', from, to, reason };
  }

  // --- transitions ---

  /** RFC 5798 6.4.1 Initialize, also used when a fault clears. */
  private initialize(reason: TransitionReason): InstanceAction[] {
    if (this.trackingFault || this.groupFault) return this.state === 'fault' ? [] : this.becomeFault(reason === 'sync-group' ? reason : 'fault');
    if (this.advertPriority() === 255) return this.becomeMaster(reason === 'startup' ? 'owner' : reason);
    return this.becomeBackup(reason);
  }

  private becomeMaster(reason: TransitionReason): InstanceAction[] {
    this.master = undefined;
    this.lowerMasterHeardAt = -Infinity;
    // A master leads its sync group; being held back no longer applies.
    this.groupHeld = false;
    return [
      this.enter('master', reason),
      { type: 'add-vips' },
      this.advert(this.advertPriority()),
      { type: 'announce' },
      ...this.disarm('master-down'),
      ...this.disarm('preempt-delay'),
      this.arm('advert', this.now() + this.settings.advertIntervalMs),
    ];
  }

  private becomeBackup(reason: TransitionReason): InstanceAction[] {
    const leaving = this.state === 'master';
    this.masterIntervalMs = this.settings.advertIntervalMs;
    return [
      this.enter('backup', reason),
      ...(leaving ? [{ type: 'remove-vips' } as const] : []),
      ...this.disarm('advert'),
      this.arm('master-down', this.now() + this.masterDownIntervalMs()),
    ];
  }

  /** Master to backup on our own initiative; priority 0 tells backups to take over after Skew_Time. */
  private leaveMaster(reason: TransitionReason): InstanceAction[] {
    return [...this.endBoost(), this.advert(0), ...this.becomeBackup(reason)];
  }

  /** Fault: no adverts, no VIPs; a master first sends priority 0 so a backup takes over at once. */
  private becomeFault(reason: 'fault' | 'sync-group'): InstanceAction[] {
    const wasMaster = this.state === 'master';
    this.boostedPriority = undefined;
    this.master = undefined;
    return [
      ...(wasMaster ? [this.advert(0)] : []),
      this.enter('fault', reason),
      ...(wasMaster ? [{ type: 'remove-vips' } as const] : []),
      ...this.disarmAll(),
    ];
  }

  private shutdown(): InstanceAction[] {
    if (this.state === 'initialize') return [];
    const wasMaster = this.state === 'master';
    this.boostedPriority = undefined;
    this.master = undefined;
    return [
      ...(wasMaster ? [this.advert(0)] : []),
      this.enter('initialize', 'shutdown'),
      ...(wasMaster ? [{ type: 'remove-vips' } as const] : []),
      ...this.disarmAll(),
    ];
  }

  private disarmAll(): InstanceAction[] {
    return (['advert', 'master-down', 'preempt-delay', 'hold'] as const).flatMap((t) => this.disarm(t));
  }

  /** Ends a take-over's priority boost early (we lost mastership or gave it up). */
  private endBoost(): InstanceAction[] {
    this.boostedPriority = undefined;
    return this.disarm('hold');
  }

  // --- received adverts (RFC 5798 7.1 checks that need the configuration, then 6.4.2 / 6.4.3) ---

  private receive(r: ReceivedAdvert): InstanceAction[] {
    const drop = this.check(r);
    if (drop) {
      this.counters.drops[drop]++;
      return [{ type: 'drop', reason: drop, src: r.src }];
    }
    const { advert } = r;
    this.counters.advertsReceived++;
    if (advert.priority === 0) this.counters.priorityZeroReceived++;
    if (!this.sameAddresses(advert.addresses)) this.counters.addressMismatches++;
    this.rememberPeer(r);
    return this.state === 'backup' ? this.backupReceives(r) : this.masterReceives(r);
  }

  private check(r: ReceivedAdvert): DropReason | undefined {
    const s = this.settings;
    const a = r.advert;
    if (this.state === 'initialize' || this.state === 'fault') return 'not-running';
    // RFC 5798 7.1: TTL 255 whatever the destination, or a routed unicast peer's configured minimum.
    const unicast = s.unicastPeers.length > 0;
    if (r.ttl < (unicast ? s.unicastMinTtl : 255)) return 'bad-ttl';
    if (!unicast && r.dst !== (s.family === 4 ? VRRP_MULTICAST_IPV4 : VRRP_MULTICAST_IPV6)) return 'wrong-destination';
    if (a.version !== s.version) return 'version-mismatch';
    if (a.version === 2) {
      if (!authMatches(a, s.authPassword)) return 'auth-mismatch';
      if (a.advertIntervalSec * 1000 !== s.advertIntervalMs) return 'interval-mismatch';
    }
    if (r.src === s.primaryAddress) return 'own-advert';
    if (unicast && !s.unicastPeers.includes(r.src)) return 'unknown-peer';
    return undefined;
  }

  private sameAddresses(addresses: readonly string[]): boolean {
    return addresses.length === this.ownAddresses.size && addresses.every((a) => this.ownAddresses.has(a));
  }

  private rememberPeer(r: ReceivedAdvert): void {
    this.peers.delete(r.src);
    this.peers.set(r.src, { address: r.src, priority: r.advert.priority, checksum: r.checksum, lastSeenMs: this.now() });
    if (this.peers.size > MAX_PEERS) {
      const oldest = this.peers.keys().next();
      if (!oldest.done) this.peers.delete(oldest.value);
    }
  }

  /** RFC 5798 / 9568 6.4.2 Backup. */
  private backupReceives(r: ReceivedAdvert): InstanceAction[] {
    const { advert } = r;
    const now = this.now();
    const followed = this.master;
    if (followed && r.src !== followed.address && !beats(advert.priority, r.src, followed.priority, followed.address)) {
      // Not the master we follow and it would not win against it: a second, lower master (which
      // ours will send back to backup) or a forgery. Its priority 0 or interval changes nothing.
      return [];
    }
    if (advert.priority === 0) {
      // The master is stopping: take over after Skew_Time unless a better backup speaks first.
      this.master = undefined;
      return [this.arm('master-down', now + this.skewMs())];
    }
    const lower = advert.priority < this.advertPriority();
    if (lower && this.mayPreempt()) {
      // A configured unicast peer that is master below us must hear us once we take over: its
      // one advert may come while we are still backup (see lowerMaster).
      if (advert.priority > 0 && this.settings.unicastPeers.includes(r.src)) this.learnedChecksum = r.checksum;
      if (this.settings.preemptDelayMs <= 0) {
        // Discard: Master_Down_Timer runs out and we take over (RFC 5798 6.4.2).
        return [];
      }
      // preempt_delay: follow the lower master for a while, then take over.
      const wait = this.deadlines.has('preempt-delay') ? [] : [this.arm('preempt-delay', now + this.settings.preemptDelayMs)];
      return [...wait, ...this.followMaster(r)];
    }
    return [...this.disarm('preempt-delay'), ...this.followMaster(r)];
  }

  /** Accept the sender as master: learn its interval (v3) and checksum, restart Master_Down_Timer. */
  private followMaster(r: ReceivedAdvert): InstanceAction[] {
    this.master = { address: r.src, priority: r.advert.priority };
    this.learnedChecksum = r.checksum;
    if (r.advert.version === 3) this.masterIntervalMs = advertIntervalMs(r.advert);
    return [this.arm('master-down', this.now() + this.masterDownIntervalMs())];
  }

  /** RFC 5798 / 9568 6.4.3 Master (Active). */
  private masterReceives(r: ReceivedAdvert): InstanceAction[] {
    const { advert } = r;
    const now = this.now();
    const ours = this.advertPriority();
    if (advert.priority === 0 || !beats(advert.priority, r.src, ours, this.settings.primaryAddress)) {
      // lowerMaster first: it may change the checksum variant the reply goes out with.
      const announce = this.lowerMaster(r, now);
      return [...this.reply(now), ...announce];
    }
    return [...this.endBoost(), ...this.becomeBackup('higher-priority'), ...this.followMaster(r)];
  }

  /**
   * Priority 0: a stopping master; answer at once so backups keep us. A lower priority (RFC 9568
   * 6.4.3): answer at once so the sender, which believes it is master, backs off now instead of
   * after its Master_Down_Interval. At most once per MAX_REPLY_GAP_MS (and per interval), so a
   * flood of such adverts costs no more than our own schedule does.
   */
  private reply(now: number): InstanceAction[] {
    if (now - this.lastReplyAt < Math.min(MAX_REPLY_GAP_MS, this.settings.advertIntervalMs)) {
      this.counters.repliesSuppressed++;
      return [];
    }
    this.lastReplyAt = now;
    return [this.advert(this.advertPriority()), this.arm('advert', now + this.settings.advertIntervalMs)];
  }

  /**
   * A lower-priority master is on the LAN: it announced the VIPs when it went master, so
   * neighbours may send to it. Announce them once per episode, so the split brain heals on the
   * wire. An episode ends after LOWER_MASTER_GAP_INTERVALS of silence: a master that keeps
   * receiving adverts it rejects may advertise irregularly (keepalived 2.2.7 restarts its advert
   * timer on every packet it reads), and each of its adverts must not count as a new episode.
   *
   * A configured unicast peer that advertises as master in another checksum variant than ours
   * most likely rejects ours (keepalived's old_unicast_checksum accepts only its own): with
   * `checksum: auto` we send its variant from its first advert on, the answer below included, so
   * it hears us at once. Waiting for a second advert would wait forever: keepalived 2.2.7, master,
   * restarts its advert timer on every packet it reads, so while ours arrive on time it sends
   * none. Its own variant is one it accepts, and an lvsd peer accepts every variant. In multicast
   * mode nothing changes our variant, since any host on the link could be the sender.
   */
  private lowerMaster(r: ReceivedAdvert, now: number): InstanceAction[] {
    if (r.advert.priority === 0) return [];
    const interval = Math.max(r.advert.version === 3 ? advertIntervalMs(r.advert) : 0, this.settings.advertIntervalMs);
    const episodeOver = now - this.lowerMasterHeardAt > LOWER_MASTER_GAP_INTERVALS * interval;
    this.lowerMasterHeardAt = now;
    if (this.settings.unicastPeers.includes(r.src)) this.learnedChecksum = r.checksum;
    return episodeOver ? [{ type: 'reannounce', peer: r.src, peerPriority: r.advert.priority }] : [];
  }

  // --- timers ---

  /**
   * The Adver_Timer runs on deadlines: the next advert is due one interval after the one just
   * due, not after the moment it went out, so a late wake-up shortens the next gap instead of
   * delaying every advert after it (and timer rounding does not stretch the interval). After a
   * stall of a whole interval or more the schedule restarts from now rather than sending a burst.
   */
  private nextAdvertAt(due: number, now: number): number {
    const interval = this.settings.advertIntervalMs;
    return due + interval > now ? due + interval : now + interval;
  }

  private timerFired(timer: TimerKind): InstanceAction[] {
    const due = this.deadlines.get(timer);
    if (due === undefined) return [];
    const now = this.now();
    if (now < due) return [{ type: 'arm', timer, at: due }];
    this.deadlines.delete(timer);
    switch (timer) {
      case 'advert':
        if (this.state !== 'master') return [];
        return [this.advert(this.advertPriority()), this.arm('advert', this.nextAdvertAt(due, now))];
      case 'master-down':
        if (this.state !== 'backup') return [];
        // A stepped-down node waits out its hold even when nobody took over.
        if (now < this.stepDownUntil) return [this.arm('master-down', this.stepDownUntil)];
        return this.becomeMaster('master-down');
      case 'preempt-delay':
        if (this.state !== 'backup' || !this.master || this.master.priority >= this.advertPriority() || !this.mayPreempt()) return [];
        return this.becomeMaster('preempt-delay');
      case 'hold':
        this.boostedPriority = undefined;
        // Advertise our real priority at once so a better peer can preempt as usual.
        return this.state === 'master' ? [this.advert(this.advertPriority()), this.arm('advert', now + this.settings.advertIntervalMs)] : [];
    }
  }

  // --- tracking and sync group ---

  private trackingChanged(priority: number, fault: boolean): InstanceAction[] {
    const before = this.advertPriority();
    this.trackedPriority = priority;
    const flipped: InstanceAction[] = fault === this.trackingFault ? [] : [{ type: 'own-fault', fault }];
    this.trackingFault = fault;
    if (fault && this.state !== 'fault' && this.state !== 'initialize') return [...flipped, ...this.becomeFault('fault')];
    if (!fault && flipped.length > 0 && this.state === 'fault' && !this.groupFault) return [...flipped, ...this.initialize('fault-cleared')];
    if (flipped.length > 0) return flipped;
    if (this.state === 'master' && this.advertPriority() !== before) {
      // Tell backups now: a lowered master should be preempted without waiting an interval.
      return [this.advert(this.advertPriority()), this.arm('advert', this.now() + this.settings.advertIntervalMs)];
    }
    return [];
  }

  private syncCommand(command: SyncCommand): InstanceAction[] {
    switch (command) {
      case 'fault':
        this.groupFault = true;
        return this.state === 'backup' || this.state === 'master' ? this.becomeFault('sync-group') : [];
      case 'clear-fault':
        this.groupFault = false;
        return this.state === 'fault' && !this.trackingFault ? this.initialize('sync-group') : [];
      case 'master':
        this.groupHeld = false;
        return this.state === 'backup' ? this.becomeMaster('sync-group') : [];
      case 'backup':
        this.groupHeld = true;
        return this.state === 'master' ? this.leaveMaster('sync-group') : [];
    }
  }
}

/** Does an advert of priority `p` from `src` win the election against `q` from `other` (RFC 5798 6.4.3)? */
function beats(p: number, src: string, q: number, other: string): boolean {
  return p > q || (p === q && compareAddresses(src, other) > 0);
}

/** Compares two addresses of one family as unsigned integers (RFC 5798 6.4.3 tie-break). */
export function compareAddresses(a: string, b: string): number {
  const x = ipToBytes(a);
  const y = ipToBytes(b);
  if (!x || !y || x.length !== y.length) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] as number) - (y[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
