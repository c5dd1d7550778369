// Rules for services that follow VRRP mastership (active_on: master): the instance they follow
// must exist, and should be the one whose master receives their traffic.
import { closestMatch } from '../suggest.js';
import type { Rule } from './context.js';

const servicePath = (i: number) => ['services', i] as const;

const followedInstanceExists: Rule = (ctx) => {
  const { instances, sync_groups: groups } = ctx.config.vrrp;
  const names = instances.map((inst) => inst.name);
  const floatedBy = new Map(instances.flatMap((inst) => inst.vips.map((v) => [v.address, inst.name] as const)));
  const groupOf = new Map(groups.flatMap((g) => g.instances.map((name) => [name, g.name] as const)));
  ctx.config.services.forEach((svc, i) => {
    const floating = svc.vip === undefined ? undefined : floatedBy.get(svc.vip);
    if (svc.vrrp_instance === undefined) {
      if (svc.active_on !== 'master' || floating !== undefined) return;
      const what = svc.vip === undefined ? 'a fwmark service has no vip to find it by' : `vip ${svc.vip} is not floated by any VRRP instance`;
      ctx.error([...servicePath(i), 'active_on'], `master means the master of a VRRP instance, but ${what}, expected vrrp_instance: NAME${names.length ? ` (instances: ${names.join(', ')})` : ' and an instance under vrrp.instances'}`);
      return;
    }
    const path = [...servicePath(i), 'vrrp_instance'];
    if (svc.active_on !== 'master') {
      ctx.error(path, 'vrrp_instance is used only with active_on: master, expected active_on: master or no vrrp_instance');
    } else if (!names.includes(svc.vrrp_instance)) {
      const near = closestMatch(svc.vrrp_instance, names);
      ctx.error(path, `no VRRP instance named "${svc.vrrp_instance}"${near ? `, did you mean "${near}"?` : ''} (instances: ${names.join(', ') || 'none'})`);
    } else if (floating !== undefined && floating !== svc.vrrp_instance && (groupOf.get(floating) === undefined || groupOf.get(floating) !== groupOf.get(svc.vrrp_instance))) {
      ctx.warn(path, `vip ${svc.vip} is floated by instance "${floating}", not "${svc.vrrp_instance}": unless both are master on the same node (one sync group), the node receiving the traffic may not have the service`);
    }
  });
};

export const mastershipRules: readonly Rule[] = [followedInstanceExists];
