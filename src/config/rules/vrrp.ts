// Rules relating VRRP fields to each other.
import { familyName, familyOf, isIpv6LinkLocal } from '../../net/address.js';
import { formatDuration } from '../duration.js';
import { formatPath, type ConfigPath } from '../issues.js';
import { instanceFamily, vmacName } from '../derived.js';
import { virtualAddressProblem } from './addresses.js';
import { requireUnique, type Rule } from './context.js';

const instancePath = (i: number) => ['vrrp', 'instances', i] as const;

const uniqueInstanceNames: Rule = (ctx) => {
  requireUnique(ctx, ctx.config.vrrp.instances, (inst) => inst.name, (i) => [...instancePath(i), 'name'],
    (name, first) => `instance name "${name}" is already used by ${formatPath(first.slice(0, 3))}, expected unique names`);
};

const vipFamiliesAgree: Rule = (ctx) => {
  ctx.config.vrrp.instances.forEach((inst, i) => {
    const family = instanceFamily(inst);
    inst.vips.forEach((vip, v) => {
      if (familyOf(vip.address) !== family) {
        ctx.error([...instancePath(i), 'vips', v], `${vip.address} is ${familyName(familyOf(vip.address))} but the first VIP is ${familyName(family)}, expected all VIPs of an instance in one family (use a second instance for the other family)`);
      }
    });
  });
};

const ipv6NeedsVersion3: Rule = (ctx) => {
  ctx.config.vrrp.instances.forEach((inst, i) => {
    if (inst.version === 2 && instanceFamily(inst) === 6) {
      ctx.error([...instancePath(i), 'version'], 'VRRPv2 carries IPv4 addresses only, expected version: 3 for IPv6 VIPs');
    }
  });
};

/**
 * VRRP routers are identified by (interface, VRID), but IPv4 and IPv6 are separate spaces:
 * RFC 5798 sec. 5.2.3 gives each family its own virtual MAC range (00-00-5E-00-01-{VRID} vs
 * 00-00-5E-00-02-{VRID}) and its own multicast group, so VRID 51 may be used once for IPv4
 * (v2 or v3) and once for IPv6 on the same interface.
 */
const uniqueVridPerInterfaceAndFamily: Rule = (ctx) => {
  requireUnique(ctx, ctx.config.vrrp.instances,
    (inst) => `${inst.interface}/${familyName(instanceFamily(inst))}/${inst.vrid}`,
    (i) => [...instancePath(i), 'vrid'],
    (key, first) => {
      const [iface, family, vrid] = key.split('/');
      return `vrid ${vrid} is already used for ${family} on ${iface} by ${formatPath(first.slice(0, 3))}, expected a vrid unique per interface and address family`;
    });
};

/** RFC 3768 counts the interval in whole seconds (8 bits); RFC 5798 in centiseconds (12 bits). */
const advertIntervalFitsVersion: Rule = (ctx) => {
  ctx.config.vrrp.instances.forEach((inst, i) => {
    const ms = inst.advert_interval;
    const path = [...instancePath(i), 'advert_interval'];
    if (inst.version === 2 && (ms % 1000 !== 0 || ms < 1000 || ms > 255_000)) {
      ctx.error(path, `${formatDuration(ms)} cannot be sent in VRRPv2, expected whole seconds 1s-255s (or version: 3 for sub-second intervals)`);
    } else if (inst.version === 3 && (ms % 10 !== 0 || ms < 10 || ms > 40_950)) {
      ctx.error(path, `${formatDuration(ms)} cannot be sent in VRRPv3, expected a multiple of 10ms from 10ms to 40.95s`);
    }
  });
};

const unicastMatchesFamily: Rule = (ctx) => {
  ctx.config.vrrp.instances.forEach((inst, i) => {
    const family = instanceFamily(inst);
    inst.unicast_peers.forEach((peer, p) => {
      if (familyOf(peer) !== family) {
        ctx.error([...instancePath(i), 'unicast_peers', p], `peer ${peer} is ${familyName(familyOf(peer))}, expected ${familyName(family)} like the VIPs of this instance`);
      }
    });
    requireUnique(ctx, inst.unicast_peers, (peer) => peer, (p) => [...instancePath(i), 'unicast_peers', p],
      (peer) => `peer ${peer} is listed twice, expected each peer once`);
    const source = inst.unicast_source;
    if (source === undefined) return;
    const sourcePath = [...instancePath(i), 'unicast_source'];
    if (familyOf(source) !== family) {
      ctx.error(sourcePath, `${source} is ${familyName(familyOf(source))}, expected ${familyName(family)} like the VIPs of this instance`);
    } else if (inst.unicast_peers.length === 0) {
      ctx.warn(sourcePath, 'unicast_source has no effect without unicast_peers, adverts go to the multicast group');
    } else if (inst.unicast_peers.includes(source)) {
      ctx.error(sourcePath, `${source} is also listed in unicast_peers, expected the peers to be the other nodes`);
    }
    if (family === 6 && !isIpv6LinkLocal(source)) {
      ctx.warn(sourcePath, `${source} is not link-local; RFC 5798 sends IPv6 adverts from a link-local address, peers may drop these`);
    }
  });
};

