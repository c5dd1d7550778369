// Real servers added or removed at runtime (`lvsd add-server / remove-server`), as data: the
// config the daemon runs is the file's with these records applied, so a runtime-added server is
// health-checked, weighted and reported exactly like one in the file, and a runtime removal
// drains like a removal from the file (src/ipvs/drain.ts). Pure; the daemon applies the result.
//
// A record stays a difference from the file until the file catches up: when a reload brings the
// file to the same state (the added server is now in it, the removed one gone), caughtUp() names
// the record and the daemon clears it with a log line, so the file is again the whole truth.
import { parseHostPort, parseIp, hostPort } from '../net/address.js';
import type { Config, RealServerConfig, ServiceConfig } from '../config/types.js';
import type { ChangeRecord } from '../peer/types.js';

/** A real server named on the command line, resolved against a service. */
export interface ServerTarget {
  service: ServiceConfig;
  address: string;
  port: number;
  /** "address:port", the key records and status use. */
  key: string;
}

/**
 * `text` (address or address:port, [v6]:port) as a real server of `service`: the port defaults
 * to the service's; dr and tun need the service's port. Throws the operator's error.
 */
export function resolveServer(config: Config, serviceName: string, text: string): ServerTarget {
  const service = config.services.find((s) => s.name === serviceName);
  if (!service) throw new Error(`no service named "${serviceName}" (services: ${config.services.map((s) => s.name).join(', ') || 'none'})`);
  const bare = parseIp(text.replace(/^\[(.*)\]$/, '$1'));
  const hp = bare ? { address: bare.address, family: bare.family, port: service.port ?? 0 } : parseHostPort(text);
  if (!hp) throw new Error(`${text} is not a real server, expected an address or address:port such as 198.18.1.11:80 or [2001:2::11]:80`);
  if (hp.family !== (service.family === 'ipv4' ? 4 : 6) && service.forwarding !== 'tun') throw new Error(`${text} is not of the family of service ${service.name} (${service.family})`);
  if (service.forwarding !== 'nat' && service.port !== undefined && hp.port !== service.port) throw new Error(`${text}: ${service.forwarding} forwarding needs the service's port ${service.port}`);
  return { service, address: hp.address, port: hp.port, key: hostPort(hp) };
}

const inService = (svc: ServiceConfig, key: string): boolean => svc.real_servers.some((rs) => hostPort(rs) === key);

/** `file` with the runtime server records applied; services without any are the file's own objects. */
export function effectiveConfig(file: Config, records: readonly ChangeRecord[]): Config {
  const byService = new Map<string, ChangeRecord[]>();
  for (const r of records) {
    if (r.kind !== 'server' || r.value === 'clear') continue;
    byService.set(r.service, [...(byService.get(r.service) ?? []), r]);
  }
  if (byService.size === 0) return file;
  const services = file.services.map((svc) => {
    const changes = byService.get(svc.name);
    if (!changes) return svc;
    const removed = new Set(changes.filter((r) => r.value === 'remove').map((r) => r.realServer));
    const real_servers: RealServerConfig[] = svc.real_servers.filter((rs) => !removed.has(hostPort(rs)));
    for (const r of changes) {
      if (r.value !== 'add' || r.realServer === undefined || inService(svc, r.realServer)) continue;
      const hp = parseHostPort(r.realServer);
      if (hp) real_servers.push({ address: hp.address, port: hp.port, weight: r.weight ?? 1, forwarding: svc.forwarding } as RealServerConfig);
    }
    return { ...svc, real_servers };
  });
  return { ...file, services };
}

/** The server records the file now agrees with (or whose service it dropped): to be cleared. */
export function caughtUp(file: Config, records: readonly ChangeRecord[]): ChangeRecord[] {
  const services = new Map(file.services.map((s) => [s.name, s]));
  return records.filter((r) => {
    if (r.kind !== 'server' || r.value === 'clear' || r.realServer === undefined) return false;
    const svc = services.get(r.service);
    if (!svc) return true;
    return r.value === 'add' ? inService(svc, r.realServer) : !inService(svc, r.realServer);
  });
}

/** Whether the file itself has this real server (add-server of it is refused, remove-server records a removal). */
export function fileHas(file: Config, service: string, key: string): boolean {
  const svc = file.services.find((s) => s.name === service);
  return svc !== undefined && inService(svc, key);
}

/** The runtime real-server changes as differences from the file, one line each (`lvsd plan`). */
export function formatRuntimeServers(records: readonly ChangeRecord[]): string[] {
  return records
    .filter((r) => r.kind === 'server' && (r.value === 'add' || r.value === 'remove'))
    .map((r) => `runtime ${r.value === 'add' ? '+' : '-'} ${r.service} ${r.realServer ?? ''}${r.value === 'add' ? ` weight ${r.weight ?? 1}` : ''} (lvsd ${r.value}-server on ${r.node} at ${new Date(r.at).toISOString()}; not in the config file)`);
}
