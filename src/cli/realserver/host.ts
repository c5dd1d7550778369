// The narrow interface between the real-server procedures and the machine: the kernel
// implementation is kernel-host.ts; unit tests use an in-memory host.
import type { IpFamily } from '../../net/address.js';
import type { AddressState, DefaultRoute, HostState, LinkState } from './host-state.js';
import type { Step } from './plan.js';

export interface AddressSpec {
  ifname: string;
  family: IpFamily;
  address: string;
  prefix: number;
}

export interface RealServerHost {
  links(): Promise<LinkState[]>;
  addresses(): Promise<AddressState[]>;
  defaultRoutes(): Promise<DefaultRoute[]>;
  /** undefined when the key does not exist. */
  readSysctl(key: string): string | undefined;
  writeSysctl(key: string, value: string): void;
  /** Adds the address with lvsd's mark; `nodad` skips IPv6 duplicate address detection. */
  addAddress(address: AddressSpec & { nodad: boolean }): Promise<void>;
  removeAddress(address: AddressSpec): Promise<void>;
  setLinkUp(ifname: string, up: boolean): Promise<void>;
  loadModule(name: string): Promise<void>;
}

/** Reads links, addresses and default routes, then the sysctl keys `keysFor` asks for given those. */
export async function observe(host: RealServerHost, keysFor: (partial: Omit<HostState, 'sysctls'>) => readonly string[]): Promise<HostState> {
  // One after the other: the kernel host shares one rtnetlink socket, which serves one dump at a time.
  const links = await host.links();
  const addresses = await host.addresses();
  const defaultRoutes = await host.defaultRoutes();
  const partial = { links, addresses, defaultRoutes };
  const sysctls = new Map(keysFor(partial).map((k) => [k, host.readSysctl(k)] as const));
  return { ...partial, sysctls };
}

export async function applyStep(host: RealServerHost, step: Step): Promise<void> {
  switch (step.kind) {
    case 'load-module':
      return host.loadModule(step.module);
    case 'set-link':
      return host.setLinkUp(step.ifname, step.up);
    case 'add-address':
      return host.addAddress(step);
    case 'remove-address':
      return host.removeAddress(step);
    case 'set-sysctl':
      host.writeSysctl(step.key, step.to);
      return;
  }
}
