// VIPs a previous run left behind. Nothing is master before its instance starts, so any
// configured VIP (and use_vmac macvlan) found on the interfaces is stale and is removed.
import type { Logger } from 'pino';
import { vipSpecs } from '../vrrp/from-config.js';
import type { VipSpec } from '../vrrp/settings.js';
import type { VmacLink, VrrpKernel } from './vrrp-kernel.js';
import type { VrrpConfig } from './vrrp-manager.js';
import { configuredVmacLink } from './vrrp-vmac.js';

/**
 * Removes configured VIPs a previous run left on the interfaces: we are not master yet. Runs
 * before the instances start, and on its own at daemon start before IPVS adoption (which takes
 * seconds at 10,000 services), so a crashed node does not answer for the VIPs meanwhile.
 */
export async function removeLeftoverVips(kernel: VrrpKernel, instances: readonly ConfiguredVips[], log: Logger): Promise<void> {
  await Promise.all(
    instances.map(async (inst) => {
      // A macvlan left by a previous run may be up with the VIPs on it, answering for them with
      // the virtual MAC: it goes first, with its addresses (the instance creates it afresh).
      if (inst.vmacLink && (await kernel.removeVmac(inst.vmacLink))) {
        log.warn({ instance: inst.name, vmac: inst.vmacLink.name }, 'removed a macvlan left behind by a previous run');
      }
      await Promise.all(
        inst.vips.map(async (vip) => {
          const ifname = vip.dev ?? inst.interface;
          if (await kernel.removeVip(ifname, vip)) {
            log.warn({ instance: inst.name, vip: vip.address, interface: ifname }, 'removed a VIP left behind by a previous run');
          }
        }),
      );
    }),
  );
}

/** An instance with its VIPs and macvlan, as removeLeftoverVips takes them. */
export interface ConfiguredVips {
  name: string;
  interface: string;
  vips: readonly VipSpec[];
  vmacLink?: VmacLink | undefined;
}

/** The instances of a config with their VIPs, as removeLeftoverVips takes them. */
export function configuredVips(config: VrrpConfig): ConfiguredVips[] {
  return config.vrrp.instances.map((inst) => ({ name: inst.name, interface: inst.interface, vips: vipSpecs(inst), vmacLink: configuredVmacLink(inst) }));
}
