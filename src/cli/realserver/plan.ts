// The setup planner: compares what the mode wants with what the host has and returns the steps
// that close the gap, each with the reason an operator reads. An already set-up host yields no
// steps, which is what makes `lvsd realserver setup` idempotent.
import type { IpFamily } from '../../net/address.js';
import { findLink, type HostState } from './host-state.js';
import type { Wanted } from './wanted.js';

export type Step =
  | { kind: 'load-module'; module: string; device: string; why: string }
  | { kind: 'set-link'; ifname: string; up: boolean; why: string }
  | { kind: 'add-address'; ifname: string; family: IpFamily; address: string; prefix: number; nodad: boolean; why: string }
  | { kind: 'remove-address'; ifname: string; family: IpFamily; address: string; prefix: number; why: string }
  | { kind: 'set-sysctl'; key: string; from: string | undefined; to: string; why: string };

/**
 * Steps for `setup`. Steps that depend on a device the same plan creates (tunl0 appears when ipip
 * loads) are left for the next round: the caller applies, observes again and re-plans.
 */
export function planSetup(wanted: Wanted, host: HostState): Step[] {
  const steps: Step[] = [];
  const missing = new Set<string>();
  for (const t of wanted.tunnels) {
    const link = findLink(host, t.device);
    if (!link) {
      missing.add(t.device);
      steps.push({ kind: 'load-module', module: t.module, device: t.device, why: `${t.module} creates ${t.device}, which decapsulates what the director tunnels to us` });
    } else if (!link.up) {
      steps.push({ kind: 'set-link', ifname: t.device, up: true, why: `${t.device} must be up to receive tunnelled packets` });
    }
  }
  for (const a of wanted.addresses) {
    if (missing.has(a.ifname) || !findLink(host, a.ifname)) continue;
    // Same address on the same device with another prefix: adding ours would fail (EEXIST) and
    // removing theirs is not ours to do; `check` reports it.
    if (host.addresses.some((h) => h.ifname === a.ifname && h.address === a.address)) continue;
    steps.push({
      kind: 'add-address',
      ...a,
      why: a.ifname === 'lo' ? 'the VIP must be local to accept the forwarded packets, and on lo so no uplink claims it' : `${a.ifname} accepts the decapsulated packets for the VIP`,
    });
  }
  for (const s of wanted.sysctls) {
    const current = host.sysctls.get(s.key);
    // Absent key: the interface does not exist (yet); `check` reports it.
    if (current === undefined || s.accepted.includes(current)) continue;
    steps.push({ kind: 'set-sysctl', key: s.key, from: current, to: s.value, why: s.why });
  }
  return steps;
}
