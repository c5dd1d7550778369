// What the planner sees of the host: plain data gathered from rtnetlink and /proc/sys, so the
// planning and checking functions are pure and unit-testable with hand-written hosts.
import type { IpFamily } from '../../net/address.js';

export interface LinkState {
  name: string;
  index: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
}

export interface AddressState {
  ifname: string;
  family: IpFamily;
  /** Canonical text. */
  address: string;
  prefix: number;
  /** Carries lvsd's mark (see kernel-host.ts), so it is provably ours even without a state file. */
  ours: boolean;
}

export interface DefaultRoute {
  family: IpFamily;
  /** The next hop; absent for a device-only default route. */
  gateway?: string;
  ifname?: string;
  /** Lower wins; the kernel uses the lowest-metric default route. */
  metric: number;
}

export interface HostState {
  links: readonly LinkState[];
  addresses: readonly AddressState[];
  defaultRoutes: readonly DefaultRoute[];
  /** Values of the sysctl keys the planner asked for (`sysctlKeysToRead`); undefined = key absent. */
  sysctls: ReadonlyMap<string, string | undefined>;
}

export function findLink(host: HostState, name: string): LinkState | undefined {
  return host.links.find((l) => l.name === name);
}
