// Rules for the `bgp:` section: AS numbers a router would refuse or misread, addresses that
// cannot carry the session, timers BIRD or the RFCs reject, and VIPs that are not ours to announce.
import { familyName, familyOf, specialAddressKind } from '../../net/address.js';
import { announcedVipsOf } from '../derived.js';
import { formatDuration } from '../duration.js';
import { formatPath, type ConfigPath } from '../issues.js';
import { BFD_INTERVAL_MIN_MS } from '../schema-bgp.js';
import type { BgpConfig } from '../types.js';
import { requireUnique, type Rule, type RuleContext } from './context.js';

/** AS numbers no BGP speaker may use as its own or a peer's, and why (IANA registry). */
const RESERVED_AS: ReadonlyArray<{ from: number; to: number; why: string }> = [
  { from: 23456, to: 23456, why: 'AS_TRANS, which stands in for 4-octet AS numbers on old sessions (RFC 6793)' },
  { from: 64496, to: 64511, why: 'reserved for documentation (RFC 5398)' },
  { from: 65535, to: 65535, why: 'reserved (RFC 7300)' },
  { from: 65536, to: 65551, why: 'reserved for documentation (RFC 5398)' },
  { from: 65552, to: 131071, why: 'reserved by IANA' },
  { from: 4294967295, to: 4294967295, why: 'reserved (RFC 7300)' },
];

/** Why `as` may not be used, or undefined when it may. */
export function reservedAsReason(as: number): string | undefined {
  return RESERVED_AS.find((r) => as >= r.from && as <= r.to)?.why;
}

/** Tables the kernel itself uses (linux/rtnetlink.h: RT_TABLE_DEFAULT, MAIN, LOCAL). */
const KERNEL_TABLES: Readonly<Record<number, string>> = { 253: 'default', 254: 'main', 255: 'local' };

/** Rules that only run when the section is there. */
const withBgp = (rule: (ctx: RuleContext, bgp: BgpConfig) => void): Rule => (ctx) => {
  if (ctx.config.bgp) rule(ctx, ctx.config.bgp);
};

const peerPath = (i: number, key?: string): ConfigPath => ['bgp', 'peers', i, ...(key ? [key] : [])];

const asNumbersNotReserved = withBgp((ctx, bgp) => {
  const check = (as: number, path: ConfigPath) => {
    const why = reservedAsReason(as);
    if (why) ctx.error(path, `AS ${as} is ${why}, expected a public AS number or a private one (64512-65534, 4200000000-4294967294)`);
  };
  check(bgp.local_as, ['bgp', 'local_as']);
  bgp.peers.forEach((p, i) => check(p.as, peerPath(i, 'as')));
});

/** The BGP identifier is 4 octets (RFC 4271 4.2), written as an IPv4 address, and not 0 (RFC 6286). */
const routerIdIsIpv4 = withBgp((ctx, bgp) => {
  if (familyOf(bgp.router_id) !== 4) ctx.error(['bgp', 'router_id'], `${bgp.router_id} is ipv6, expected an IPv4 address (the BGP identifier is 32 bits, RFC 4271), e.g. this director's IPv4 address`);
  else if (bgp.router_id === '0.0.0.0') ctx.error(['bgp', 'router_id'], '0.0.0.0 is not a valid BGP identifier (RFC 6286), expected this director\'s IPv4 address');
});

const tableIsOurOwn = withBgp((ctx, bgp) => {
  const kernel = KERNEL_TABLES[bgp.table];
  if (kernel) ctx.error(['bgp', 'table'], `table ${bgp.table} is the kernel's ${kernel} table, where lvsd's routes would change how this host forwards; expected a table of its own such as 100`);
});

/** BIRD takes these timers in whole seconds. */
const wholeSecondsFrom = (ms: number, leastMs: number): boolean => ms % 1000 === 0 && ms >= leastMs;

/** RFC 4271 4.2: the hold time is whole seconds, 0 or at least 3; 0 (no keepalives) is refused: a hung BIRD would then never be noticed without BFD. */
const holdTimeInSeconds = withBgp((ctx, bgp) => {
  const ms = bgp.hold_time;
  if (!wholeSecondsFrom(ms, 3000)) ctx.error(['bgp', 'hold_time'], `${formatDuration(ms)} is not a BGP hold time, expected whole seconds from 3s to 65535s (RFC 4271)`);
});

/** BIRD refuses an error wait min above its max. */
const errorWaitInSeconds = withBgp((ctx, bgp) => {
  const { min, max } = bgp.error_wait;
  for (const [key, ms] of [['min', min], ['max', max]] as const) {
    if (!wholeSecondsFrom(ms, 1000)) ctx.error(['bgp', 'error_wait', key], `${formatDuration(ms)} is not a whole number of seconds from 1s, expected e.g. 5s`);
  }
  if (min > max) ctx.error(['bgp', 'error_wait', 'max'], `${formatDuration(max)} is shorter than min ${formatDuration(min)}, expected a max of at least the min`);
});

