// Which VRRP instances a config wants, and on reload which of the running ones it keeps. Each
// instance gets a fingerprint of everything that, when changed, restarts it (settings, tracking,
// notify hooks, sync group); an instance whose fingerprint is unchanged keeps running untouched.
import type { SyncGroupConfig, VrrpInstanceConfig } from '../config/types.js';
import { advertSource, instanceSpec, type InstanceSpec } from '../vrrp/from-config.js';
import type { VrrpKernel } from './vrrp-kernel.js';
import type { VrrpConfig } from './vrrp-manager.js';

export interface WantedInstance {
  spec: InstanceSpec;
  fingerprint: string;
  groupName?: string;
}

/** Maps every instance, looking up its advert source; throws naming each that cannot run. */
export async function wantedInstances(config: VrrpConfig, kernel: Pick<VrrpKernel, 'addresses'>): Promise<WantedInstance[]> {
  const allVips = new Set(config.vrrp.instances.flatMap((i) => i.vips.map((v) => v.address)));
  const groupOf = new Map<string, SyncGroupConfig>();
  for (const g of config.vrrp.sync_groups) for (const member of g.instances) groupOf.set(member, g);
  const sourceFor = async (inst: VrrpInstanceConfig): Promise<string | undefined> => {
    const addresses = await kernel.addresses(inst.interface);
    if (addresses === undefined) throw new Error(`vrrp instance ${inst.name}: no interface ${inst.interface}`);
    return advertSource(inst, addresses, allVips);
  };
  const problems: string[] = [];
  const wanted: WantedInstance[] = [];
  for (const inst of config.vrrp.instances) {
    const result = instanceSpec(inst, await sourceFor(inst));
    if (!result.ok) {
      problems.push(result.problem);
      continue;
    }
    const group = groupOf.get(inst.name);
    wanted.push({
      spec: result.spec,
      fingerprint: JSON.stringify({ spec: result.spec, group: group ?? null }),
      ...(group ? { groupName: group.name } : {}),
    });
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return wanted;
}

export interface InstanceDiff {
  /** Running, unchanged: left alone. */
  keep: Set<string>;
  /** Running and changed or gone: stopped (and started again when still wanted). */
  leaving: string[];
  /** Planned and not kept: started. */
  starting: WantedInstance[];
  /** For the log line. */
  restarted: string[];
  removed: string[];
  added: string[];
}

/** The running instances (name to fingerprint) against the wanted ones. */
export function diffInstances(running: ReadonlyMap<string, string>, wanted: readonly WantedInstance[]): InstanceDiff {
  const byName = new Map(wanted.map((p) => [p.spec.settings.name, p]));
  const keep = new Set([...running].filter(([name, fingerprint]) => byName.get(name)?.fingerprint === fingerprint).map(([name]) => name));
  const leaving = [...running.keys()].filter((name) => !keep.has(name));
  const starting = wanted.filter((p) => !keep.has(p.spec.settings.name));
  return {
    keep,
    leaving,
    starting,
    restarted: leaving.filter((n) => byName.has(n)),
    removed: leaving.filter((n) => !byName.has(n)),
    added: starting.map((p) => p.spec.settings.name).filter((n) => !leaving.includes(n)),
  };
}
