// What a caller gives the daemon (`lvsd run`, the tests): the config file and the node it runs
// as, and the seams where tests put their own kernel side (IPVS, VRRP, BGP, DNS) and `lvsd run` adds
// pages to the metrics listener.
import type { BgpKernel } from '../bgp/types.js';
import type { NodeChoice } from '../config/nodes.js';
import type { Config } from '../config/types.js';
import type { NameLookup } from '../resolve/lookup.js';
import type { IpvsKernel } from './ipvs-kernel.js';
import type { Logger } from './log.js';
import type { HttpRoute } from './metrics.js';
import type { StatusReport } from './status.js';
import type { VrrpThread } from './vrrp-thread.js';

export interface DaemonOptions {
  configPath: string;
  /** Which node of a file with nodes: this is, the same on every reload (default: the only one). */
  node?: NodeChoice;
  log: Logger;
  /** Aborted when the daemon is asked to stop while it is still starting. */
  signal?: AbortSignal;
  /** Default: the kernel's IPVS over generic netlink. */
  openIpvs?: () => Promise<IpvsKernel>;
  /** Default: VRRP in its worker thread (VrrpThread.spawn). */
  startVrrp?: (log: Logger) => VrrpThread;
  /** BGP mode's kernel side; default lvsd's routes in that kernel table (HostRouteTable) and /proc/sys. */
  bgpKernel?: BgpKernel;
  /** DNS for real servers given by name; default c-ares with the config's resolver settings. */
  lookup?: (config: Config) => NameLookup;
  /**
   * More pages on the metrics listener (`lvsd run` adds the status page, src/web), given the
   * status read from the IPVS snapshot the metrics use (never a kernel dump per request).
   */
  routes?: (status: () => Promise<StatusReport>) => HttpRoute;
}
