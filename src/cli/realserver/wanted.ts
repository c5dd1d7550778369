// What a real server needs for each forwarding mode, as data. The planner turns it into steps and
// the checker into ok/FAIL lines, so both always agree on what "set up" means.
//
// DR:  the director forwards the client's frame unchanged to our MAC, so the VIP must be a local
//      address (on lo, as a host route) that we never claim on the wire: arp_ignore=1 (reply only
//      for addresses on the interface the request came in on) and arp_announce=2 (never use the
//      VIP as the source of our own ARP requests). IPv6 needs no sysctl: Linux answers neighbour
//      solicitations only for addresses on the receiving interface, so the VIP on lo stays silent.
// TUN: the director wraps the packet in IPIP (IPv6: ip6ip6); the kernel's fallback tunnel device
//      (tunl0 / ip6tnl0, created when the module loads) decapsulates it, so it must be up and own
//      the VIP. The inner packet arrives on tunl0 but the reply route to the client leaves by the
//      uplink, which strict reverse-path filtering (rp_filter=1) drops; we relax it to loose (2),
//      not off (0): loose still drops sources with no route at all. The kernel uses
//      max(all, tunl0), so both must be 0 or 2. The VIP is a local address here too, so the same
//      ARP sysctls apply.
// NAT: replies must go back through the director, so the default route must point at it.
import { maxPrefix, type IpFamily, type ParsedIp } from '../../net/address.js';
import type { DefaultRoute, HostState } from './host-state.js';
import type { RealServerSpec } from './spec.js';
import { interfaceSysctl } from '../../kernel/sysctl.js';

export interface TunnelRule {
  family: IpFamily;
  /** The fallback device the module creates in every network namespace. */
  device: 'tunl0' | 'ip6tnl0';
  module: 'ipip' | 'ip6_tunnel';
}

export interface AddressRule {
  ifname: string;
  family: IpFamily;
  address: string;
  prefix: number;
  /** IPv6: skip duplicate address detection, so the VIP is usable at once and never "tentative". */
  nodad: boolean;
}

export interface SysctlRule {
  key: string;
  /** Values that already do the job; anything else is replaced by `value`. */
  accepted: readonly string[];
  value: string;
  why: string;
}

/** A value the kernel computes as max(conf/all, conf/<ifname>); checked, never written directly. */
export interface EffectiveRule {
  label: string;
  ifname: string;
  keys: readonly [all: string, iface: string];
  accepted: readonly number[];
  why: string;
}

export interface Uplinks {
  names: string[];
  /** How they were found, for the output ("--uplink", "default route", "all interfaces"). */
  source: string;
}

export interface Wanted {
  uplinks: Uplinks;
  tunnels: TunnelRule[];
  addresses: AddressRule[];
  sysctls: SysctlRule[];
  effective: EffectiveRule[];
  /** NAT: the gateway the preferred default route of its family must use. */
  gateway?: ParsedIp;
}

/** arp_ignore values that keep the VIP silent: 1 and 2 answer only for the receiving interface, 8 never answers. */
const ARP_IGNORE_OK = [1, 2, 8] as const;
/** rp_filter values that let decapsulated packets in: 0 off, 2 loose. */
const RP_FILTER_OK = [0, 2] as const;

const TUNNELS: Record<IpFamily, TunnelRule> = {
  4: { family: 4, device: 'tunl0', module: 'ipip' },
  6: { family: 6, device: 'ip6tnl0', module: 'ip6_tunnel' },
};

export function tunnelDevices(): string[] {
  return Object.values(TUNNELS).map((t) => t.device);
}

/**
 * The interfaces that face the director, whose ARP behaviour matters: `--uplink`, else the
 * devices of the IPv4 default routes, else every interface but lo and the tunnel devices.
 */
export function resolveUplinks(spec: RealServerSpec, host: Pick<HostState, 'links' | 'defaultRoutes'>): Uplinks {
  if (spec.uplinks) return { names: spec.uplinks, source: '--uplink' };
  const skip = new Set(['lo', ...tunnelDevices()]);
  const viaRoute = [...new Set(host.defaultRoutes.filter((r) => r.family === 4 && r.ifname !== undefined).map((r) => r.ifname as string))];
  const fromRoute = viaRoute.filter((n) => !skip.has(n));
  if (fromRoute.length > 0) return { names: fromRoute, source: 'IPv4 default route' };
  return { names: host.links.map((l) => l.name).filter((n) => !skip.has(n)), source: 'all interfaces (no IPv4 default route)' };
}

