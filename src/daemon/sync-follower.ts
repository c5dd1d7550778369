// The IPVS connection-sync daemon follows VRRP: the master sends its connection table, the
// backup receives it, so established connections survive a failover. The node counts as
// master while any of its VRRP instances is master (a pair normally runs one instance, or one
// sync group whose members move together).
import type { Config } from '../config/types.js';
import type { IpvsKernel } from './ipvs-kernel.js';
import type { Logger } from './log.js';

type Role = 'master' | 'backup';

export class SyncFollower {
  private role: Role | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: IpvsKernel,
    private settings: Config['ipvs']['sync_daemon'],
    private readonly log: Logger,
  ) {}

  /** Applies the role for the node's VRRP states; a no-op while the role stays the same. */
  follow(isMaster: boolean): Promise<void> {
    const wanted: Role = isMaster ? 'master' : 'backup';
    if (!this.settings.enabled || !this.settings.follow_vrrp || wanted === this.role) return this.queue;
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
      this.log.error({ err, role }, 'cannot start the IPVS connection sync daemon');
    }
  }
}
