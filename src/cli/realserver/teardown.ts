// The teardown planner: undoes what the record says setup changed, newest first, and nothing
// else. A value someone changed after setup is left alone (restoring it would clobber their
// change). Without a record, only addresses carrying lvsd's mark are provably ours.
import { isIpv6LinkLocal } from '../../net/address.js';
import { findLink, type HostState } from './host-state.js';
import type { Step } from './plan.js';
import type { Change, RealServerRecord } from './record.js';
import type { RealServerSpec } from './spec.js';
import { sysctlDisplayName } from '../../kernel/sysctl.js';

export interface TeardownAction {
  step: Step;
  /** The recorded change this step undoes (absent without a record). */
  undoes?: Change;
}

export interface TeardownPlan {
  actions: TeardownAction[];
  /** What teardown deliberately leaves as it is, and why. */
  notes: string[];
  /** Recorded changes that need no action: already undone, or left alone per `notes`. */
  settled: Change[];
}

export function planTeardown(record: RealServerRecord, host: HostState): TeardownPlan {
  const plan: TeardownPlan = { actions: [], notes: [], settled: [] };
  const removing: Array<{ ifname: string; address: string }> = [];
  for (const change of [...record.changes].reverse()) {
    switch (change.kind) {
      case 'sysctl': {
        const current = host.sysctls.get(change.key);
        const name = sysctlDisplayName(change.key);
        if (current === undefined) {
          plan.notes.push(`${name} no longer exists (interface gone); nothing to restore`);
          plan.settled.push(change);
        } else if (current === change.previous) {
          plan.settled.push(change);
        } else if (current !== change.applied) {
          plan.notes.push(`${name} is ${current}, not the ${change.applied} setup wrote: changed since, left alone (it was ${change.previous} before setup)`);
          plan.settled.push(change);
        } else {
          plan.actions.push({ undoes: change, step: { kind: 'set-sysctl', key: change.key, from: current, to: change.previous, why: 'value before setup' } });
        }
        break;
      }
      case 'address': {
        const present = host.addresses.some((a) => a.ifname === change.ifname && a.address === change.address && a.prefix === change.prefix);
        if (!present) {
          plan.notes.push(`${change.address}/${change.prefix} is no longer on ${change.ifname}; nothing to remove`);
          plan.settled.push(change);
        } else {
          removing.push(change);
          plan.actions.push({ undoes: change, step: { kind: 'remove-address', ifname: change.ifname, family: change.family, address: change.address, prefix: change.prefix, why: 'added by setup' } });
        }
        break;
      }
      case 'link-up': {
        const link = findLink(host, change.ifname);
        // The IPv6 link-local address the kernel gives a device when it comes up is not a user.
        const others = host.addresses.filter(
          (a) => a.ifname === change.ifname && !isIpv6LinkLocal(a.address) && !removing.some((r) => r.ifname === a.ifname && r.address === a.address),
        );
        if (!link?.up) {
          plan.settled.push(change);
        } else if (others.length > 0) {
          plan.notes.push(`${change.ifname} stays up: it carries ${others.map((a) => `${a.address}/${a.prefix}`).join(', ')}, which setup did not add`);
          plan.settled.push(change);
        } else {
          plan.actions.push({ undoes: change, step: { kind: 'set-link', ifname: change.ifname, up: false, why: 'brought up by setup' } });
        }
        break;
      }
      case 'module':
        plan.notes.push(`module ${change.module} stays loaded: unloading it would delete every ${change.module} tunnel on the host, not only ${change.device}; run "modprobe -r ${change.module}" if nothing else uses it`);
        plan.settled.push(change);
        break;
    }
  }
  return plan;
}

/**
 * Teardown without a state file: removes the addresses that carry lvsd's mark (those of `spec`'s
 * VIPs when given) and says what it cannot restore.
 */
export function planTeardownUnrecorded(spec: RealServerSpec | undefined, host: HostState, stateFile: string): TeardownPlan {
  const plan: TeardownPlan = { actions: [], notes: [], settled: [] };
  const wantedVip = (address: string): boolean => !spec || spec.vips.some((v) => v.address === address);
  plan.notes.push(`no state file at ${stateFile}: sysctls stay as they are (their values before setup were not recorded)`);
  for (const a of host.addresses) {
    if (!wantedVip(a.address)) continue;
    if (a.ours) {
      plan.actions.push({ step: { kind: 'remove-address', ifname: a.ifname, family: a.family, address: a.address, prefix: a.prefix, why: 'carries the lvsd mark' } });
    } else if (spec) {
      plan.notes.push(`${a.address}/${a.prefix} on ${a.ifname} has no lvsd mark: not provably ours, left alone`);
    }
  }
  return plan;
}
