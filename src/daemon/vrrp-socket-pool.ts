// The raw VRRP sockets, shared: instances on one interface, family and advert source, all
// multicast or all unicast, listen on one socket whose receiver dispatches by VRID. A socket
// opens with its first instance and closes with its last.
import type { Logger } from 'pino';
import { VrrpReceiver } from '../vrrp/receiver.js';
import type { InstanceSettings } from '../vrrp/settings.js';
import type { VrrpKernel, VrrpSocketHandle } from './vrrp-kernel.js';
import type { VrrpSocketView } from './vrrp-status.js';

export interface SharedSocket {
  key: string;
  view: Omit<VrrpSocketView, 'packets' | 'drops'>;
  receiver: VrrpReceiver;
  handle: VrrpSocketHandle;
  users: number;
}

export class VrrpSocketPool {
  private readonly open = new Map<string, SharedSocket>();

  constructor(
    private readonly kernel: VrrpKernel,
    private readonly log: Logger,
  ) {}

  /** The socket an instance sends and hears on, opened when it is the first to need it. */
  acquire(s: InstanceSettings): SharedSocket {
    const multicast = s.unicastPeers.length === 0;
    const key = `${s.interface}/${s.family}/${s.primaryAddress}/${multicast ? 'multicast' : 'unicast'}`;
    let shared = this.open.get(key);
    if (!shared) {
      const receiver = new VrrpReceiver(s.family, (reason, count, src) =>
        this.log.warn({ interface: s.interface, family: s.family, reason, count, src }, `VRRP: dropped ${count} packet(s) on ${s.interface}: ${reason}`),
      );
      const handle = this.kernel.openSocket({ family: s.family, ifname: s.interface, source: s.primaryAddress, multicast }, receiver.onPacket);
      shared = { key, view: { interface: s.interface, family: s.family, source: s.primaryAddress, multicast }, receiver, handle, users: 0 };
      this.open.set(key, shared);
    }
    shared.users++;
    return shared;
  }

  release(shared: SharedSocket): void {
    shared.users--;
    if (shared.users > 0) return;
    shared.handle.close();
    this.open.delete(shared.key);
  }

  /** At process exit: every socket closed at once, synchronously. */
  closeAll(): void {
    for (const s of this.open.values()) s.handle.close();
  }

  /** The open sockets with the packets they received and the drops no instance could take. */
  views(): VrrpSocketView[] {
    return [...this.open.values()].map((s) => ({
      ...s.view,
      packets: s.receiver.packets,
      drops: Object.fromEntries(Object.entries(s.receiver.drops).filter(([, n]) => n > 0)),
    }));
  }
}
