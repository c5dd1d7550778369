// The macvlan of one VRRP instance with use_vmac, as the manager drives it: up while master
// (VIPs on it, adverts and gratuitous ARPs / unsolicited NAs sent through it, so the virtual MAC
// is their Ethernet source), down otherwise.
//
// Why down and not just empty outside MASTER (keepalived keeps it up): RFC 5798 sec. 6.4.2 has a
// backup discard frames sent to the virtual MAC. A macvlan that is down takes its MAC out of the
// parent's unicast filter and out of macvlan's lookup, so such frames (a switch still sending to
// the old port) end as "other host" and are dropped, instead of being accepted and, on a host
// that forwards, routed. And a link that is down sends nothing, so no frame from the backup
// (IPv6 neighbour discovery, MLD) can move the switches' entry for the virtual MAC to it.
//
// The state machine sends its first advert as it becomes master, before the link-up it asked
// for has been carried out; that advert waits here and leaves as soon as the link is up.
//
// Receiving. A multicast frame whose Ethernet source is the MAC of a macvlan that is up is taken
// for that macvlan's own frame coming back and handed to the macvlan alone, never to the parent
// (macvlan_handle_frame). So while ours is up, the adverts of a peer that also uses the virtual
// MAC (a second master, a preempting backup) reach the macvlan only. The macvlan's socket
// therefore joins the VRRP group too (and gets copies of every other advert on the LAN), and the
// instance listens to exactly one of the two: the macvlan's while it is up, the parent's shared
// socket otherwise. Unicast adverts are addressed to the parent's MAC and always arrive there.
import type { VrrpInstanceConfig } from '../config/types.js';
import { instanceFamily } from '../config/derived.js';
import { isIpv6LinkLocal } from '../net/address.js';
import { vmacSettings } from '../vrrp/from-config.js';
import type { AdvertSink, VrrpReceiver } from '../vrrp/receiver.js';
import type { InstanceSettings } from '../vrrp/settings.js';
import type { VmacLink, VrrpKernel, VrrpSocketHandle } from './vrrp-kernel.js';

/** The kernel's view of an instance's macvlan; undefined without use_vmac. */
export function vmacLinkOf(settings: InstanceSettings): VmacLink | undefined {
  if (!settings.vmac) return undefined;
  return {
    name: settings.vmac.name,
    parent: settings.interface,
    mac: settings.vmac.mac,
    family: settings.family,
    ...(settings.family === 6 && isIpv6LinkLocal(settings.primaryAddress) ? { linkLocal: settings.primaryAddress } : {}),
  };
}

/** The same from the config alone (no advert source), for removing what a previous run left. */
export function configuredVmacLink(inst: VrrpInstanceConfig): VmacLink | undefined {
  const vmac = vmacSettings(inst);
  return vmac && { name: vmac.name, parent: inst.interface, mac: vmac.mac, family: instanceFamily(inst) };
}

export class InstanceVmac {
  private up = false;
  /** Adverts sent while the link was not up yet: the latest one per destination. */
  private readonly pending = new Map<string, Buffer>();
  /** What the runner sends through: the socket on the macvlan, or the wait for it to come up. */
  readonly transport = {
    send: (payload: Buffer, dst: string): void => {
      if (this.up) this.socket.send(payload, dst);
      else this.pending.set(dst, payload);
    },
  };

  constructor(
    readonly link: VmacLink,
    private readonly kernel: VrrpKernel,
    private readonly socket: VrrpSocketHandle,
    /** The decoder of what the macvlan's socket receives; `listen` registers the instance on it. */
    private readonly receiver: VrrpReceiver,
    /** Multicast adverts (the socket joined the group); false for unicast peers. */
    private readonly multicast: boolean,
    private readonly onSendError: (err: unknown, dst: string) => void,
  ) {}

  /** Whether the instance hears its adverts through the macvlan now (see the file header). */
  get hearsOnVmac(): boolean {
    return this.multicast && this.up;
  }

  /**
   * Registers `sink` for `vrid` on the macvlan's socket, and returns the gate for the parent's:
   * each delivers only while it is the one the instance listens to.
   */
  listen(vrid: number, sink: AdvertSink): AdvertSink {
    const gate = (on: boolean, target: AdvertSink): AdvertSink => ({
      receive: (advert) => {
        if (this.hearsOnVmac === on) target.receive(advert);
      },
      countDrop: (reason, src) => {
        if (this.hearsOnVmac === on) target.countDrop(reason, src);
      },
    });
    this.receiver.register(vrid, gate(true, sink));
    return gate(false, sink);
  }

  /** Brings the link up (before the VIPs go on) and sends the adverts that waited for it. */
  async bringUp(): Promise<void> {
    if (this.up) return;
    await this.kernel.setVmacUp(this.link, true);
    this.up = true;
    for (const [dst, payload] of this.pending) {
      try {
        this.socket.send(payload, dst);
      } catch (err) {
        this.onSendError(err, dst);
      }
    }
    this.pending.clear();
  }

  /** Takes the link down (after the VIPs left). */
  async bringDown(): Promise<void> {
    this.pending.clear();
    if (!this.up) return;
    this.up = false;
    await this.kernel.setVmacUp(this.link, false);
  }

  close(): void {
    this.socket.close();
  }
}
