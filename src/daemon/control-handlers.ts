// What each control method does (the table of names, params and results is control-methods.ts).
// The handlers see the daemon through ControlledDaemon, the few things an operator's command
// may touch; IPVS, VRRP and the runtime changes are looked up when a method runs, since a reload
// can bring them in.
import type { Config } from '../config/types.js';
import { formatPlan } from '../ipvs/plan.js';
import type { ControlHandlers, OverrideResult, ReloadResult } from './control-methods.js';
import type { IpvsManager } from './ipvs-manager.js';
import { overrideChange, serverChange } from './operator-changes.js';
import type { RuntimeChanges } from './runtime-changes.js';
import { formatRuntimeServers } from './runtime-servers.js';
import type { StatusReport } from './status.js';
import type { VrrpThread } from './vrrp-thread.js';

export interface ControlledDaemon {
  /** The config in force: the file's with the runtime changes and resolved names applied. */
  config(): Config;
  /** The config as the file says it. */
  fileConfig(): Config;
  status(): Promise<StatusReport>;
  reload(force: boolean): Promise<ReloadResult>;
  vrrp(): VrrpThread | undefined;
  ipvs(): IpvsManager | undefined;
  runtime(): RuntimeChanges | undefined;
  /** `lvsd drain-node`; throws when this node has no bgp section. */
  setMaintenance(on: boolean): Promise<{ maintenance: boolean; announced: string[] }>;
}

export function controlHandlers(d: ControlledDaemon): ControlHandlers {
  /** Runtime changes (recorded, saved, shared with the peer node, then applied) need services to apply to. */
  const runtimeWithServices = (): RuntimeChanges => {
    const runtime = d.runtime();
    if (!d.ipvs() || !runtime) throw new Error('no services are configured');
    return runtime;
  };
  const overrideOf = (method: 'drain' | 'disable' | 'enable') => async (p: { service: string; realServer?: string | undefined; force?: boolean | undefined }): Promise<OverrideResult> => {
    const override: OverrideResult['override'] = method === 'enable' ? (p.force === true ? 'enable' : 'clear') : method;
    const runtime = runtimeWithServices();
    const change = overrideChange(d.config(), p.service, p.realServer, override);
    await runtime.set([change]);
    return { service: p.service, realServer: change.realServer ?? null, override };
  };
  const changeServer = async (method: 'add-server' | 'remove-server', service: string, realServer: string, weight: number | undefined) => {
    const runtime = runtimeWithServices();
    const { change, result } = serverChange(d.config(), d.fileConfig(), (key) => runtime.get(key), method, service, realServer, weight);
    await runtime.set([change]);
    return result;
  };
  return {
    status: () => d.status(),
    reload: async ({ node, force }) => {
      const running = d.config().node.name;
      if (node !== undefined && node !== running) {
        return { ok: false, errors: [`this daemon runs as node ${running}, not ${node}: a reload keeps the node (restart lvsd with --node ${node} to change it)`] };
      }
      return d.reload(force === true);
    },
    failover: async ({ instance, take }) => {
      const vrrp = d.vrrp();
      if (!vrrp) throw new Error('VRRP is not running');
      return vrrp.failover(instance, take === true ? 'take-over' : 'step-down');
    },
    drain: overrideOf('drain'),
    disable: overrideOf('disable'),
    enable: overrideOf('enable'),
    'drain-node': ({ undo }) => d.setMaintenance(undo !== true),
    'add-server': ({ service, realServer, weight }) => changeServer('add-server', service, realServer, weight),
    'remove-server': ({ service, realServer }) => changeServer('remove-server', service, realServer, undefined),
    // What a reconcile would change now, and the runtime changes the file does not have.
    plan: async () => {
      const ipvs = d.ipvs();
      if (!ipvs) return { text: 'no services are configured: nothing to plan', operations: 0, runtimeChanges: 0 };
      const plan = await ipvs.plan();
      const runtime = formatRuntimeServers(d.runtime()?.active() ?? []);
      return { text: [formatPlan(plan), ...runtime].join('\n'), operations: plan.operations.length, runtimeChanges: runtime.length };
    },
  };
}
