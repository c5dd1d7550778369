// What each control method does (the table of names, params and results is control-methods.ts).
// The handlers see the daemon through ControlledDaemon, the few things an operator's command
// may touch; IPVS and VRRP are looked up when a method runs, since a reload can bring either in.
import type { Config } from '../config/types.js';
import type { OperatorOverride } from '../health/index.js';
import type { ControlHandlers, ControlResult, OverrideResult, ReloadResult } from './control-methods.js';
import type { StatusReport } from './status.js';
import type { VrrpThread } from './vrrp-thread.js';

export interface ControlledDaemon {
  config(): Config;
  status(): Promise<StatusReport>;
  reload(force: boolean): Promise<ReloadResult>;
  vrrp(): VrrpThread | undefined;
  /** drain, disable, enable: the real server's key (or undefined for the whole service) it was set on. */
  setOverride(service: string, realServer: string | undefined, override: OperatorOverride | 'clear'): Promise<string | undefined>;
  changeServer(method: 'add-server' | 'remove-server', service: string, realServer: string, weight: number | undefined): Promise<ControlResult<'add-server'>>;
  /** `lvsd drain-node`; throws when this node has no bgp section. */
  setMaintenance(on: boolean): Promise<{ maintenance: boolean; announced: string[] }>;
  plan(): Promise<ControlResult<'plan'>>;
}

export function controlHandlers(d: ControlledDaemon): ControlHandlers {
  const overrideOf = (method: 'drain' | 'disable' | 'enable') => async (p: { service: string; realServer?: string | undefined; force?: boolean | undefined }): Promise<OverrideResult> => {
    const override: OverrideResult['override'] = method === 'enable' ? (p.force === true ? 'enable' : 'clear') : method;
    const realServer = await d.setOverride(p.service, p.realServer, override);
    return { service: p.service, realServer: realServer ?? null, override };
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
    'add-server': ({ service, realServer, weight }) => d.changeServer('add-server', service, realServer, weight),
    'remove-server': ({ service, realServer }) => d.changeServer('remove-server', service, realServer, undefined),
    plan: () => d.plan(),
  };
}
