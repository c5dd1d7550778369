// Rules for the daemon-wide IPVS settings.
import { familyFromName, familyName, familyOf } from '../../net/address.js';
import { formatDuration } from '../duration.js';
import type { Rule } from './context.js';

/** The kernel keeps these timeouts in seconds, and ipvsadm --set treats 0 as "leave alone". */
const timeoutsInWholeSeconds: Rule = (ctx) => {
  const { timeouts } = ctx.config.ipvs;
  for (const key of ['tcp', 'tcpfin', 'udp'] as const) {
    const ms = timeouts[key];
    if (ms === 0) ctx.error(['ipvs', 'timeouts', key], '0s would leave the kernel value unchanged, expected at least 1s (or no key)');
    else if (ms !== undefined && ms % 1000 !== 0) ctx.error(['ipvs', 'timeouts', key], `${formatDuration(ms)} is not a whole number of seconds, expected whole seconds (the kernel counts in seconds)`);
  }
};

/** A full read of 10,000 services costs the daemon seconds: more often than each second it would do little else. */
const resyncAtLeastOneSecond: Rule = (ctx) => {
  const ms = ctx.config.ipvs.resync_interval;
  if (ms < 1000) ctx.error(['ipvs', 'resync_interval'], `${formatDuration(ms)} would read the whole IPVS table back without pause, expected at least 1s`);
};

const syncDaemonNeedsInterface: Rule = (ctx) => {
  const sync = ctx.config.ipvs.sync_daemon;
  if (sync.enabled && sync.interface === undefined) {
    ctx.error(['ipvs', 'sync_daemon'], 'key "interface" is missing, expected the interface the sync daemon uses when enabled');
  }
};

/**
 * follow_vrrp is what gives the sync daemon its role: master while this node is VRRP master,
 * backup otherwise. lvsd has no fixed role to run it in, so `false` with `enabled` started
 * nothing at all, silently: refused instead.
 */
const syncDaemonFollowsVrrp: Rule = (ctx) => {
  const sync = ctx.config.ipvs.sync_daemon;
  if (sync.enabled && !sync.follow_vrrp) {
    ctx.error(['ipvs', 'sync_daemon', 'follow_vrrp'], 'follow_vrrp: false would leave the enabled sync daemon without a role (it runs as master while this node is VRRP master and as backup otherwise; there is no fixed role), expected follow_vrrp: true or enabled: false');
  }
};

/**
 * The kernel's sync protocol carries one address family per connection: it refuses to start the
 * sync daemon while a real server of the other family (tun across families) exists, and refuses
 * such a real server while the daemon runs (ip_vs_genl_set_cmd, ip_vs_genl_new_daemon: EINVAL).
 */
const syncDaemonOneFamily: Rule = (ctx) => {
  if (!ctx.config.ipvs.sync_daemon.enabled) return;
  ctx.config.services.forEach((svc, i) => {
    const family = familyFromName(svc.family);
    svc.real_servers.forEach((rs, r) => {
      // A name's addresses of the other family are left out when it resolves (src/resolve).
      if (rs.host !== undefined || familyOf(rs.address) === family) return;
      ctx.error(
        ['services', i, 'real_servers', r, 'address'],
        `${rs.address} is ${familyName(familyOf(rs.address))} behind an ${svc.family} service, which the kernel refuses while ipvs.sync_daemon is enabled (its sync messages carry one family), expected an ${svc.family} real server or the sync daemon disabled`,
      );
    });
  });
};

export const ipvsRules: readonly Rule[] = [timeoutsInWholeSeconds, resyncAtLeastOneSecond, syncDaemonNeedsInterface, syncDaemonFollowsVrrp, syncDaemonOneFamily];
