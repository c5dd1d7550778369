// What to check, from the loaded services: one MonitoredRealServer per real server that has a
// check (its own, else its service's). Real servers without one are not monitored and count as
// always healthy in effectiveDestinations.
import type { ServiceConfig } from '../config/types.js';
import type { MonitoredRealServer } from './monitor.js';
import { hostPort } from '../net/address.js';

/**
 * @param alreadyServing tells which real servers the kernel already has in service when lvsd
 *   starts (by service name and hostPort); those start up so a restart does not drop a
 *   healthy farm. Everything else starts down until its first passed check.
 */
export function checkTargets(
  services: readonly ServiceConfig[],
  alreadyServing: (service: string, realServer: string) => boolean = () => false,
): MonitoredRealServer[] {
  const out: MonitoredRealServer[] = [];
  for (const svc of services) {
    for (const rs of svc.real_servers) {
      const check = rs.check ?? svc.check;
      if (!check) continue;
      out.push({
        service: svc.name,
        address: rs.address,
        port: rs.port,
        check,
        ...((rs.agent ?? svc.agent) ? { agent: rs.agent ?? svc.agent } : {}),
        initialUp: alreadyServing(svc.name, hostPort(rs)),
      });
    }
  }
  return out;
}
