// From the config as written (real servers by name) to the config the rest of lvsd runs on
// (real servers by address). The daemon calls this on every start, reload and resolution
// change; everything downstream (health targets, IPVS plans, drains, status) only ever sees
// addresses. Pure.
import { realServerProblem } from '../config/rules/addresses.js';
import type { Config, RealServerConfig, ServiceConfig } from '../config/types.js';
import { entryKey } from './policy.js';
import type { IpFamily, NameEntry } from './types.js';

/** The entries of the config written with a name, with the families each may use. */
export function nameEntries(config: Config): NameEntry[] {
  const prefer: IpFamily = config.resolver.resolve_prefer === 'ipv6' ? 6 : 4;
  const out: NameEntry[] = [];
  for (const svc of config.services) {
    const own: IpFamily = svc.family === 'ipv6' ? 6 : 4;
    for (const rs of svc.real_servers) {
      if (rs.host === undefined) continue;
      // Only a tunnel crosses families, and not while the sync daemon runs (rules/ipvs.ts says why).
      const either = rs.forwarding === 'tun' && !config.ipvs.sync_daemon.enabled;
      const families: IpFamily[] = either ? [prefer, prefer === 4 ? 6 : 4] : [own];
      out.push({ service: svc.name, name: rs.host, port: rs.port, discover: rs.discover === true, families });
    }
  }
  return out;
}

/** The families to ask for each name: every family some entry of it may use, preferred first. */
export function familiesByName(entries: readonly NameEntry[]): Map<string, IpFamily[]> {
  const out = new Map<string, IpFamily[]>();
  for (const e of entries) {
    const families = out.get(e.name) ?? [];
    for (const f of e.families) if (!families.includes(f)) families.push(f);
    out.set(e.name, families);
  }
  return out;
}

/** A resolved address left out, and why. */
export interface SkippedAddress {
  service: string;
  name: string;
  address: string;
  why: string;
}

export interface Materialized {
  config: Config;
  skipped: SkippedAddress[];
}

/**
 * The config with every named entry replaced by one real server per placed address (the
 * entry's settings, the address in `address`, the name kept in `host`). An address that is
 * already a real server of the service, or the VIP, or no backend address at all, is left out
 * and reported. A service without names is passed on as it is.
 */
export function materialize(config: Config, placed: (entryKey: string) => readonly string[]): Materialized {
  const skipped: SkippedAddress[] = [];
  const services = config.services.map((svc): ServiceConfig => {
    if (!svc.real_servers.some((rs) => rs.host !== undefined)) return svc;
    const taken = new Set(svc.real_servers.filter((rs) => rs.host === undefined).map((rs) => `${rs.address}|${rs.port}`));
    const real_servers: RealServerConfig[] = [];
    for (const rs of svc.real_servers) {
      if (rs.host === undefined) {
        real_servers.push(rs);
        continue;
      }
      const key = entryKey({ service: svc.name, name: rs.host, port: rs.port, discover: rs.discover === true });
      for (const address of placed(key)) {
        const why = address === svc.vip ? 'it is the VIP' : taken.has(`${address}|${rs.port}`) ? 'the service already has it' : realServerProblem(address);
        if (why !== undefined) {
          skipped.push({ service: svc.name, name: rs.host, address, why });
          continue;
        }
        taken.add(`${address}|${rs.port}`);
        real_servers.push({ ...rs, address });
      }
    }
    return { ...svc, real_servers };
  });
  return { config: { ...config, services }, skipped };
}
