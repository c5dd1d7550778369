// An in-memory RealServerHost that behaves like the kernel where the planner cares: every link
// has conf/<ifname>/ sysctls, loading ipip creates tunl0 (down, with its own conf keys), and
// adding an address that exists fails with EEXIST.
import type { AddressState, DefaultRoute, LinkState } from '../../../../src/cli/realserver/host-state.js';
import type { AddressSpec, RealServerHost } from '../../../../src/cli/realserver/host.js';

const CONF_DEFAULTS = { arp_ignore: '0', arp_announce: '0', rp_filter: '1' };
const MODULE_DEVICES: Record<string, string> = { ipip: 'tunl0', ip6_tunnel: 'ip6tnl0' };

export class FakeHost implements RealServerHost {
  links_: LinkState[] = [];
  addresses_: AddressState[] = [];
  routes: DefaultRoute[] = [];
  sysctls = new Map<string, string>();
  loadedModules: string[] = [];
  /** Every mutating call, in order, for asserting "nothing changed". */
  writes: string[] = [];

  constructor() {
    this.sysctls.set('net/core/fb_tunnels_only_for_init_net', '0');
    this.addLink('lo', true);
    for (const name of ['all', 'default']) this.addConf(name);
  }

  private addConf(ifname: string): void {
    for (const [k, v] of Object.entries(CONF_DEFAULTS)) this.sysctls.set(`net/ipv4/conf/${ifname}/${k}`, ifname === 'all' && k === 'rp_filter' ? '0' : v);
  }

  addLink(name: string, up: boolean): this {
    this.links_.push({ name, index: this.links_.length + 1, up });
    this.addConf(name);
    return this;
  }

  addAddressState(a: Omit<AddressState, 'ours'> & { ours?: boolean }): this {
    this.addresses_.push({ ours: false, ...a });
    return this;
  }

  async links(): Promise<LinkState[]> {
    return this.links_.map((l) => ({ ...l }));
  }

  async addresses(): Promise<AddressState[]> {
    return this.addresses_.map((a) => ({ ...a }));
  }

  async defaultRoutes(): Promise<DefaultRoute[]> {
    return this.routes.map((r) => ({ ...r }));
  }

  readSysctl(key: string): string | undefined {
    return this.sysctls.get(key);
  }

  writeSysctl(key: string, value: string): void {
    if (!this.sysctls.has(key)) throw new Error(`ENOENT ${key}`);
    this.writes.push(`sysctl ${key}=${value}`);
    this.sysctls.set(key, value);
  }

  async addAddress(a: AddressSpec & { nodad: boolean }): Promise<void> {
    if (!this.links_.some((l) => l.name === a.ifname)) throw new Error(`ENODEV ${a.ifname}`);
    if (this.addresses_.some((h) => h.ifname === a.ifname && h.address === a.address)) throw new Error(`EEXIST ${a.address}`);
    this.writes.push(`add ${a.address}/${a.prefix} ${a.ifname}`);
    this.addresses_.push({ ifname: a.ifname, family: a.family, address: a.address, prefix: a.prefix, ours: true });
  }

  async removeAddress(a: AddressSpec): Promise<void> {
    const i = this.addresses_.findIndex((h) => h.ifname === a.ifname && h.address === a.address && h.prefix === a.prefix);
    if (i < 0) throw new Error(`EADDRNOTAVAIL ${a.address}`);
    this.writes.push(`del ${a.address}/${a.prefix} ${a.ifname}`);
    this.addresses_.splice(i, 1);
  }

  async setLinkUp(ifname: string, up: boolean): Promise<void> {
    const link = this.links_.find((l) => l.name === ifname);
    if (!link) throw new Error(`ENODEV ${ifname}`);
    this.writes.push(`link ${ifname} ${up ? 'up' : 'down'}`);
    link.up = up;
  }

  async loadModule(name: string): Promise<void> {
    this.writes.push(`modprobe ${name}`);
    this.loadedModules.push(name);
    const device = MODULE_DEVICES[name];
    if (device && !this.links_.some((l) => l.name === device)) this.addLink(device, false);
  }
}

/** A real server with one uplink eth0 (198.18.0.2/24) and an IPv4 default route through it. */
export function drHost(): FakeHost {
  const host = new FakeHost().addLink('eth0', true);
  host.addAddressState({ ifname: 'eth0', family: 4, address: '198.18.0.2', prefix: 24 });
  host.routes.push({ family: 4, gateway: '198.18.0.1', ifname: 'eth0', metric: 0 });
  return host;
}
