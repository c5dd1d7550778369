// From the loaded config (`vrrp.instances[]`) to what a VrrpRunner, its tracker and its notify
// hooks need. Pure: the one runtime fact the config cannot hold, the address adverts come from,
// is looked up on the interface by the daemon and passed in.
import { instanceFamily, vmacName } from '../config/derived.js';
import { isIpv6LinkLocal, type IpFamily } from '../net/address.js';
import type { NotifyConfig, TrackConfig, VrrpInstanceConfig } from '../config/types.js';
import { settingsProblems, type InstanceSettings, type NotifySettings, type TrackSettings, type VipSpec } from './settings.js';
import { virtualMac, type VmacSettings } from './vmac.js';

/** An address found on the instance's interface. */
export interface InterfaceAddress {
  family: IpFamily;
  address: string;
  /** IPv6 duplicate address detection still running: not usable as a source yet. */
  tentative: boolean;
}

/** Everything one instance needs to run. */
export interface InstanceSpec {
  settings: InstanceSettings;
  track: TrackSettings;
  notify: NotifySettings;
}

export type InstanceSpecResult = { ok: true; spec: InstanceSpec } | { ok: false; problem: string };

/**
 * The source of our adverts, which is also our side of the equal-priority tie-break:
 * `unicast_source` when given, else the interface's first IPv4 address or its IPv6 link-local
 * address (RFC 5798 5.1.2.1). Addresses that are VIPs of any instance are skipped: a VIP moves
 * between nodes, and one left behind by a previous run must not become our identity.
 */
export function advertSource(
  inst: VrrpInstanceConfig,
  addresses: readonly InterfaceAddress[],
  vipAddresses: ReadonlySet<string>,
): string | undefined {
  if (inst.unicast_source !== undefined) return inst.unicast_source;
  const family = instanceFamily(inst);
  const usable = addresses.filter((a) => a.family === family && !a.tentative && !vipAddresses.has(a.address));
  if (family === 6) return usable.find((a) => isIpv6LinkLocal(a.address))?.address;
  return usable[0]?.address;
}

/** The macvlan of an instance with use_vmac; undefined without. */
export function vmacSettings(inst: VrrpInstanceConfig): VmacSettings | undefined {
  const name = vmacName(inst);
  return name === undefined ? undefined : { name, mac: virtualMac(instanceFamily(inst), inst.vrid) };
}

/** The VIPs as the kernel gets them: those without a dev of their own go on the macvlan of use_vmac. */
export function vipSpecs(inst: VrrpInstanceConfig): VipSpec[] {
  const dev = vmacSettings(inst)?.name;
  return inst.vips.map((v) => ({
    address: v.address,
    prefix: v.prefix,
    ...(v.dev !== undefined ? { dev: v.dev } : dev !== undefined ? { dev } : {}),
    ...(v.label !== undefined ? { label: v.label } : {}),
  }));
}

/**
 * Tracking as configured, plus the instance's own interface at weight 0 (FAULT while it is down),
 * as keepalived does by default: adverts cannot leave through a dead link, and a node that keeps
 * claiming the VIPs there only delays the peer's takeover when the link returns.
 */
export function trackSettings(inst: VrrpInstanceConfig): TrackSettings {
  const track: TrackConfig = inst.track;
  const listed = track.interfaces.some((i) => i.name === inst.interface);
  return {
    interfaces: [...(listed ? [] : [{ name: inst.interface, weight: 0 }]), ...track.interfaces.map((i) => ({ name: i.name, weight: i.weight }))],
    scripts: track.scripts.map((s) => ({
      name: s.name,
      command: s.command,
      intervalMs: s.interval,
      timeoutMs: s.timeout,
      weight: s.weight,
      rise: s.rise,
      fall: s.fall,
    })),
    files: track.files.map((f) => ({ path: f.path, weight: f.weight })),
  };
}

export function notifySettings(notify: NotifyConfig | undefined): NotifySettings {
  if (!notify) return {};
  const out: NotifySettings = {};
  for (const key of ['master', 'backup', 'fault', 'stop', 'any'] as const) {
    const argv = notify[key];
    if (argv !== undefined) out[key] = argv;
  }
  return out;
}

/** Maps one configured instance; `source` is advertSource's answer for it. */
export function instanceSpec(inst: VrrpInstanceConfig, source: string | undefined): InstanceSpecResult {
  const family = instanceFamily(inst);
  if (source === undefined) {
    const wanted = family === 4 ? 'IPv4 address' : 'IPv6 link-local address';
    return { ok: false, problem: `vrrp instance ${inst.name}: ${inst.interface} has no ${wanted} to send adverts from (add one, or set unicast_source)` };
  }
  const vmac = vmacSettings(inst);
  const settings: InstanceSettings = {
    name: inst.name,
    interface: inst.interface,
    family,
    vrid: inst.vrid,
    priority: inst.priority,
    version: inst.version,
    advertIntervalMs: inst.advert_interval,
    preempt: inst.preempt,
    preemptDelayMs: inst.preempt_delay,
    accept: inst.accept,
    checksum: inst.checksum,
    primaryAddress: source,
    unicastPeers: inst.unicast_peers,
    unicastMinTtl: inst.unicast_min_ttl,
    ...(inst.authentication?.type === 'pass' ? { authPassword: inst.authentication.password } : {}),
    vips: vipSpecs(inst),
    garp: { repeat: inst.garp.repeat, delayMs: inst.garp.delay, refreshMs: inst.garp.refresh, refreshRepeat: inst.garp.repeat_refresh },
    ...(vmac ? { vmac } : {}),
  };
  const problems = settingsProblems(settings);
  if (problems.length > 0) return { ok: false, problem: problems.join('; ') };
  return { ok: true, spec: { settings, track: trackSettings(inst), notify: notifySettings(inst.notify) } };
}
