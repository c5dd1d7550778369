// keepalived's global_defs -> lvsd's node name, IPVS timeouts and sync daemon, and the VRRP
// defaults instances inherit (version, gratuitous ARP timers). Mail, SNMP, D-Bus and the
// many process tunables have no lvsd counterpart and are reported.
import { dispatch, duration, lvsdName, type Block, type MapContext } from './context.js';
import { mapGarp, type VrrpDefaults } from './map-vrrp.js';
import type { Statement } from './types.js';

export interface GlobalSettings {
  nodeName?: string;
  ipvs: Block;
  vrrp: VrrpDefaults;
  /** The lvs_sync_daemon line, checked against the instances once they are mapped. */
  syncInstance?: { name: string; at: Statement };
}

const MAIL = 'lvsd sends no mail, expected a notify hook that does (or alerts on the Prometheus metrics)';
const SCRIPTS = 'lvsd runs hooks and scripts as its own user without a shell, expected the scripts owned by root and not writable by others';

const GLOBAL_UNSUPPORTED: Record<string, string> = {
  notification_email: MAIL,
  notification_email_from: MAIL,
  smtp_server: MAIL,
  smtp_helo_name: MAIL,
  smtp_connect_timeout: MAIL,
  smtp_alert: MAIL,
  smtp_alert_vrrp: MAIL,
  smtp_alert_checker: MAIL,
  enable_script_security: SCRIPTS,
  script_user: SCRIPTS,
  vrrp_strict: 'lvsd has no strict mode; it drops malformed adverts and counts them, and accept (Accept_Mode) is set per instance',
  vrrp_skip_check_adv_addr: 'lvsd does not compare the address list in adverts',
  vrrp_mcast_group4: 'lvsd uses the standard group 224.0.0.18, expected the peers on it',
  vrrp_mcast_group6: 'lvsd uses the standard group ff02::12, expected the peers on it',
  vrrp_garp_interval: 'lvsd sends a burst without spacing between packets',
  vrrp_gna_interval: 'lvsd sends a burst without spacing between packets',
  vrrp_garp_lower_prio_delay: 'lvsd does not resend gratuitous ARPs on lower-priority adverts',
  vrrp_garp_lower_prio_repeat: 'lvsd does not resend gratuitous ARPs on lower-priority adverts',
  vrrp_iptables: 'lvsd adds no firewall rules',
  vrrp_ipsets: 'lvsd adds no firewall rules',
  nftables: 'lvsd adds no firewall rules',
  enable_snmp_vrrp: 'lvsd has no SNMP, expected the Prometheus metrics',
  enable_snmp_checker: 'lvsd has no SNMP, expected the Prometheus metrics',
  enable_snmp_rfc: 'lvsd has no SNMP, expected the Prometheus metrics',
  enable_dbus: 'lvsd has no D-Bus interface, expected the control socket (lvsd status --json)',
  lvs_flush: 'lvsd never flushes IPVS; ipvs.purge_unmanaged removes services it does not manage',
  lvs_flush_onstop: 'lvsd keeps the IPVS rules on stop unless ipvs.remove_on_exit',
  checker_log_all_failures: 'lvsd logs health changes, not each failed attempt',
  dynamic_interfaces: 'lvsd needs the instance interfaces to exist when it starts',
  vrrp_no_swap: 'lvsd does not lock its memory',
  checker_no_swap: 'lvsd does not lock its memory',
  vrrp_priority: 'lvsd runs at the priority systemd gives it, expected Nice= in the unit',
  checker_priority: 'lvsd runs at the priority systemd gives it, expected Nice= in the unit',
  vrrp_rt_priority: 'lvsd runs VRRP in a worker thread, not a real-time process',
  checker_rt_priority: 'lvsd runs at the priority systemd gives it',
};

export function mapGlobalDefs(ctx: MapContext, s: Statement, global: GlobalSettings): void {
  dispatch(s.block, {
    router_id: (x) => {
      const v = ctx.arg(x, 'a name');
      if (!v) return;
      global.nodeName = lvsdName(v.text);
      if (global.nodeName !== v.text) ctx.findings.approximate(v, 'router_id', `written as node name ${global.nodeName}: lvsd names are letters, digits, '.', '_' and '-'`);
    },
    vrrp_version: (x) => {
      const n = ctx.int(x, 2, 3);
      if (n === 2 || n === 3) global.vrrp.version = n;
    },
    lvs_timeouts: (x) => lvsTimeouts(ctx, x, global),
    lvs_sync_daemon: (x) => syncDaemon(ctx, x, global),
  }, (x) => {
    const garp = x.keyword.text.startsWith('vrrp_garp_master_') && mapGarp(ctx, x, global.vrrp.garp, 'vrrp_');
    if (!garp) ctx.unsupported(x, GLOBAL_UNSUPPORTED[x.keyword.text] ?? 'not a global_defs setting lvsd has an equivalent for');
  });
}

/** `lvs_timeouts [tcp N] [tcpfin N] [udp N]`, in seconds. */
function lvsTimeouts(ctx: MapContext, s: Statement, global: GlobalSettings): void {
  const timeouts: Block = {};
  for (let i = 0; i < s.args.length; i += 2) {
    const key = s.args[i]?.text ?? '';
    if (!['tcp', 'tcpfin', 'udp'].includes(key)) {
      ctx.findings.drop(s.args[i] ?? s.keyword, 'lvs_timeouts', `"${key}" is not tcp, tcpfin or udp, ignored`);
      continue;
    }
    const n = ctx.int(s, 1, 2_147_483, s.args[i + 1]);
    if (n !== undefined) timeouts[key] = duration(n * 1000);
  }
  if (Object.keys(timeouts).length > 0) global.ipvs.timeouts = timeouts;
}

/** `lvs_sync_daemon IF INSTANCE [id N] [maxlen N] [port N] [ttl N] [group ADDR]`. */
function syncDaemon(ctx: MapContext, s: Statement, global: GlobalSettings): void {
  const [iface, instance] = s.args;
  if (!iface || !instance) return ctx.unsupported(s, 'expected lvs_sync_daemon INTERFACE VRRP_INSTANCE');
  const sync: Block = { enabled: true, interface: iface.text };
  for (let i = 2; i < s.args.length; i += 2) {
    const key = s.args[i] as (typeof s.args)[number];
    if (key.text === 'id') {
      const n = ctx.int(s, 0, 255, s.args[i + 1]);
      if (n !== undefined) sync.sync_id = n;
    } else {
      ctx.findings.drop(key, `lvs_sync_daemon ${key.text}`, 'lvsd leaves this to the kernel default');
    }
  }
  global.ipvs.sync_daemon = sync;
  global.syncInstance = { name: instance.text, at: s };
}
