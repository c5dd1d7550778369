// What the daemon needs from kernel IPVS, as one interface (the IPVS side of the seam that
// vrrp-kernel.ts is for VRRP, issue 15): IpvsClient implements it on generic netlink; tests
// pass an in-memory kernel, so the daemon runs where the kernel has no IPVS.
import type { IpvsWriter } from '../ipvs/apply.js';
import { IpvsClient, type IpvsClientOptions } from '../ipvs/client.js';

export type IpvsKernel = IpvsWriter & Pick<IpvsClient, 'read' | 'service' | 'destinations' | 'setTimeouts' | 'startSyncDaemon' | 'stopSyncDaemon' | 'close'>;

/** The kernel of the namespace lvsd runs in. */
export function openKernelIpvs(opts: IpvsClientOptions = {}): Promise<IpvsKernel> {
  return IpvsClient.open(opts);
}
