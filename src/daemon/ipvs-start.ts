// IPVS brought under management, at start or when a reload first gives a node services: the
// kernel's connection timeouts set, the services the last run recorded as lvsd's adopted or
// retired (reload-decision.ts decides), the manager started from what the last run saved (drains,
// overrides, health verdicts), and the sync daemon following this node's VRRP role.
import type { Config } from '../config/types.js';
import type { HealthMonitor } from '../health/index.js';
import { serviceName } from '../ipvs/names.js';
import type { ServiceId } from '../ipvs/types.js';
import type { NetlinkSocketError } from '../kernel/errors.js';
import type { ChangeRecord } from '../peer/types.js';
import { openKernelIpvs, type IpvsKernel } from './ipvs-kernel.js';
import { IpvsManager, type IpvsManagerDeps } from './ipvs-manager.js';
import type { Logger } from './log.js';
import { decideStart, managedServices } from './reload-decision.js';
import type { SavedState } from './saved-state.js';
import { SyncFollower } from './sync-follower.js';

export interface IpvsStartDeps extends Pick<IpvsManagerDeps, 'onQuorumChange' | 'onReconciled' | 'masters'> {
  /** Default: the kernel's IPVS over generic netlink. */
  openIpvs: (() => Promise<IpvsKernel>) | undefined;
  health: HealthMonitor;
  log: Logger;
  saved: SavedState;
  /** The operator's runtime changes, whose overrides the manager starts with. */
  runtime: readonly ChangeRecord[];
  /** This node is VRRP master now (the sync daemon's role). */
  isMaster: boolean;
}

export interface ManagedIpvs {
  client: IpvsKernel;
  ipvs: IpvsManager;
  sync: SyncFollower;
  /** Kernel services lvsd still manages beyond the config's (a removal the guard refused, or that failed). */
  leftovers: ServiceId[];
}

export async function startIpvs(config: Config, deps: IpvsStartDeps): Promise<ManagedIpvs> {
  const { log, saved } = deps;
  const onSocketError = (err: NetlinkSocketError): void =>
    log.warn({ err: err.message, failedRequests: err.failedRequests }, 'IPVS netlink socket error: requests in flight failed and will be retried');
  const client = await (deps.openIpvs ?? (() => openKernelIpvs({ onSocketError })))();
  let ipvs: IpvsManager | undefined;
  try {
    const t = config.ipvs.timeouts;
    if (t.tcp !== undefined || t.tcpfin !== undefined || t.udp !== undefined) {
      await client.setTimeouts({
        ...(t.tcp !== undefined ? { tcp: Math.ceil(t.tcp / 1000) } : {}),
        ...(t.tcpfin !== undefined ? { tcpFin: Math.ceil(t.tcpfin / 1000) } : {}),
        ...(t.udp !== undefined ? { udp: Math.ceil(t.udp / 1000) } : {}),
      });
    }
    const start = decideStart(config, await saved.managedServices(config));
    if (start.refused) log.error(start.refused);
    ipvs = await IpvsManager.start(
      config,
      {
        client,
        health: deps.health,
        log,
        ...(deps.onQuorumChange ? { onQuorumChange: deps.onQuorumChange } : {}),
        ...(deps.onReconciled ? { onReconciled: deps.onReconciled } : {}),
        persist: { drains: (d) => saved.saveDrains(d) },
        masters: deps.masters ?? [],
      },
      start.retire,
      await saved.restored(config, deps.runtime),
    );
    const failedDeletes = new Set((ipvs.adoption?.result.failed ?? []).flatMap((f) => (f.operation.kind === 'delete-service' ? [serviceName(f.operation.service)] : [])));
    const leftovers = [...start.kept, ...start.retire.map((r) => r.service).filter((id) => failedDeletes.has(serviceName(id)))];
    await saved.recordManaged(config, managedServices(config, leftovers));
    const sync = new SyncFollower(client, config.ipvs.sync_daemon, log);
    // Backup at start (VRRP has not started); the current role when a reload brings IPVS in.
    await sync.follow(deps.isMaster);
    return { client, ipvs, sync, leftovers };
  } catch (err) {
    // As a stop would: the manager (if it started) stops, the socket closes.
    await ipvs?.stop().catch(() => undefined);
    client.close();
    throw err;
  }
}
