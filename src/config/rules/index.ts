// Every cross-field rule, in the order their messages are most useful.
import type { ConfigPath } from '../issues.js';
import type { Config } from '../types.js';
import { runRules, type RuleFindings } from './context.js';
import { bgpRules } from './bgp.js';
import { daemonRules } from './daemon.js';
import { ipvsRules } from './ipvs.js';
import { mastershipRules } from './mastership.js';
import { peerRules } from './peer.js';
import { resolveRules } from './resolve.js';
import { serviceRules } from './services.js';
import { vrrpRules } from './vrrp.js';

export function checkConfigRules(config: Config, has: (path: ConfigPath) => boolean): RuleFindings {
  return runRules([...daemonRules, ...ipvsRules, ...resolveRules, ...vrrpRules, ...serviceRules, ...mastershipRules, ...bgpRules, ...peerRules], config, has);
}