/** RFC 5798 has no authentication field; AH (RFC 2338) was removed by RFC 3768 and no peer speaks it. */
const authenticationOnlyPassOnV2: Rule = (ctx) => {
  ctx.config.vrrp.instances.forEach((inst, i) => {
    const auth = inst.authentication;
    if (auth === undefined) return;
    const path = [...instancePath(i), 'authentication'];
    if (auth.type === 'ah') ctx.error([...path, 'type'], 'IPsec AH authentication is not supported (RFC 3768 removed it), expected type: pass or no authentication');
    else if (inst.version !== 2) ctx.error(path, 'VRRPv3 has no authentication (RFC 5798), expected version: 2 or no authentication');
  });
};

/** The checksum variants differ only for VRRPv3 over IPv4 (RFC 9568 sec. 5.1.2.7 vs RFC 5798). */
const checksumOnlyForV3Ipv4: Rule = (ctx) => {
  ctx.config.vrrp.instances.forEach((inst, i) => {
    const path = [...instancePath(i), 'checksum'];
    if (!ctx.has(path) || inst.checksum === 'auto') return;
    if (inst.version !== 3 || instanceFamily(inst) !== 4) {
      ctx.error(path, `checksum: ${inst.checksum} only applies to VRRPv3 over IPv4, expected it removed (or auto)`);
    }
  });
};

const vipsFloatOnce: Rule = (ctx) => {
  const owner = new Map<string, string>();
  ctx.config.vrrp.instances.forEach((inst, i) => {
    inst.vips.forEach((vip, v) => {
      const path = [...instancePath(i), 'vips', v];
      const first = owner.get(vip.address);
      if (first !== undefined) ctx.error(path, `${vip.address} is already floated by ${first}, expected each VIP in one instance`);
      else owner.set(vip.address, formatPath(path));
    });
  });
};

/** 0.0.0.0, multicast, loopback, a subnet's broadcast...: the kernel adds them, nothing answers. */
const vipsAreUnicast: Rule = (ctx) => {
  ctx.config.vrrp.instances.forEach((inst, i) => {
    inst.vips.forEach((vip, v) => {
      const problem = virtualAddressProblem(
        { address: vip.address, prefix: vip.prefix, allowLinkLocal: vip.allow_link_local ?? inst.allow_link_local },
        'allow_link_local: true on the VIP or the instance',
      );
      if (problem !== undefined) ctx.error([...instancePath(i), 'vips', v], problem);
    });
  });
};

/** Adverts unicast to a VIP reach whichever node holds it, possibly ourselves. */
const peersAreNotVips: Rule = (ctx) => {
  const { instances } = ctx.config.vrrp;
  const vipAt = new Map<string, ConfigPath>();
  instances.forEach((inst, i) => {
    inst.vips.forEach((vip, v) => {
      if (!vipAt.has(vip.address)) vipAt.set(vip.address, [...instancePath(i), 'vips', v]);
    });
  });
  instances.forEach((inst, i) => {
    inst.unicast_peers.forEach((peer, p) => {
      const vip = vipAt.get(peer);
      if (vip !== undefined) {
        ctx.error([...instancePath(i), 'unicast_peers', p], `peer ${peer} is the VIP ${formatPath(vip)}, expected the own address of another node (adverts to a VIP reach whoever holds it)`);
      }
    });
  });
};

/** Linux only accepts a label that starts with the device name, and labels are IPv4-only. */
const vipLabels: Rule = (ctx) => {
  ctx.config.vrrp.instances.forEach((inst, i) => {
    inst.vips.forEach((vip, v) => {
      if (vip.label === undefined) return;
      const path = [...instancePath(i), 'vips', v, 'label'];
      const dev = vip.dev ?? vmacName(inst) ?? inst.interface;
      if (familyOf(vip.address) === 6) ctx.error(path, 'IPv6 addresses have no labels, expected no label');
      else if (!vip.label.startsWith(dev)) ctx.error(path, `label "${vip.label}" does not start with the device name ${dev}, expected e.g. ${dev}:vip`);
    });
  });
};

/**
 * use_vmac creates a link of its own: its name must be free. Two instances cannot share one (the
 * default vrrp.VRID repeats when a VRID is used on two interfaces), and it cannot be an interface
 * the config already names for something else.
 */
