// The configured services as IPVS kernel objects. Which real servers are present, and with
// which weight, is decided by the caller (health checks and operator overrides live above
// this layer); this module only translates.
import type { RealServerConfig, ServiceConfig, SorryServerConfig } from '../config/types.js';
import { familyFromName } from '../net/address.js';
import type { DesiredIpvs, Destination, Service, ServiceId } from './types.js';

export function serviceIdFromConfig(s: ServiceConfig): ServiceId {
  if (s.fwmark !== undefined) return { fwmark: s.fwmark, family: familyFromName(s.family) };
  return { protocol: s.protocol, address: s.vip, port: s.port };
}

export function serviceFromConfig(s: ServiceConfig): Service {
  const hostPrefix = s.family === 'ipv6' ? 128 : 32;
  return {
    ...serviceIdFromConfig(s),
    scheduler: s.scheduler,
    schedulerFlags: [...s.scheduler_flags],
    onePacket: s.one_packet,
    // The kernel counts persistence in whole seconds; rounding up never shortens what was asked.
    persistence: Math.ceil(s.persistence / 1000),
    persistencePrefix: s.persistence_netmask ?? hostPrefix,
  };
}

export function destinationFromConfig(rs: RealServerConfig, weight: number): Destination {
  const d: Destination = {
    address: rs.address,
    port: rs.port,
    forwarding: rs.forwarding,
    weight,
    upperThreshold: rs.upper_threshold ?? 0,
    lowerThreshold: rs.lower_threshold ?? 0,
  };
  if (rs.forwarding === 'tun') d.tunnel = { type: rs.tunnel?.type ?? 'ipip', port: rs.tunnel?.port ?? 0, checksum: rs.tunnel?.checksum ?? 'none' };
  return d;
}

export function sorryDestination(sorry: SorryServerConfig): Destination {
  return { address: sorry.address, port: sorry.port, forwarding: sorry.forwarding, weight: 1, upperThreshold: 0, lowerThreshold: 0 };
}

/** The services as configured, every real server at its configured weight (no health applied). */
export function configuredIpvs(services: readonly ServiceConfig[]): DesiredIpvs {
  return {
    services: services.map((s) => ({ service: serviceFromConfig(s), destinations: s.real_servers.map((rs) => destinationFromConfig(rs, rs.weight)) })),
  };
}
