// The checker: verifies the effective state a mode needs (addresses, tunnel devices, the values
// the kernel actually uses, the default route) and, for each failure, the command that fixes it.
import { familyName } from '../../net/address.js';
import { sysctlDisplayName } from '../../kernel/sysctl.js';
import { findLink, type HostState } from './host-state.js';
import { FB_TUNNELS_KEY, preferredDefaultRoute, tunnelDevices, type EffectiveRule, type Wanted } from './wanted.js';

export interface CheckResult {
  ok: boolean;
  /** What was checked and what was found. */
  summary: string;
  /** Why it matters (FAIL only). */
  why?: string;
  /** A command that makes it pass (FAIL only). */
  fix?: string;
}

function sysctlFix(wanted: Wanted, keys: readonly string[], host: HostState): string {
  const assignments = wanted.sysctls
    .filter((r) => keys.includes(r.key) && !r.accepted.includes(host.sysctls.get(r.key) ?? ''))
    .map((r) => `${sysctlDisplayName(r.key)}=${r.value}`);
  return `sysctl -w ${assignments.join(' ')}`;
}

function checkEffective(rule: EffectiveRule, wanted: Wanted, host: HostState): CheckResult {
  const [allKey, ifKey] = rule.keys;
  const all = host.sysctls.get(allKey);
  const iface = host.sysctls.get(ifKey);
  if (all === undefined || iface === undefined) {
    const missing = sysctlDisplayName(all === undefined ? allKey : ifKey);
    return { ok: false, summary: `${rule.label}: ${missing} does not exist`, why: rule.why, fix: 'check the interface name (--uplink) or load the module that creates it' };
  }
  const effective = Math.max(Number(all), Number(iface));
  const summary = `${rule.label} = ${effective} (max of all=${all}, ${rule.ifname}=${iface})`;
  if (rule.accepted.includes(effective)) return { ok: true, summary };
  return { ok: false, summary, why: rule.why, fix: sysctlFix(wanted, rule.keys, host) };
}

export function checkRealServer(wanted: Wanted, host: HostState): CheckResult[] {
  const results: CheckResult[] = [];

  if (wanted.uplinks.source === '--uplink') {
    for (const name of wanted.uplinks.names) {
      if (!findLink(host, name)) results.push({ ok: false, summary: `uplink ${name} does not exist`, fix: 'name an existing interface with --uplink' });
    }
  }

  for (const t of wanted.tunnels) {
    const link = findLink(host, t.device);
    if (!link) {
      const fb = host.sysctls.get(FB_TUNNELS_KEY);
      const hint = fb !== undefined && fb !== '0' ? ` (net.core.fb_tunnels_only_for_init_net=${fb}: namespaces other than the first get no ${t.device})` : '';
      results.push({ ok: false, summary: `${t.device} does not exist${hint}`, why: `${t.device} decapsulates the packets the director tunnels to us`, fix: `modprobe ${t.module}` });
    } else if (!link.up) {
      results.push({ ok: false, summary: `${t.device} is down`, why: 'a down tunnel device drops tunnelled packets', fix: `ip link set ${t.device} up` });
    } else {
      results.push({ ok: true, summary: `${t.device} exists and is up` });
    }
  }

  const quiet = new Set(['lo', ...tunnelDevices()]);
  for (const a of wanted.addresses) {
    const want = `${a.address}/${a.prefix}`;
    const same = host.addresses.filter((h) => h.address === a.address);
    const here = same.find((h) => h.ifname === a.ifname);
    const nodad = a.nodad ? ' nodad' : '';
    if (here && here.prefix === a.prefix) {
      results.push({ ok: true, summary: `${want} on ${a.ifname}` });
    } else if (here) {
      results.push({
        ok: false,
        summary: `${a.address} is on ${a.ifname} as /${here.prefix}, not /${a.prefix}`,
        why: `a /${here.prefix} on ${a.ifname} makes the whole prefix local, not only the VIP`,
        fix: `ip addr del ${a.address}/${here.prefix} dev ${a.ifname} && ip addr add ${want} dev ${a.ifname}${nodad}`,
      });
    } else {
      results.push({ ok: false, summary: `${want} is not on ${a.ifname}`, why: 'packets for the VIP are dropped unless it is a local address', fix: `ip addr add ${want} dev ${a.ifname}${nodad}` });
    }
    for (const other of same.filter((h) => h.ifname !== a.ifname && !quiet.has(h.ifname))) {
      results.push({
        ok: false,
        summary: `${other.address}/${other.prefix} is also on ${other.ifname}`,
        why: `${other.ifname} answers ${a.family === 4 ? 'ARP' : 'neighbour solicitations'} for it and steals the VIP from the director`,
        fix: `ip addr del ${other.address}/${other.prefix} dev ${other.ifname}`,
      });
    }
  }

  for (const rule of wanted.effective) results.push(checkEffective(rule, wanted, host));

  if (wanted.gateway) {
    const gw = wanted.gateway;
    const route = preferredDefaultRoute(host.defaultRoutes, gw.family);
    const family = familyName(gw.family);
    const why = 'replies must return through the director, which translates them back to the VIP';
    const fix = `ip ${gw.family === 6 ? '-6 ' : ''}route replace default via ${gw.address}`;
    if (!route) {
      results.push({ ok: false, summary: `no ${family} default route`, why, fix });
    } else if (route.gateway !== gw.address) {
      const via = route.gateway ? `via ${route.gateway}` : 'with no gateway';
      results.push({ ok: false, summary: `${family} default route goes ${via}${route.ifname ? ` (dev ${route.ifname})` : ''}, not via the director ${gw.address}`, why, fix });
    } else {
      results.push({ ok: true, summary: `${family} default route via ${gw.address}${route.ifname ? ` (dev ${route.ifname})` : ''}` });
    }
  }
  return results;
}
