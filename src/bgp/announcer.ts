// The thin shell around policy.ts: keeps lvsd's kernel table equal to the VIPs to announce.
// BIRD learns the table (bird-config.ts), so adding a route announces the VIP to every peer and
// deleting it withdraws it; lvsd never talks BGP itself.
//
// Each change re-reads the table, so routes a crashed run left behind, or that someone removed
// by hand, are put right by the next change. A kernel error is logged once (and its end once),
// then retried every RETRY_MS until the table matches: announcing must never throw into the
// daemon, and a VIP that should be withdrawn must not stay announced for want of a retry.
import { routeChanges } from './policy.js';
import type { VipRoutes } from './types.js';

const RETRY_MS = 1_000;

export interface AnnouncerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class BgpAnnouncer {
  private desired: string[] = [];
  /** VIPs whose routes are in the table, as of the last read or change. */
  private present = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private failing = false;
  private stopped = false;

  constructor(
    private routes: VipRoutes,
    private readonly log: AnnouncerLog,
  ) {}

  /** Announces exactly `vips` (withdrawing the rest); resolves when the table was brought there or a retry is scheduled. */
  set(vips: readonly string[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.desired = [...vips].sort();
    return this.kick();
  }

  /** Announced now (routes in the table) and wanted but not yet there. */
  state(): { announced: string[]; pending: string[] } {
    return { announced: [...this.present].sort(), pending: this.desired.filter((v) => !this.present.has(v)) };
  }

  /**
   * Moves to another table (a reload changed bgp.table, or turned BGP on or off in place): the
   * old table is emptied first, so BIRD withdraws before the new table announces again.
   */
  async replaceRoutes(routes: VipRoutes): Promise<void> {
    const keep = this.desired;
    await this.set([]);
    this.routes.close();
    this.routes = routes;
    this.present.clear();
    await this.set(keep);
  }

  /** Withdraws everything (one attempt; a failure is logged) and closes the kernel side. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.set([]);
    this.stopped = true;
    clearTimeout(this.retry);
    await this.chain;
    this.routes.close();
  }

  /** Runs a reconcile after the one in progress; calls that come before it starts share it (it reads the latest wish). */
  private kick(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.chain.then(() => {
      this.queued = undefined;
      clearTimeout(this.retry);
      return this.reconcile();
    });
    this.queued = next;
    this.chain = next;
    return next;
  }

  private async reconcile(): Promise<void> {
    const desired = this.stopped ? [] : this.desired;
    try {
      this.present = new Set(await this.routes.list());
      const { add, remove } = routeChanges(desired, [...this.present]);
      // Withdraw first: a VIP that is going away must stop drawing traffic before anything else.
      for (const vip of remove) {
        await this.routes.remove(vip);
        this.present.delete(vip);
        this.log.info({ vip }, 'BGP: VIP withdrawn');
      }
      for (const vip of add) {
        await this.routes.add(vip);
        this.present.add(vip);
        this.log.info({ vip }, 'BGP: VIP announced');
      }
      if (this.failing) this.log.info({}, 'BGP: the VIP routes are in the kernel table again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.warn({ err }, `BGP: cannot change the VIP routes, retrying every ${RETRY_MS} ms`);
      this.failing = true;
      if (!this.stopped) this.retry = setTimeout(() => void (this.stopped || this.kick()), RETRY_MS).unref();
    }
  }
}
