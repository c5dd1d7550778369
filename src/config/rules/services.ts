// Rules relating service, real server, sorry server and check fields to each other.
import { familyFromName, familyName, familyOf, hostPort, type IpFamily } from '../../net/address.js';
import { formatDuration } from '../duration.js';
import { formatPath, type ConfigPath } from '../issues.js';
import { describeServiceMatch } from '../derived.js';
import type { AgentConfig, CheckConfig, RealServerConfig, ServiceConfig } from '../types.js';
import { realServerProblem, virtualAddressProblem } from './addresses.js';
import { checks } from './checks.js';
import { requireUnique, type Rule, type RuleContext } from './context.js';

const servicePath = (i: number) => ['services', i] as const;

const uniqueServices: Rule = (ctx) => {
  const { services } = ctx.config;
  requireUnique(ctx, services, (s) => s.name, (i) => [...servicePath(i), 'name'],
    (name, first) => `service name "${name}" is already used by ${formatPath(first.slice(0, 2))}, expected unique names`);
  requireUnique(ctx, services, describeServiceMatch, (i) => [...servicePath(i)],
    (match, first) => `${match} is already defined by ${formatPath(first)}, expected each virtual service once`);
};

/** Port 0 ("all ports") only makes sense with persistence; ipvsadm refuses it otherwise. */
const portZeroNeedsPersistence: Rule = (ctx) => {
  ctx.config.services.forEach((svc, i) => {
    if (svc.port === 0 && svc.persistence === 0) {
      ctx.error([...servicePath(i), 'port'], 'port 0 (all ports) needs persistence, expected a port 1-65535 or persistence set');
    }
  });
};

const persistenceNetmaskNeedsPersistence: Rule = (ctx) => {
  ctx.config.services.forEach((svc, i) => {
    if (svc.persistence_netmask !== undefined && svc.persistence === 0) {
      ctx.error([...servicePath(i), 'persistence_netmask'], 'persistence_netmask has no effect without persistence, expected persistence set (e.g. 300s) or no netmask');
    }
  });
};

const schedulerFlagsMatchScheduler: Rule = (ctx) => {
  ctx.config.services.forEach((svc, i) => {
    if (svc.scheduler_flags.length === 0) return;
    svc.scheduler_flags.forEach((flag, f) => {
      const needs = flag.split('-')[0];
      if (needs !== svc.scheduler) {
        ctx.error([...servicePath(i), 'scheduler_flags', f], `${flag} only applies to the ${needs} scheduler, this service uses ${svc.scheduler}`);
      }
    });
    requireUnique(ctx, svc.scheduler_flags, (flag) => flag, (f) => [...servicePath(i), 'scheduler_flags', f],
      (flag) => `${flag} is listed twice, expected each flag once`);
  });
};

/** IPVS applies one-packet scheduling to UDP only; on other protocols the flag would do nothing. */
const onePacketOnlyUdp: Rule = (ctx) => {
  ctx.config.services.forEach((svc, i) => {
    if (svc.one_packet && svc.protocol !== undefined && svc.protocol !== 'udp') {
      ctx.error([...servicePath(i), 'one_packet'], `one_packet only works for udp, this service is ${svc.protocol}`);
    }
  });
};

const quorum: Rule = (ctx) => {
  ctx.config.services.forEach((svc, i) => {
    if (svc.quorum === 0) {
      if (svc.quorum_hysteresis > 0) ctx.warn([...servicePath(i), 'quorum_hysteresis'], 'quorum_hysteresis has no effect without quorum');
      return;
    }
    if (svc.quorum_hysteresis >= svc.quorum) {
      ctx.error([...servicePath(i), 'quorum_hysteresis'], `${svc.quorum_hysteresis} is not below quorum ${svc.quorum}, expected a hysteresis smaller than the quorum`);
    }
    const total = svc.real_servers.reduce((sum, rs) => sum + rs.weight, 0);
    if (total < svc.quorum) {
      ctx.warn([...servicePath(i), 'quorum'], `quorum ${svc.quorum} is more than the total weight ${total} of the real servers, the service can never be up`);
    }
  });
};

const realServers: Rule = (ctx) => {
  ctx.config.services.forEach((svc, i) => {
    const rsPath = (r: number): ConfigPath => [...servicePath(i), 'real_servers', r];
    requireUnique(ctx, svc.real_servers, hostPort, rsPath,
      (key, first) => `${key} is already used by ${formatPath(first)}, expected each real server once per service`);
    const family = familyFromName(svc.family);
    // Paths are built only for a finding: at 10,000 services x 4 real servers, building one per
    // real server and key was most of the time these rules took.
    svc.real_servers.forEach((rs, r) => {
      const at = (key: string): ConfigPath => [...rsPath(r), key];
      // A name's addresses are judged when they resolve (src/resolve keeps those of the wrong family out).
      if (rs.host === undefined) {
        const rsFamily = familyOf(rs.address);
        // The kernel only lets a destination of the other family through a tunnel.
        if (rsFamily !== family && rs.forwarding !== 'tun') {
          ctx.error(at('address'), `${rs.address} is ${familyName(rsFamily)} but the service is ${svc.family}, expected the same family (only forwarding tun can cross families)`);
        }
        if (rs.address === svc.vip) ctx.error(at('address'), 'a real server cannot be the VIP itself, expected the address of a backend');
        const problem = realServerProblem(rs.address);
        if (problem !== undefined) ctx.error(at('address'), problem);
      }
      // Whether the port was written is asked only when it would be wrong (a port the transform
      // filled in from the service always matches it).
      if (rs.forwarding !== 'nat' && (svc.fwmark !== undefined || rs.port !== svc.port) && ctx.has(at('port'))) {
        if (svc.fwmark !== undefined) {
          ctx.error(at('port'), `with forwarding ${rs.forwarding} packets keep their destination port, expected no port on a fwmark service`);
        } else {
          ctx.error(at('port'), `${rs.port} differs from the service port ${svc.port}, but forwarding ${rs.forwarding} cannot change the port; expected ${svc.port} (or omit it), or forwarding nat`);
        }
      }
      if (rs.lower_threshold !== undefined && rs.upper_threshold !== undefined && rs.upper_threshold > 0 && rs.lower_threshold > rs.upper_threshold) {
        ctx.error(at('lower_threshold'), `${rs.lower_threshold} is above upper_threshold ${rs.upper_threshold}, expected lower_threshold <= upper_threshold`);
      }
      if (rs.tunnel !== undefined) checkTunnel(ctx, rs.tunnel, rs.forwarding, at('tunnel'));
    });
  });
};

