// Gratuitous ARP / unsolicited NA bursts while an instance is master (see GarpSettings).
// Switches and neighbours learn the VIPs' new home from these; the first burst goes out at once,
// a second after `delayMs` catches neighbours that missed it, refreshes keep caches warm.
import type { GarpSettings, VipSpec } from './settings.js';

/** Sends one gratuitous ARP (IPv4) or unsolicited neighbour advertisement (IPv6). */
export interface Announcer {
  announce(ifname: string, address: string): void;
}

export class Announcements {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly announcer: Announcer,
    private readonly garp: GarpSettings,
    private readonly defaultIfname: string,
    private readonly vips: readonly VipSpec[],
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Starts (or restarts) the bursts for a new mastership. */
  start(): void {
    this.stop();
    this.burst(this.garp.repeat);
    if (this.garp.delayMs > 0) this.timers.push(setTimeout(() => this.burst(this.garp.repeat), this.garp.delayMs));
    if (this.garp.refreshMs > 0) this.timers.push(setInterval(() => this.burst(this.garp.refreshRepeat), this.garp.refreshMs));
  }

  /** One burst more while master: a lower-priority master may have drawn the neighbours away. */
  again(): void {
    this.burst(this.garp.repeat);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  private burst(count: number): void {
    for (let i = 0; i < count; i++) {
      for (const vip of this.vips) {
        try {
          this.announcer.announce(vip.dev ?? this.defaultIfname, vip.address);
        } catch (err) {
          this.onError(err);
        }
      }
    }
  }
}
