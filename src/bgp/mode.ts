// BGP mode as the daemon sees it: one object that announces what the policy says (announcer.ts
// over the kernel table), follows config reloads, and reports sessions and announced VIPs.
// The kernel table comes from `openRoutes`, so tests can hand it a namespace's table or a fake.
import type { BgpConfig, Config } from '../config/types.js';
import { announcedVipsOf } from '../config/derived.js';
import { BgpAnnouncer, type AnnouncerLog } from './announcer.js';
import { announcedVips, type ServiceAnnounceState } from './policy.js';
import { BirdSessions } from './sessions.js';
import { TAKEOVER_SYSCTLS, checkSysctl, type SysctlCheck } from './sysctls.js';
import type { BgpKernel, BgpStatus } from './types.js';

/**
 * How long a stopping director keeps its services after withdrawing its VIPs. BIRD learns the
 * deleted route from a netlink notification and sends the UPDATE at once; the router's BIRD then
 * rewrites its multipath route. Tens of ms on a loaded host, a few hundred under the lab VM's
 * emulation: one second covers both with room.
 */
export const WITHDRAW_SETTLE_MS = 1_000;

export interface BgpModeDeps {
  kernel: BgpKernel;
  log: AnnouncerLog & { error(obj: object, msg: string): void };
}

/** What the daemon knows about services and the node, for the policy. */
export interface AnnounceInputs {
  service: (name: string) => Omit<ServiceAnnounceState, 'vip'>;
  maintenance: boolean;
}

export class BgpMode {
  private readonly announcer: BgpAnnouncer;
  private readonly sessions: BirdSessions;
  /** The VIPs the last announce() considered. */
  private vips: string[] = [];
  private sysctls: SysctlCheck[] = [];
  /** The node is drained (`lvsd drain-node`): every VIP withdrawn, the services left serving. */
  private maintenance = false;

  constructor(
    private bgp: BgpConfig,
    private readonly deps: BgpModeDeps,
  ) {
    this.announcer = new BgpAnnouncer(deps.kernel.openRoutes(bgp.table), deps.log);
    this.sessions = new BirdSessions(bgp.bird_socket, bgp.peers.map((p) => p.name));
    this.setSysctls();
  }

  /**
   * flow_takeover: sets the sysctls (src/bgp/sysctls.ts says why) and reads them back; a key that
   * cannot be set is logged and shown in status, and lvsd runs on (the VIPs are still served;
   * only flows moved between directors would break). Turning it off leaves the kernel as it is.
   */
  private setSysctls(): void {
    if (!this.bgp.flow_takeover) {
      this.sysctls = [];
      return;
    }
    const { kernel, log } = this.deps;
    this.sysctls = TAKEOVER_SYSCTLS.map((want) => {
      let writeError: string | undefined;
      const before = kernel.readSysctl(want.key);
      if (before !== undefined && before !== want.value) {
        try {
          kernel.writeSysctl(want.key, want.value);
        } catch (err) {
          writeError = err instanceof Error ? err.message : String(err);
        }
      }
      const check = checkSysctl(want, before === undefined ? undefined : kernel.readSysctl(want.key), writeError);
      if (!check.ok) log.error({ key: check.key, want: check.want, have: check.have }, `BGP flow takeover: ${check.key} is not ${check.want}: ${check.problem} (${want.why})`);
      return check;
    });
  }

  /** Announces what `config` and the services' state call for; resolves when the table has it (or a retry is due). */
  announce(config: Config, inputs: AnnounceInputs): Promise<void> {
    const vips = announcedVipsOf(config.services, this.bgp);
    this.vips = vips;
    this.maintenance = inputs.maintenance;
    const services = config.services.map((s) => ({ vip: s.vip, ...inputs.service(s.name) }));
    return this.announcer.set(announcedVips({ vips, services, maintenance: inputs.maintenance }));
  }

  /** A reloaded bgp section; a new table is filled only after the old one is emptied. */
  async reconfigure(bgp: BgpConfig): Promise<void> {
    const old = this.bgp;
    this.bgp = bgp;
    this.sessions.reconfigure(bgp.bird_socket, bgp.peers.map((p) => p.name));
    if (bgp.flow_takeover && !old.flow_takeover) this.setSysctls();
    if (!bgp.flow_takeover) this.sysctls = [];
    if (bgp.table !== old.table) await this.announcer.replaceRoutes(this.deps.kernel.openRoutes(bgp.table));
  }

  async status(): Promise<BgpStatus> {
    const sessions = await this.sessions.read();
    return {
      table: this.bgp.table,
      maintenance: this.maintenance,
      vips: [...this.vips].sort(),
      ...this.announcer.state(),
      sessions: sessions.ok ? sessions.sessions : [],
      sessionsError: sessions.ok ? null : sessions.error,
      sysctls: this.sysctls,
    };
  }

  /**
   * Withdraws every VIP, then waits WITHDRAW_SETTLE_MS if any was announced: BIRD sends the
   * withdrawal at once, but the router needs a moment to move the flows to the other directors,
   * and until then packets still arrive here and must find the services (the daemon takes IPVS
   * down after this).
   */
  async stop(): Promise<void> {
    const { announced } = this.announcer.state();
    await this.announcer.stop();
    if (announced.length > 0) await new Promise((r) => setTimeout(r, WITHDRAW_SETTLE_MS));
  }
}
