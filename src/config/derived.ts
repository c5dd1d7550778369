// Facts derived from a loaded config that several subsystems need.
import { familyFromName, familyName, familyOf, hostPort, type IpFamily } from '../net/address.js';
import type { BgpConfig, Config, ServiceConfig, VrrpInstanceConfig } from './types.js';

/** The address family of an instance: that of its VIPs (the loader ensures they agree). */
export function instanceFamily(instance: VrrpInstanceConfig): IpFamily {
  return familyOf(instance.vips[0]?.address ?? '');
}

/**
 * The macvlan an instance with use_vmac puts its VIPs on: the configured name, else keepalived's
 * vrrp.VRID (IPv4) / vrrp6.VRID (IPv6); undefined without use_vmac.
 */
export function vmacName(instance: VrrpInstanceConfig): string | undefined {
  const vmac = instance.use_vmac;
  if (vmac === false) return undefined;
  if (vmac !== true && vmac.name !== undefined) return vmac.name;
  return `${instanceFamily(instance) === 6 ? 'vrrp6' : 'vrrp'}.${instance.vrid}`;
}

/** "fwmark 7 ipv4": the one spelling of a fwmark service, as ipvsadm users read it. */
export function fwmarkServiceName(fwmark: number, family: IpFamily): string {
  return `fwmark ${fwmark} ${familyName(family)}`;
}

/** How logs and messages name a service's traffic: "tcp 198.18.0.100:80", "fwmark 7 ipv4" (as ipvs/names.ts serviceName). */
export function describeServiceMatch(svc: ServiceConfig): string {
  if (svc.fwmark !== undefined) return fwmarkServiceName(svc.fwmark, familyFromName(svc.family));
  return `${svc.protocol} ${hostPort({ address: svc.vip ?? '', port: svc.port ?? 0 })}`;
}

/** The VIPs a bgp section announces: those it lists, or every service VIP. */
export function announcedVipsOf(services: readonly ServiceConfig[], bgp: BgpConfig): string[] {
  return [...new Set(bgp.vips ?? services.flatMap((s) => (s.vip === undefined ? [] : [s.vip])))];
}

/**
 * The services that are in the kernel only while this node is VRRP master (active_on: master),
 * by service name, each with the instance it follows: the one it names, else the one that floats
 * its vip. A service that can name neither is absent (rules/mastership.ts refuses that config).
 */
export function mastershipServices(config: Pick<Config, 'services' | 'vrrp'>): Map<string, string> {
  const out = new Map<string, string>();
  let floatedBy: Map<string, string> | undefined;
  for (const svc of config.services) {
    if (svc.active_on !== 'master') continue;
    floatedBy ??= new Map(config.vrrp.instances.flatMap((inst) => inst.vips.map((v) => [v.address, inst.name] as const)));
    const instance = svc.vrrp_instance ?? (svc.vip === undefined ? undefined : floatedBy.get(svc.vip));
    if (instance !== undefined) out.set(svc.name, instance);
  }
  return out;
}
