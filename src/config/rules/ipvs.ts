// Rules for the daemon-wide IPVS settings.
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

const syncDaemonNeedsInterface: Rule = (ctx) => {
  const sync = ctx.config.ipvs.sync_daemon;
  if (sync.enabled && sync.interface === undefined) {
    ctx.error(['ipvs', 'sync_daemon'], 'key "interface" is missing, expected the interface the sync daemon uses when enabled');
  }
};

export const ipvsRules: readonly Rule[] = [timeoutsInWholeSeconds, syncDaemonNeedsInterface];