function checkTunnel(ctx: RuleContext, tunnel: NonNullable<ServiceConfig['real_servers'][number]['tunnel']>, forwarding: string, path: ConfigPath): void {
  if (forwarding !== 'tun') {
    ctx.error(path, `tunnel only applies to forwarding tun, this real server uses ${forwarding}`);
    return;
  }
  if (tunnel.type === 'gue' && tunnel.port === undefined) ctx.error(path, 'key "port" is missing, expected the GUE destination port');
  if (tunnel.type !== 'gue' && tunnel.port !== undefined) ctx.error([...path, 'port'], `port only applies to gue tunnels, this one is ${tunnel.type}`);
  if (tunnel.checksum !== undefined) {
    if (tunnel.type === 'ipip') ctx.error([...path, 'checksum'], 'ipip tunnels have no checksum option, expected gue or gre for checksum');
    else if (tunnel.checksum === 'remcsum' && tunnel.type !== 'gue') ctx.error([...path, 'checksum'], 'remcsum only exists for gue, expected none or csum for gre');
  }
}

const sorryServer: Rule = (ctx) => {
  ctx.config.services.forEach((svc, i) => {
    const sorry = svc.sorry_server;
    if (!sorry) return;
    const path = [...servicePath(i), 'sorry_server'];
    const problem = realServerProblem(sorry.address);
    if (problem !== undefined) ctx.error([...path, 'address'], problem);
    const family = familyOf(sorry.address);
    if (family !== familyFromName(svc.family) && sorry.forwarding !== 'tun') {
      ctx.error([...path, 'address'], `${sorry.address} is ${familyName(family)} but the service is ${svc.family}, expected the same family`);
    }
    if (sorry.forwarding !== 'nat' && svc.port !== undefined && sorry.port !== svc.port) {
      ctx.error([...path, 'port'], `${sorry.port} differs from the service port ${svc.port}, but forwarding ${sorry.forwarding} cannot change the port; expected ${svc.port} (or omit it)`);
    }
  });
};

/**
 * A VIP is either floated by a VRRP instance or configured on the host some other way; the
 * second is legitimate (a single node, or addresses managed elsewhere), so it only warns. A
 * floated VIP is judged where it is floated (rules/vrrp.ts); one that is not is judged here.
 */
const vipFloated: Rule = (ctx) => {
  const floated = new Set(ctx.config.vrrp.instances.flatMap((inst) => inst.vips.map((v) => v.address)));
  ctx.config.services.forEach((svc, i) => {
    if (svc.vip === undefined || floated.has(svc.vip)) return;
    const path = [...servicePath(i), 'vip'];
    const problem = virtualAddressProblem({ address: svc.vip, allowLinkLocal: false }, 'float it from a VRRP instance with allow_link_local: true');
    if (problem !== undefined) ctx.error(path, problem);
    else ctx.warn(path, `${svc.vip} is not floated by any VRRP instance, it must already be configured on this host`);
  });
};

/**
 * An agent says how a server it answers for wants to be treated; whether the server answers at
 * all is the health check's job (an unreachable agent changes nothing), so an agent needs a check.
 */
const agents: Rule = (ctx) => {
  ctx.config.services.forEach((svc, i) => {
    const timing = (agent: AgentConfig, path: ConfigPath): void => {
      if (agent.timeout >= agent.interval) {
        ctx.error([...path, 'timeout'], `timeout ${formatDuration(agent.timeout)} is not shorter than interval ${formatDuration(agent.interval)}, expected timeout < interval`);
      }
    };
    if (svc.agent) timing(svc.agent, [...servicePath(i), 'agent']);
    let serviceAgentReported = false;
    svc.real_servers.forEach((rs, r) => {
      if (rs.agent) timing(rs.agent, [...servicePath(i), 'real_servers', r, 'agent']);
      if (!(rs.agent ?? svc.agent) || (rs.check ?? svc.check)) return;
      const why = 'has an agent check but no health check; an unreachable agent changes nothing, so expected a check (on the service or the real server) beside the agent';
      if (rs.agent) ctx.error([...servicePath(i), 'real_servers', r, 'agent'], `${rs.address} ${why}`);
      else if (!serviceAgentReported) ctx.error([...servicePath(i), 'agent'], `real server ${rs.address} ${why}`);
      serviceAgentReported ||= !rs.agent;
    });
  });
};

export const serviceRules: readonly Rule[] = [
  uniqueServices,
  portZeroNeedsPersistence,
  persistenceNetmaskNeedsPersistence,
  schedulerFlagsMatchScheduler,
  onePacketOnlyUdp,
  quorum,
  realServers,
  sorryServer,
  checks,
  agents,
  vipFloated,
];
