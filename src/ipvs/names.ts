// How IPVS objects are named to an operator: in error sentences, plan lines and logs. One spelling
// everywhere, the one ipvsadm users read: "tcp 198.18.0.100:80", "udp [2001:2::1]:53", "fwmark 7 ipv6".
import { fwmarkServiceName } from '../config/derived.js';
import { familyName, familyOf, hostPort, type IpFamily } from '../net/address.js';
import type { DestinationId, FwmarkServiceId, ServiceId } from './types.js';

export function isFwmark(id: ServiceId): id is FwmarkServiceId {
  return 'fwmark' in id;
}

/** The address family of a service (of its VIP, or declared for a fwmark service). */
export function serviceFamily(id: ServiceId): IpFamily {
  return isFwmark(id) ? id.family : familyOf(id.address);
}

/** "tcp 198.18.0.100:80" or "fwmark 7 ipv6". */
export function serviceName(id: ServiceId): string {
  return isFwmark(id) ? fwmarkServiceName(id.fwmark, id.family) : `${id.protocol} ${hostPort(id)}`;
}

/** A stable map key for a service: equal ids give equal keys. */
export function serviceKey(id: ServiceId): string {
  return isFwmark(id) ? `fwmark/${familyName(id.family)}/${id.fwmark}` : `${id.protocol}/${id.address}/${id.port}`;
}

/** Only the identifying fields of a service, for requests that name one. */
export function serviceIdOf(s: ServiceId): ServiceId {
  return isFwmark(s) ? { fwmark: s.fwmark, family: s.family } : { protocol: s.protocol, address: s.address, port: s.port };
}
