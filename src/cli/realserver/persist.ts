// `setup --print-persist`: what `setup` does at run time, written as boot-time configuration an
// operator can install (sysctl.d, modules-load.d, and one of systemd-networkd, ifupdown or plain
// ip commands), so the real server comes back set up after a reboot without lvsd.
import { sysctlDisplayName } from '../../kernel/sysctl.js';
import { lvsdLabel } from './mark.js';
import type { RealServerSpec } from './spec.js';
import type { AddressRule, Wanted } from './wanted.js';

/** `ip addr add` arguments for a VIP, with the label that marks IPv4 addresses as lvsd's. */
function ipAddrArgs(a: AddressRule): string {
  const extra = a.family === 4 ? ` label ${lvsdLabel(a.ifname)}` : a.nodad ? ' nodad' : '';
  return `${a.address}/${a.prefix} dev ${a.ifname}${extra}`;
}

function sysctlSnippet(wanted: Wanted): string[] {
  if (wanted.sysctls.length === 0) return [];
  return [
    '# /etc/sysctl.d/90-lvsd-realserver.conf',
    ...wanted.sysctls.flatMap((s) => [`# ${s.why}`, `${sysctlDisplayName(s.key)} = ${s.value}`]),
    '',
  ];
}

function modulesSnippet(wanted: Wanted): string[] {
  if (wanted.tunnels.length === 0) return [];
  return ['# /etc/modules-load.d/lvsd-realserver.conf', ...wanted.tunnels.map((t) => t.module), ''];
}

function addressesByInterface(wanted: Wanted): Array<[string, AddressRule[]]> {
  const byIf = new Map<string, AddressRule[]>();
  for (const a of wanted.addresses) byIf.set(a.ifname, [...(byIf.get(a.ifname) ?? []), a]);
  return [...byIf];
}

function networkdSnippet(wanted: Wanted): string[] {
  return addressesByInterface(wanted).flatMap(([ifname, addresses]) => [
    `# systemd-networkd: /etc/systemd/network/90-lvsd-${ifname}.network`,
    '[Match]',
    `Name=${ifname}`,
    '',
    '[Network]',
    // Keep lo's own 127.0.0.1/::1 and the tunnel device free of any link-local address.
    ...(ifname === 'lo' ? [] : ['LinkLocalAddressing=no']),
    ...addresses.flatMap((a) => [
      '',
      '[Address]',
      `Address=${a.address}/${a.prefix}`,
      ...(a.family === 4 ? [`Label=${lvsdLabel(a.ifname)}`] : []),
      ...(a.nodad ? ['DuplicateAddressDetection=none'] : []),
    ]),
    '',
  ]);
}

function ifupdownSnippet(wanted: Wanted): string[] {
  return addressesByInterface(wanted).flatMap(([ifname, addresses]) => [
    '# ifupdown: /etc/network/interfaces',
    `auto ${ifname}`,
    ifname === 'lo' ? 'iface lo inet loopback' : `iface ${ifname} inet manual`,
    ...(ifname === 'lo' ? [] : [`    up ip link set ${ifname} up`]),
    ...addresses.map((a) => `    up ip addr add ${ipAddrArgs(a)}`),
    ...addresses.map((a) => `    down ip addr del ${a.address}/${a.prefix} dev ${ifname}`),
    '',
  ]);
}

function ipCommands(wanted: Wanted): string[] {
  return [
    '# plain commands (e.g. a boot script), same effect as setup:',
    ...wanted.tunnels.flatMap((t) => [`modprobe ${t.module}`, `ip link set ${t.device} up`]),
    ...wanted.addresses.map((a) => `ip addr add ${ipAddrArgs(a)}`),
    ...wanted.sysctls.map((s) => `sysctl -w ${sysctlDisplayName(s.key)}=${s.value}`),
    '',
  ];
}

export function persistSnippets(spec: RealServerSpec, wanted: Wanted): string {
  if (spec.mode === 'nat' && spec.gateway) {
    const gw = spec.gateway;
    return [
      '# NAT: the default route must point at the director.',
      `# systemd-networkd, in the uplink's .network file:  [Route] Gateway=${gw.address}`,
      `# ifupdown, in the uplink's stanza:                  gateway ${gw.address}`,
      `ip ${gw.family === 6 ? '-6 ' : ''}route replace default via ${gw.address}`,
      '',
    ].join('\n');
  }
  return [...sysctlSnippet(wanted), ...modulesSnippet(wanted), ...networkdSnippet(wanted), ...ifupdownSnippet(wanted), ...ipCommands(wanted)].join('\n');
}
