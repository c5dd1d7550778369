// BGP mode over the daemon's life: on when the config has a bgp section, switched on, changed or
// off by reloads, told after each reconcile which services are up, and `lvsd drain-node`'s
// maintenance switch, which a reload keeps. The announcing itself is src/bgp/mode.ts.
import { BgpMode } from '../bgp/mode.js';
import type { ServiceAnnounceState } from '../bgp/policy.js';
import { LVSD_ROUTE_PROTOCOL, type BgpKernel, type BgpStatus } from '../bgp/types.js';
import type { Config } from '../config/types.js';
import { HostRouteTable } from '../kernel/routes.js';
import { readSysctl, writeSysctl } from '../kernel/sysctl.js';
import type { Logger } from './log.js';

/** Whether a service is up for BGP: its quorum met and not disabled by the operator. */
export type ServiceUp = (name: string) => Omit<ServiceAnnounceState, 'vip'>;

export class BgpLifecycle {
  private mode: BgpMode | undefined;
  /** `lvsd drain-node`: every VIP withdrawn; IPVS keeps serving what still arrives. Not kept across restarts. */
  private maintenance = false;

  constructor(
    private readonly log: Logger,
    /** Default: lvsd's routes in that kernel table (HostRouteTable) and /proc/sys. */
    private readonly kernel: BgpKernel = {
      openRoutes: (table) => HostRouteTable.open(table, LVSD_ROUTE_PROTOCOL),
      readSysctl: (key) => readSysctl(key),
      writeSysctl: (key, value) => writeSysctl(key, value),
    },
  ) {}

  /**
   * Follows `config` (at start and after each reload): BGP mode starts (the kernel table is emptied
   * of what a crashed run left, then the VIPs of the services that are up are announced), changes,
   * or stops and withdraws.
   */
  async configure(config: Config, up: ServiceUp): Promise<void> {
    if (!config.bgp) {
      await this.stop();
    } else if (!this.mode) {
      this.mode = new BgpMode(config.bgp, { kernel: this.kernel, log: this.log });
      await this.announce(config, up);
    } else {
      await this.mode.reconfigure(config.bgp);
      await this.announce(config, up);
    }
  }

  /** Announces the VIPs of the services that are up; withdraws the others. */
  announce(config: Config, up: ServiceUp): Promise<void> {
    return this.mode ? this.mode.announce(config, { service: up, maintenance: this.maintenance }) : Promise.resolve();
  }

  /** `lvsd drain-node`: withdraws every VIP (on) or announces them again (off). */
  async setMaintenance(on: boolean, config: Config, up: ServiceUp): Promise<{ maintenance: boolean; announced: string[] }> {
    if (!this.mode) throw new Error('drain-node: this node does not announce its VIPs (no bgp section); a VRRP node steps down with "lvsd failover"');
    this.maintenance = on;
    await this.announce(config, up);
    const { maintenance, announced } = await this.mode.status();
    return { maintenance, announced };
  }

  /** Sessions and announced VIPs; undefined when BGP mode is off. */
  async status(): Promise<BgpStatus | undefined> {
    return this.mode?.status();
  }

  /** Withdraws every VIP (the router stops sending new flows) and stops. */
  async stop(): Promise<void> {
    const mode = this.mode;
    this.mode = undefined;
    await mode?.stop();
  }
}