function arpRules(uplinks: readonly string[]): { sysctls: SysctlRule[]; effective: EffectiveRule[] } {
  const sysctls: SysctlRule[] = [];
  for (const ifname of ['all', ...uplinks]) {
    sysctls.push({
      key: interfaceSysctl('ipv4', ifname, 'arp_ignore'),
      accepted: ARP_IGNORE_OK.map(String),
      value: '1',
      why: 'answer ARP only for addresses on the receiving interface, so the VIP stays silent',
    });
    sysctls.push({
      key: interfaceSysctl('ipv4', ifname, 'arp_announce'),
      accepted: ['2'],
      value: '2',
      why: 'never use the VIP as the source of our own ARP requests',
    });
  }
  const effective = uplinks.flatMap((ifname): EffectiveRule[] => [
    {
      label: `arp_ignore on ${ifname}`,
      ifname,
      keys: [interfaceSysctl('ipv4', 'all', 'arp_ignore'), interfaceSysctl('ipv4', ifname, 'arp_ignore')],
      accepted: ARP_IGNORE_OK,
      why: `${ifname} must not answer ARP for the VIP`,
    },
    {
      label: `arp_announce on ${ifname}`,
      ifname,
      keys: [interfaceSysctl('ipv4', 'all', 'arp_announce'), interfaceSysctl('ipv4', ifname, 'arp_announce')],
      accepted: [2],
      why: `${ifname} must not announce the VIP in ARP requests`,
    },
  ]);
  return { sysctls, effective };
}

function rpFilterRules(device: string): { sysctls: SysctlRule[]; effective: EffectiveRule[] } {
  const sysctls = ['all', device].map(
    (ifname): SysctlRule => ({
      key: interfaceSysctl('ipv4', ifname, 'rp_filter'),
      accepted: RP_FILTER_OK.map(String),
      value: '2',
      why: `loose reverse-path filtering: packets decapsulated on ${device} are answered via the uplink`,
    }),
  );
  const effective: EffectiveRule[] = [
    {
      label: `rp_filter on ${device}`,
      ifname: device,
      keys: [interfaceSysctl('ipv4', 'all', 'rp_filter'), interfaceSysctl('ipv4', device, 'rp_filter')],
      accepted: RP_FILTER_OK,
      why: `strict reverse-path filtering drops decapsulated packets whose reply leaves by another interface`,
    },
  ];
  return { sysctls, effective };
}

export function wantedState(spec: RealServerSpec, host: Pick<HostState, 'links' | 'defaultRoutes'>): Wanted {
  const uplinks = resolveUplinks(spec, host);
  const wanted: Wanted = { uplinks, tunnels: [], addresses: [], sysctls: [], effective: [] };
  if (spec.mode === 'nat') {
    if (spec.gateway) wanted.gateway = spec.gateway;
    return wanted;
  }
  const families = new Set(spec.vips.map((v) => v.family));
  if (spec.mode === 'tun') wanted.tunnels = [...families].sort().map((f) => TUNNELS[f]);
  for (const vip of spec.vips) {
    wanted.addresses.push({
      ifname: spec.mode === 'dr' ? 'lo' : TUNNELS[vip.family].device,
      family: vip.family,
      address: vip.address,
      prefix: maxPrefix(vip.family),
      nodad: vip.family === 6,
    });
  }
  if (families.has(4)) {
    const arp = arpRules(uplinks.names);
    wanted.sysctls.push(...arp.sysctls);
    wanted.effective.push(...arp.effective);
    if (spec.mode === 'tun') {
      const rp = rpFilterRules(TUNNELS[4].device);
      wanted.sysctls.push(...rp.sysctls);
      wanted.effective.push(...rp.effective);
    }
  }
  return wanted;
}

/**
 * Read, never written: when non-zero, loading ipip creates tunl0 only in the initial namespace,
 * which explains a missing tunl0 inside a container.
 */
export const FB_TUNNELS_KEY = 'net/core/fb_tunnels_only_for_init_net';

/** Every sysctl key the planner and checker will look at, so the host can read them in one go. */
export function sysctlKeysToRead(wanted: Wanted): string[] {
  const keys = [...wanted.sysctls.map((s) => s.key), ...wanted.effective.flatMap((e) => [...e.keys])];
  if (wanted.tunnels.length > 0) keys.push(FB_TUNNELS_KEY);
  return [...new Set(keys)];
}

/** The default route the kernel prefers for `family` (lowest metric), if any. */
export function preferredDefaultRoute(routes: readonly DefaultRoute[], family: IpFamily): DefaultRoute | undefined {
  return routes.filter((r) => r.family === family).sort((a, b) => a.metric - b.metric)[0];
}
