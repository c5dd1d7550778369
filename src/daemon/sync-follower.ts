// The IPVS connection-sync daemon follows VRRP: the master sends its connection table, the
// backup receives it, so established connections survive a failover. The node counts as
// master while any of its VRRP instances is master (a pair normally runs one instance, or one
// sync group whose members move together). A start the kernel refuses (the interface is not
// there yet, say) is logged and tried again every RETRY_MS, in the role VRRP asks for by then.
import type { Config } from '../config/types.js';
import type { IpvsKernel } from './ipvs-kernel.js';
import type { Logger } from './log.js';

type Role = 'master' | 'backup';

/** Wait before starting again a sync daemon the kernel refused. */
const RETRY_MS = 5_000;

export class SyncFollower {
  private role: Role | undefined;
  /** The role VRRP asked for last (what a retry starts). */
  private wanted: Role = 'backup';
  private retry: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: IpvsKernel,
    private settings: Config['ipvs']['sync_daemon'],
    private readonly log: Logger,
  ) {}

  /** Applies the role for the node's VRRP states; a no-op while the role stays the same. */
  follow(isMaster: boolean): Promise<void> {
    const wanted: Role = isMaster ? 'master' : 'backup';
    this.wanted = wanted;
    if (!this.settings.enabled || wanted === this.role) return this.queue;
    this.role = wanted;
    this.queue = this.queue.then(() => this.switchTo(wanted));
    return this.queue;
  }

  /** A reload may change the interface or sync id: restart the daemon in the current role. */
  reconfigure(settings: Config['ipvs']['sync_daemon'], isMaster: boolean): Promise<void> {
    const changed = JSON.stringify(settings) !== JSON.stringify(this.settings);
    this.settings = settings;
    if (!changed) return this.queue;
    this.role = undefined;
    this.queue = this.queue.then(() => this.stopAll());
    return this.follow(isMaster);
  }

  stop(): Promise<void> {
    clearTimeout(this.retry);
    if (!this.settings.enabled) return this.queue;
    this.role = undefined;
    this.queue = this.queue.then(() => this.stopAll());
    return this.queue;
  }

  private async stopAll(): Promise<void> {
    for (const state of ['master', 'backup'] as const) {
      await this.client.stopSyncDaemon(state).catch(() => undefined);
    }
  }

  private async switchTo(role: Role): Promise<void> {
    const iface = this.settings.interface;
    if (!iface) return;
    const other: Role = role === 'master' ? 'backup' : 'master';
    try {
      await this.client.stopSyncDaemon(other).catch(() => undefined);
      await this.client.stopSyncDaemon(role).catch(() => undefined);
      await this.client.startSyncDaemon({ state: role, interface: iface, syncId: this.settings.sync_id });
      this.log.info({ role, interface: iface, syncId: this.settings.sync_id }, 'IPVS connection sync daemon running');
    } catch (err) {
      this.log.error({ err, role }, `cannot start the IPVS connection sync daemon; trying again in ${RETRY_MS / 1000} s`);
      // Unless VRRP or a reload asked for something else meanwhile, start over after a while.
      if (this.role !== role) return;
      this.role = undefined;
      clearTimeout(this.retry);
      this.retry = setTimeout(() => void this.follow(this.wanted === 'master'), RETRY_MS).unref();
    }
  }
}
