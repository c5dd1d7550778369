// The notify hooks of the VRRP instances and sync groups (README "Notify hooks"), with the
// daemon-wide limits: a hung hook is killed after 30 s, at most 8 run at once, 32 transitions
// wait per instance or group. None start once the process is exiting (a hook spawned from an
// exit handler would be orphaned); on stop, the hooks still queued (the `stop` ones) get 10 s.
import type { Logger } from 'pino';
import type { InstanceSpec } from '../vrrp/from-config.js';
import type { InstanceAction, TransitionReason, VrrpState } from '../vrrp/instance.js';
import { groupNotifyEvent, instanceNotifyEvent, type NotifyEvent } from '../vrrp/notify.js';
import { NotifyRunner, type NotifyRuns } from '../vrrp/notify-spawn.js';
import type { NotifySettings } from '../vrrp/settings.js';

const NOTIFY = { timeoutMs: 30_000, concurrency: 8, maxWaiting: 32 };
const NOTIFY_DRAIN_MS = 10_000;

export class VrrpNotify {
  private readonly runner: NotifyRunner;
  private exiting = false;

  constructor(log: Logger) {
    this.runner = new NotifyRunner(log, NOTIFY);
  }

  /** An instance changed state. */
  instance(spec: InstanceSpec, transition: Extract<InstanceAction, { type: 'state' }>, priority: number): void {
    this.run(spec.notify, instanceNotifyEvent(spec.settings, transition, priority));
  }

  /** A sync group changed state. */
  group(hooks: NotifySettings, name: string, transition: { from: VrrpState; to: VrrpState; reason: TransitionReason }): void {
    this.run(hooks, groupNotifyEvent(name, transition));
  }

  private run(hooks: NotifySettings, event: NotifyEvent): void {
    if (!this.exiting) this.runner.notify(hooks, event);
  }

  /** Finished hook runs of one instance (lvsd_vrrp_notify_hooks_total). */
  runsOf(instance: string): NotifyRuns {
    return this.runner.runsOf({ kind: 'instance', name: instance });
  }

  /** The process is exiting: no hook starts from here on. */
  exit(): void {
    this.exiting = true;
  }

  /** Stop: the hooks still queued get a bounded time to run. */
  drain(): Promise<void> {
    return this.runner.drain(NOTIFY_DRAIN_MS);
  }
}
