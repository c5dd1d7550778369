// The shell around one VrrpInstance: real monotonic timers, the socket, the VIPs and the
// announcer, all behind small interfaces so the daemon wires in VrrpSocket and the rtnetlink
// wrappers and tests wire in fakes.
//
// Late event loop: if the process stalls (GC, a busy handler) past Master_Down_Interval, adverts
// from a live master are sitting in the socket while the Master_Down timer is already due. Node
// runs due timers before polling for I/O, so acting in the timer callback would take over from a
// healthy master. Every timer therefore hands its event to setImmediate: the loop's poll phase
// delivers the queued adverts first, they move the deadline, and the state machine, which
// compares the clock with the current deadline, re-arms instead of taking over.
import { performance } from 'node:perf_hooks';
import { Announcements, type Announcer } from './announcements.js';
import { VRRP_MULTICAST_IPV4, VRRP_MULTICAST_IPV6 } from './checksum.js';
import type { DropReason } from './drop-reasons.js';
import {
  VrrpInstance,
  type FailoverMode,
  type FailoverOutcome,
  type InstanceAction,
  type InstanceEvent,
  type InstanceStatus,
  type ReceivedAdvert,
  type SyncCommand,
  type TimerKind,
} from './instance.js';
import { encodeAdvert } from './packet.js';
import type { AdvertSink } from './receiver.js';
import type { InstanceSettings, VipSpec } from './settings.js';
import { ThrottledLog } from '../log/throttled-log.js';

/** Sends one VRRP message (no IP header) to `dst`; VrrpSocket.send has this shape. */
export interface VrrpTransport {
  send(payload: Buffer, dst: string): void;
}

/** Adds and removes the virtual addresses (rtnetlink in the daemon). */
export interface VipControl {
  /** `accept` is the instance's Accept_Mode (settings.ts). */
  add(ifname: string, vips: readonly VipSpec[], accept: boolean): void | Promise<void>;
  remove(ifname: string, vips: readonly VipSpec[]): void | Promise<void>;
}

export interface RunnerDeps {
  transport: VrrpTransport;
  vips: VipControl;
  announcer: Announcer;
  /** Monotonic milliseconds; performance.now() unless a test supplies one. */
  clock?: () => number;
  /** Every action the state machine produced, after it was carried out (logging, notify, sync groups). */
  onAction?: (action: InstanceAction) => void;
  /** A send, VIP or announce failure; the instance keeps running. Send failures: at most one call a second. */
  onError?: (err: unknown, what: string) => void;
  /**
   * Dropped adverts (counted in the status either way): at most one call per reason a second,
   * `count` drops since the previous call, `src` the latest sender. Drops while the instance is
   * not running (fault) are normal and only counted.
   */
  onDrops?: (reason: DropReason, count: number, src: string) => void;
}

export interface RunnerStatus extends InstanceStatus {
  sendErrors: number;
}

export class VrrpRunner implements AdvertSink {
  readonly instance: VrrpInstance;
  private readonly clock: () => number;
  private readonly timers = new Map<TimerKind, NodeJS.Timeout>();
  private readonly announcements: Announcements;
  private readonly destinations: readonly string[];
  private sendErrors = 0;
  private readonly dropLog: ThrottledLog<string>;
  private readonly sendErrorLog: ThrottledLog<{ err: unknown; dst: string }>;

  constructor(
    readonly settings: InstanceSettings,
    private readonly deps: RunnerDeps,
  ) {
    this.clock = deps.clock ?? (() => performance.now());
    this.instance = new VrrpInstance(settings, this.clock);
    this.destinations =
      settings.unicastPeers.length > 0 ? settings.unicastPeers : [settings.family === 4 ? VRRP_MULTICAST_IPV4 : VRRP_MULTICAST_IPV6];
    this.announcements = new Announcements(deps.announcer, settings.garp, settings.interface, settings.vips, (err) =>
      this.report(err, 'announce'),
    );
    this.dropLog = new ThrottledLog((reason, count, src) => deps.onDrops?.(reason as DropReason, count, src));
    this.sendErrorLog = new ThrottledLog((_, count, { err, dst }) =>
      this.report(err, `send advert to ${dst}${count > 1 ? ` (${count} failures since the last report)` : ''}`),
    );
  }

