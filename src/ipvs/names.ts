// How IPVS objects are named to an operator: in error sentences, plan lines and logs. One spelling
// everywhere, the one ipvsadm users read: "tcp 198.18.0.100:80", "udp [2001:2::1]:53", "fwmark 7 ipv6".
import { formatHostPort, type FamilyName } from '../config/address.js';
import type { DestinationId, FwmarkServiceId, ServiceId } from './types.js';

export function isFwmark(id: ServiceId): id is FwmarkServiceId {
  return 'fwmark' in id;
}

/** The address family of a service (of its VIP, or declared for a fwmark service). */
export function serviceFamily(id: ServiceId): FamilyName {
  if (isFwmark(id)) return id.family;
  return id.address.includes(':') ? 'ipv6' : 'ipv4';
}

/** "tcp 198.18.0.100:80" or "fwmark 7 ipv6". */
export function serviceName(id: ServiceId): string {
  return isFwmark(id) ? `fwmark ${id.fwmark} ${id.family}` : `${id.protocol} ${formatHostPort(id.address, id.port)}`;
}

/** "198.18.1.11:80" */
export function destName(d: DestinationId): string {
  return formatHostPort(d.address, d.port);
}

/** A stable map key for a service: equal ids give equal keys. */
export function serviceKey(id: ServiceId): string {
  return isFwmark(id) ? `fwmark/${id.family}/${id.fwmark}` : `${id.protocol}/${id.address}/${id.port}`;
}

/** A stable map key for a destination within its service. */
export function destKey(d: DestinationId): string {
  return `${d.address}/${d.port}`;
}

/** Only the identifying fields of a service, for requests that name one. */
export function serviceIdOf(s: ServiceId): ServiceId {
  return isFwmark(s) ? { fwmark: s.fwmark, family: s.family } : { protocol: s.protocol, address: s.address, port: s.port };
}
