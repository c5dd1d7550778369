// The RealServerHost of a real machine (or of the network namespace the process runs in):
// rtnetlink for links, addresses and routes, /proc/sys for sysctls, modprobe for modules.
import { loadModule } from '../../kernel/kmod.js';
import { setLinkUp } from '../../kernel/link-admin.js';
import { listDefaultRoutes } from '../../kernel/routes.js';
import { Rtnl } from '../../kernel/rtnl.js';
import { readSysctl, writeSysctl } from '../../kernel/sysctl.js';
import type { AddressState, DefaultRoute, LinkState } from './host-state.js';
import type { AddressSpec, RealServerHost } from './host.js';
import { lvsdLabel } from './mark.js';

export class KernelHost implements RealServerHost {
  private constructor(private readonly rtnl: Rtnl) {}

  static open(): KernelHost {
    return new KernelHost(Rtnl.open());
  }

  close(): void {
    this.rtnl.close();
  }

  async links(): Promise<LinkState[]> {
    return (await this.rtnl.links()).map((l) => ({ name: l.ifname, index: l.ifindex, up: l.up }));
  }

  private async nameOf(): Promise<Map<number, string>> {
    return new Map((await this.rtnl.links()).map((l) => [l.ifindex, l.ifname]));
  }

  async addresses(): Promise<AddressState[]> {
    // Sequential: one rtnetlink socket serves one dump at a time.
    const names = await this.nameOf();
    const entries = await this.rtnl.addresses();
    return entries.map((a) => {
      const ifname = names.get(a.ifindex) ?? `#${a.ifindex}`;
      return { ifname, family: a.family, address: a.address, prefix: a.prefixLength, ours: a.label === lvsdLabel(ifname) };
    });
  }

  async defaultRoutes(): Promise<DefaultRoute[]> {
    const names = await this.nameOf();
    const routes = await listDefaultRoutes();
    return routes.map((r) => {
      const ifname = r.ifindex !== undefined ? names.get(r.ifindex) : undefined;
      return { family: r.family, metric: r.metric, ...(r.gateway ? { gateway: r.gateway } : {}), ...(ifname ? { ifname } : {}) };
    });
  }

  readSysctl(key: string): string | undefined {
    return readSysctl(key);
  }

  writeSysctl(key: string, value: string): void {
    writeSysctl(key, value);
  }

  private async ifindexOf(ifname: string): Promise<number> {
    return (await this.rtnl.linkByName(ifname)).ifindex;
  }

  async addAddress(a: AddressSpec & { nodad: boolean }): Promise<void> {
    // IPv6 VIPs always get IFA_F_NODAD from Rtnl.addVip, which is what `nodad` asks for.
    const ifindex = await this.ifindexOf(a.ifname);
    await this.rtnl.addVip({ ifindex, address: a.address, prefixLength: a.prefix, ...(a.family === 4 ? { label: lvsdLabel(a.ifname) } : {}) }, a.ifname);
  }

  async removeAddress(a: AddressSpec): Promise<void> {
    const ifindex = await this.ifindexOf(a.ifname);
    await this.rtnl.removeVip({ ifindex, address: a.address, prefixLength: a.prefix }, a.ifname);
  }

  async setLinkUp(ifname: string, up: boolean): Promise<void> {
    await setLinkUp(await this.ifindexOf(ifname), up, ifname);
  }

  async loadModule(name: string): Promise<void> {
    await loadModule(name);
  }
}
