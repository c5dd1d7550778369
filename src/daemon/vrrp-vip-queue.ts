// One instance's VIP changes and announcements, in order. A quick master-backup-master must not
// reorder an add and a remove, so changes run one after another; an announcement waits for the
// changes queued before it; a stopping master's removal waits for the hand-over (see
// VrrpManager.stopInstance); with use_vmac the macvlan goes up before the VIPs and down after.
import type { Logger } from 'pino';
import type { VipSpec } from '../vrrp/settings.js';
import type { VrrpKernel } from './vrrp-kernel.js';
import type { InstanceVmac } from './vrrp-vmac.js';

export class VipQueue {
  /** The changes queued so far; resolves when the last is done. */
  private ops: Promise<void> = Promise.resolve();
  /** Set while a stopping master keeps its VIPs until a new master speaks. */
  handOver: Promise<void> | undefined;

  constructor(
    private readonly instance: string,
    private readonly kernel: VrrpKernel,
    private readonly log: Logger,
    private readonly vmac: InstanceVmac | undefined,
    /** Whether the instance is master now: an announcement of a VIP we lost is not sent. */
    private readonly isMaster: () => boolean,
  ) {}

  /** Resolves when every change queued so far is done. */
  settled(): Promise<void> {
    return this.ops;
  }

  change(ifname: string, vips: readonly VipSpec[], op: 'add' | 'remove'): Promise<void> {
    const run = async (): Promise<void> => {
      if (op === 'add') await this.vmacLink('up');
      for (const vip of vips) {
        const dev = vip.dev ?? ifname;
        try {
          const changed = op === 'add' ? await this.kernel.addVip(dev, vip) : await this.kernel.removeVip(dev, vip);
          this.log.debug({ instance: this.instance, vip: vip.address, interface: dev, changed }, op === 'add' ? 'VIP added' : 'VIP removed');
        } catch (err) {
          this.log.error({ err, instance: this.instance, vip: vip.address, interface: dev }, `cannot ${op} VIP`);
        }
      }
      if (op === 'remove') await this.vmacLink('down');
    };
    const handOver = op === 'remove' ? this.handOver : undefined;
    this.ops = this.ops.then(() => handOver).then(run);
    return this.ops;
  }

  /**
   * A gratuitous ARP / unsolicited NA waits for the VIP changes queued before it: a neighbour
   * that switches to us before the address is ours only sees drops. Each one goes out on its own
   * turn of the event loop, because sending one costs milliseconds in the kernel and a burst must
   * not hold up the VIP itself, adverts or other instances. Measured: announcing first delayed
   * the VIP by 60-100 ms after a takeover.
   */
  announce(ifname: string, address: string): void {
    const send = (): void => {
      if (!this.isMaster()) return;
      try {
        this.kernel.announce(ifname, address);
      } catch (err) {
        this.log.warn({ err, instance: this.instance, address, interface: ifname }, 'cannot announce VIP');
      }
    };
    void this.ops.then(() => new Promise<void>((resolve) => setImmediate(() => {
      send();
      resolve();
    })));
  }

  /** use_vmac: the macvlan goes up before the VIPs go on and down after they left (vrrp-vmac.ts). */
  private async vmacLink(to: 'up' | 'down'): Promise<void> {
    if (!this.vmac) return;
    try {
      await (to === 'up' ? this.vmac.bringUp() : this.vmac.bringDown());
    } catch (err) {
      this.log.error({ err, instance: this.instance, vmac: this.vmac.link.name }, `cannot bring macvlan ${this.vmac.link.name} ${to}`);
    }
  }
}