const bfdIntervalBounds = withBgp((ctx, bgp) => {
  if (bgp.bfd.interval < BFD_INTERVAL_MIN_MS) {
    ctx.error(['bgp', 'bfd', 'interval'], `${formatDuration(bgp.bfd.interval)} is too short, expected at least ${BFD_INTERVAL_MIN_MS}ms (the director would spend its time on BFD packets and a scheduling hiccup would drop the session)`);
  }
});

const peersUnique = withBgp((ctx, bgp) => {
  requireUnique(ctx, bgp.peers, (p) => p.name, (i) => peerPath(i, 'name'), (n, first) => `peer name "${n}" is already used by ${formatPath(first.slice(0, 3))}, expected unique names`);
  requireUnique(ctx, bgp.peers, (p) => p.address, (i) => peerPath(i, 'address'), (a, first) => `peer ${a} is already configured by ${formatPath(first.slice(0, 3))}, expected one session per router`);
});

/** A session runs over one family: our source must be of the peer's, and the peer a routable unicast address. */
const peerAddressesUsable = withBgp((ctx, bgp) => {
  bgp.peers.forEach((p, i) => {
    const kind = specialAddressKind(p.address);
    if (kind) ctx.error(peerPath(i, 'address'), `${p.address} is not a unicast address (${kind}), expected the router's unicast address on a shared network (link-local sessions are not supported)`);
    if (p.source_address !== undefined && familyOf(p.source_address) !== familyOf(p.address)) {
      ctx.error(peerPath(i, 'source_address'), `${p.source_address} is ${familyName(familyOf(p.source_address))} but peer ${p.address} is ${familyName(familyOf(p.address))}, expected a source address of the peer's family`);
    }
  });
});

const vipsAreServiceVips = withBgp((ctx, bgp) => {
  if (!bgp.vips) return;
  const known = new Set(ctx.config.services.flatMap((s) => (s.vip === undefined ? [] : [s.vip])));
  bgp.vips.forEach((vip, i) => {
    if (!known.has(vip)) {
      const list = [...known].slice(0, 5).join(', ');
      ctx.error(['bgp', 'vips', i], `${vip} is not the VIP of any service, expected one of the services' VIPs${list ? ` (${list}${known.size > 5 ? ', ...' : ''})` : ' (no service has a VIP)'}`);
    }
  });
  requireUnique(ctx, bgp.vips, (v) => v, (i) => ['bgp', 'vips', i], (v, first) => `${v} is already listed at ${formatPath(first)}, expected each VIP once`);
});

/** A route of one family travels on a session of that family (no extended next hops in what lvsd generates). */
const everyFamilyHasAPeer = withBgp((ctx, bgp) => {
  const peerFamilies = new Set(bgp.peers.map((p) => familyOf(p.address)));
  const vips = announcedVipsOf(ctx.config.services, bgp);
  for (const family of [4, 6] as const) {
    const vip = vips.find((v) => familyOf(v) === family);
    if (vip === undefined || peerFamilies.has(family)) continue;
    const path: ConfigPath = bgp.vips ? ['bgp', 'vips', bgp.vips.indexOf(vip)] : ['bgp', 'peers'];
    ctx.error(path, `${vip} is ${familyName(family)} but no peer is, so it would be announced to nobody; expected an ${familyName(family)} peer (or leave ${familyName(family)} VIPs out of bgp.vips)`);
  }
  if (vips.length === 0) ctx.warn(['bgp'], 'no service has a VIP, so BGP announces nothing');
});

/**
 * Several directors share the flows of a VIP; ECMP moves some of them when a director comes or
 * goes. Only a consistent-hash scheduler sends a moved flow to the real server it had (Maglev:
 * `mh`; `sh` too, with more disruption), and both build their tables from the real servers in
 * the order IPVS holds them: a failed server that is removed and added back goes last on one
 * director and not on the others, so their tables differ until restart. Drained (weight 0) it
 * keeps its place.
 */
const consistentSchedulingAcrossDirectors = withBgp((ctx, bgp) => {
  const announced = new Set(announcedVipsOf(ctx.config.services, bgp));
  ctx.config.services.forEach((svc, i) => {
    if (svc.vip === undefined || !announced.has(svc.vip)) return;
    if (svc.scheduler !== 'mh' && svc.scheduler !== 'sh') {
      ctx.warn(['services', i, 'scheduler'], `${svc.scheduler} picks real servers per director, so a flow ECMP moves to another director lands on another real server and breaks; expected scheduler: mh with scheduler_flags: [mh-port] for a VIP announced over BGP`);
    } else if (svc.on_failure === 'remove' && svc.real_servers.length > 1) {
      ctx.warn(['services', i, 'on_failure'], `${svc.scheduler} builds its table in the order of the real servers, and a removed server comes back last on this director only; expected on_failure: drain so every director keeps the same order`);
    }
  });
});

export const bgpRules: readonly Rule[] = [
  asNumbersNotReserved, routerIdIsIpv4, tableIsOurOwn, holdTimeInSeconds, errorWaitInSeconds, bfdIntervalBounds, peersUnique, peerAddressesUsable, vipsAreServiceVips, everyFamilyHasAPeer, consistentSchedulingAcrossDirectors,
];