  start(): void {
    this.dispatch({ type: 'start' });
  }

  /** Sends priority 0 if master, removes the VIPs, and stops every timer. */
  stop(): void {
    this.dispatch({ type: 'shutdown' });
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.announcements.stop();
    this.dropLog.stop();
    this.sendErrorLog.stop();
  }

  receive(advert: ReceivedAdvert): void {
    this.dispatch({ type: 'advert', ...advert });
  }

  countDrop(reason: DropReason, src: string): void {
    this.instance.countDrop(reason);
    this.logDrop(reason, src);
  }

  tracking(priority: number, fault: boolean): void {
    this.dispatch({ type: 'tracking', priority, fault });
  }

  sync(command: SyncCommand): void {
    this.dispatch({ type: 'sync', command });
  }

  failover(mode: FailoverMode, holdMs: number): FailoverOutcome {
    const outcome = this.instance.failover(mode, holdMs);
    if (outcome.ok) this.apply(outcome.actions);
    return outcome;
  }

  status(): RunnerStatus {
    return { ...this.instance.status(), sendErrors: this.sendErrors };
  }

  private dispatch(event: InstanceEvent): void {
    this.apply(this.instance.handle(event));
  }

  private apply(actions: InstanceAction[]): void {
    for (const action of actions) {
      this.carryOut(action);
      this.deps.onAction?.(action);
    }
  }

  private carryOut(action: InstanceAction): void {
    const s = this.settings;
    switch (action.type) {
      case 'send-advert':
        for (const dst of this.destinations) {
          try {
            const bytes = encodeAdvert(action.advert, action.checksum, { family: s.family, src: s.primaryAddress, dst });
            this.deps.transport.send(bytes, dst);
          } catch (err) {
            this.sendErrors++;
            this.sendErrorLog.record('send', { err, dst });
          }
        }
        return;
      case 'add-vips':
        this.guard(() => this.deps.vips.add(s.interface, s.vips, s.accept), 'add VIPs');
        return;
      case 'remove-vips':
        this.guard(() => this.deps.vips.remove(s.interface, s.vips), 'remove VIPs');
        return;
      case 'announce':
        this.announcements.start();
        return;
      case 'reannounce':
        this.announcements.again();
        return;
      case 'drop':
        this.logDrop(action.reason, action.src);
        return;
      case 'state':
        if (action.from === 'master') this.announcements.stop();
        return;
      case 'arm': {
        clearTimeout(this.timers.get(action.timer));
        const delay = Math.max(0, action.at - this.clock());
        const timer = action.timer;
        this.timers.set(
          timer,
          setTimeout(() => {
            this.timers.delete(timer);
            setImmediate(() => this.dispatch({ type: 'timer', timer }));
          }, delay),
        );
        return;
      }
      case 'disarm':
        clearTimeout(this.timers.get(action.timer));
        this.timers.delete(action.timer);
        return;
      case 'own-fault':
        return;
    }
  }

  private logDrop(reason: DropReason, src: string): void {
    if (reason !== 'not-running') this.dropLog.record(reason, src);
  }

  /** Runs a VIP operation, reporting synchronous throws and rejected promises alike. */
  private guard(op: () => void | Promise<void>, what: string): void {
    try {
      const result = op();
      if (result instanceof Promise) result.catch((err: unknown) => this.report(err, what));
    } catch (err) {
      this.report(err, what);
    }
  }

  private report(err: unknown, what: string): void {
    this.deps.onError?.(err, `${this.settings.name}: ${what}`);
  }
}