const vmacNamesAreFree: Rule = (ctx) => {
  const { instances } = ctx.config.vrrp;
  const vmacPath = (i: number) => {
    const vmac = instances[i]?.use_vmac;
    return [...instancePath(i), 'use_vmac', ...(typeof vmac === 'object' && vmac.name !== undefined ? ['name'] : [])];
  };
  requireUnique(ctx, instances, (inst) => vmacName(inst), vmacPath,
    (name, first) => `the macvlan ${name} is already created by ${formatPath(first.slice(0, 3))}, expected a name per instance (use_vmac: { name: ... })`);
  const named = new Set(instances.flatMap((inst) => [inst.interface, ...inst.track.interfaces.map((t) => t.name), ...inst.vips.flatMap((v) => (v.dev !== undefined ? [v.dev] : []))]));
  instances.forEach((inst, i) => {
    const name = vmacName(inst);
    if (name !== undefined && named.has(name)) {
      ctx.error(vmacPath(i), `${name} is an interface this file already uses (an instance interface, a tracked interface or a VIP dev), expected a free name for the macvlan (use_vmac: { name: ... })`);
    }
  });
};

const preemptDelayNeedsPreempt: Rule = (ctx) => {
  ctx.config.vrrp.instances.forEach((inst, i) => {
    if (!inst.preempt && inst.preempt_delay > 0) {
      ctx.warn([...instancePath(i), 'preempt_delay'], 'preempt_delay has no effect with preempt: false');
    }
  });
};

const trackScripts: Rule = (ctx) => {
  ctx.config.vrrp.instances.forEach((inst, i) => {
    const scriptsPath = [...instancePath(i), 'track', 'scripts'];
    requireUnique(ctx, inst.track.scripts, (s) => s.name, (s) => [...scriptsPath, s, 'name'],
      (name, first) => `script name "${name}" is already used by ${formatPath(first.slice(0, -1))}, expected unique names`);
    inst.track.scripts.forEach((script, s) => {
      if (script.timeout >= script.interval) {
        ctx.error([...scriptsPath, s, 'timeout'], `timeout ${formatDuration(script.timeout)} is not shorter than interval ${formatDuration(script.interval)}, expected timeout < interval`);
      }
    });
  });
};

/** RFC 5798 sec. 6.1: the address owner's priority is 255, full stop; tracking cannot lower it. */
const ownerIgnoresTracking: Rule = (ctx) => {
  ctx.config.vrrp.instances.forEach((inst, i) => {
    const { interfaces, scripts, files } = inst.track;
    if (inst.priority === 255 && interfaces.length + scripts.length + files.length > 0) {
      ctx.warn([...instancePath(i), 'track'], 'priority 255 (address owner) is never lowered, tracking only decides FAULT; expected a priority below 255 for weights to matter');
    }
  });
};

const syncGroups: Rule = (ctx) => {
  const { instances, sync_groups: groups } = ctx.config.vrrp;
  const known = new Set(instances.map((inst) => inst.name));
  requireUnique(ctx, groups, (g) => g.name, (g) => ['vrrp', 'sync_groups', g, 'name'],
    (name, first) => `sync group name "${name}" is already used by ${formatPath(first.slice(0, -1))}, expected unique names`);
  const memberOf = new Map<string, string>();
  groups.forEach((group, g) => {
    const path = ['vrrp', 'sync_groups', g];
    group.instances.forEach((member, m) => {
      const memberPath = [...path, 'instances', m];
      if (!known.has(member)) {
        ctx.error(memberPath, `no instance is named "${member}", expected one of ${[...known].join(', ') || '(no instances defined)'}`);
        return;
      }
      const other = memberOf.get(member);
      if (other === group.name) ctx.error(memberPath, `instance "${member}" is listed twice, expected each member once`);
      else if (other !== undefined) ctx.error(memberPath, `instance "${member}" is already in sync group "${other}", expected an instance in at most one group`);
      else memberOf.set(member, group.name);
    });
    if (group.instances.length === 1) ctx.warn([...path, 'instances'], 'a sync group with one instance has no effect');
  });
};

export const vrrpRules: readonly Rule[] = [
  uniqueInstanceNames,
  vipFamiliesAgree,
  ipv6NeedsVersion3,
  uniqueVridPerInterfaceAndFamily,
  advertIntervalFitsVersion,
  unicastMatchesFamily,
  checksumOnlyForV3Ipv4,
  authenticationOnlyPassOnV2,
  vipsFloatOnce,
  vipsAreUnicast,
  peersAreNotVips,
  vipLabels,
  vmacNamesAreFree,
  preemptDelayNeedsPreempt,
  trackScripts,
  ownerIgnoresTracking,
  syncGroups,
];

