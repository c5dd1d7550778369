// keepalived's LVS section -> lvsd services: virtual_server (address/port, fwmark, or a
// virtual_server_group expanded into one service per entry) with its real servers, sorry
// server and checks. keepalived's defaults that differ from lvsd's (NAT forwarding, rise 1,
// one success to come up) are written out explicitly.
import { ipToBytes, formatIp, parseCidr, parseIp } from '../net/address.js';
import { SCHEDULERS } from '../config/schema.js';
import { dispatch, duration, lvsdName, type Block, type MapContext } from './context.js';
import { CHECKERS, mapChecker, readTiming, type CheckTiming } from './map-checks.js';
import { notifyArgv, orderKeys } from './map-vrrp.js';
import type { Statement, Token } from './types.js';

/** A virtual_server_group entry: an address (and port) or a firewall mark. */
export type GroupEntry = { vip: string; port?: number } | { fwmark: number; family?: 'ipv4' | 'ipv6' };

/** Addresses one range entry may expand to; larger ranges are refused rather than made into thousands of services. */
export const MAX_RANGE = 256;

const SERVICE_UNSUPPORTED: Record<string, string> = {
  ha_suspend: 'lvsd checks real servers whether or not the VIP is here',
  omega: 'lvsd has no quorum hooks to run at shutdown',
  smtp_alert: 'lvsd sends no mail',
  snmp_name: 'lvsd has no SNMP, expected the Prometheus metrics (labelled by service name)',
  persistence_engine: 'lvsd has no persistence engines (SIP)',
  sorry_server_inhibit: 'lvsd adds the sorry server only while it is needed',
  'flag-3': 'lvsd knows the sh and mh flags only',
  notify_up: 'lvsd has no per-server hooks, expected the Prometheus metrics (real-server health)',
  notify_down: 'lvsd has no per-server hooks, expected the Prometheus metrics (real-server health)',
};

/** `NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]` -> forwarding and tunnel. */
function lvsMethod(ctx: MapContext, s: Statement): { forwarding: string; tunnel?: Block } | undefined {
  const method = s.args[0]?.text.toUpperCase();
  const forwarding = method === 'NAT' ? 'nat' : method === 'DR' ? 'dr' : method === 'TUN' ? 'tun' : undefined;
  if (!forwarding) {
    ctx.unsupported(s, `"${s.args[0]?.text ?? ''}" is not a forwarding method, expected NAT, DR or TUN`);
    return undefined;
  }
  if (forwarding !== 'tun' || s.args.length === 1) return { forwarding };
  const tunnel: Block = { type: 'ipip' };
  for (let i = 1; i < s.args.length; i++) {
    const w = s.args[i]?.text;
    if (w === 'type') tunnel.type = s.args[++i]?.text;
    else if (w === 'port') tunnel.port = ctx.int(s, 1, 65535, s.args[++i]);
    else if (w === 'nocsum') tunnel.checksum = 'none';
    else if (w === 'csum' || w === 'remcsum') tunnel.checksum = w;
    else ctx.findings.drop(s.args[i] as Token, s.keyword.text, `"${w}" is not a tunnel option, ignored`);
  }
  if (!['ipip', 'gue', 'gre'].includes(String(tunnel.type))) {
    ctx.unsupported(s, 'expected tunnel type ipip, gue or gre');
    return { forwarding };
  }
  return { forwarding, tunnel: tunnel.type === 'ipip' && tunnel.checksum === undefined ? undefined : tunnel };
}

interface ServiceBody {
  service: Block;
  flags: Token[];
  realServers: Block[];
  /** Each real server's check: one, a list that must all pass, or none. */
  checks: Array<Block | Block[] | undefined>;
  tunnel?: Block;
  inhibit: boolean[];
}

function mapRealServer(ctx: MapContext, s: Statement, vsTiming: CheckTiming, body: ServiceBody, vsInhibit: boolean): void {
  const ip = parseIp(s.args[0]?.text ?? '');
  if (!ip) return ctx.unsupported(s, `"${s.args[0]?.text ?? ''}" is not an address, the real server is skipped`);
  const rs: Block = { address: ip.address };
  if (s.args[1] !== undefined) {
    const port = ctx.int(s, 1, 65535, s.args[1]);
    if (port !== undefined) rs.port = port;
  }
  const timing: CheckTiming = { ...vsTiming };
  let check: Block | Block[] | undefined;
  let inhibit = vsInhibit;
  const checkers: Statement[] = [];
  dispatch(s.block, {
    weight: (x) => { const w = ctx.int(x, 0, 65535); if (w !== undefined) rs.weight = w; },
    lvs_method: (x) => { const m = lvsMethod(ctx, x); if (m) { rs.forwarding = m.forwarding; if (m.tunnel) rs.tunnel = m.tunnel; } },
    uthreshold: (x) => { const n = ctx.int(x, 0, 4294967295); if (n !== undefined) rs.upper_threshold = n; },
    lthreshold: (x) => { const n = ctx.int(x, 0, 4294967295); if (n !== undefined) rs.lower_threshold = n; },
    inhibit_on_failure: (x) => { inhibit = ctx.bool(x) ?? inhibit; },
    alpha: () => undefined,
  }, (x) => {
    if (readTiming(ctx, x, timing)) return;
    if (CHECKERS.has(x.keyword.text)) return void checkers.push(x);
    ctx.unsupported(x, SERVICE_UNSUPPORTED[x.keyword.text] ?? 'not a real_server setting lvsd knows');
  });
  // Several checkers: a list that must all pass, as keepalived takes a server out when any fails.
  const checks = checkers.map((c) => mapChecker(ctx, c, timing)).filter((c): c is Block => c !== undefined);
  if (checks.length > 0) check = checks.length === 1 ? checks[0] : checks;
  if (rs.tunnel === undefined && body.tunnel !== undefined && rs.forwarding === undefined) rs.tunnel = body.tunnel;
  body.realServers.push(ctx.from(rs, s));
  body.checks.push(check);
  body.inhibit.push(inhibit);
}

/** The settings of a virtual_server block, shared by every entry of a group. */
function mapBody(ctx: MapContext, s: Statement): ServiceBody {
  const service: Block = {};
  const body: ServiceBody = { service, flags: [], realServers: [], checks: [], inhibit: [] };
  const timing: CheckTiming = {};
  let inhibit = false;
  let sorry: Block | undefined;
  let sorryMethod: string | undefined;
  const realServers: Statement[] = [];
  dispatch(s.block, {
    lvs_sched: (x) => scheduler(x),
    lb_algo: (x) => scheduler(x),
    lvs_method: (x) => method(x),
    lb_kind: (x) => method(x),
    protocol: (x) => {
      const p = x.args[0]?.text.toLowerCase() ?? '';
      if (['tcp', 'udp', 'sctp'].includes(p)) service.protocol = p;
      else ctx.unsupported(x, 'expected TCP, UDP or SCTP');
    },
    persistence_timeout: (x) => {
      const ms = x.args.length === 0 ? 360_000 : ctx.seconds(x, 2_147_483_000);
      if (ms !== undefined) service.persistence = duration(ms);
    },
    persistence_granularity: (x) => {
      const v = ctx.arg(x, 'a netmask')?.text;
      if (v !== undefined) service.persistence_netmask = /^\d+$/.test(v) ? Number(v) : v;
    },
    ops: () => { service.one_packet = true; },
    'sh-port': (x) => body.flags.push(x.keyword),
    'sh-fallback': (x) => body.flags.push(x.keyword),
    'mh-port': (x) => body.flags.push(x.keyword),
    'mh-fallback': (x) => body.flags.push(x.keyword),
    'flag-1': (x) => body.flags.push(x.keyword),
    'flag-2': (x) => body.flags.push(x.keyword),
    quorum: (x) => { const n = ctx.int(x, 0, 4294967295); if (n !== undefined) service.quorum = n; },
    hysteresis: (x) => { const n = ctx.int(x, 0, 4294967295); if (n !== undefined) service.quorum_hysteresis = n; },
    quorum_up: (x) => { const argv = notifyArgv(ctx, x); if (argv) service.quorum_up = argv; },
    quorum_down: (x) => { const argv = notifyArgv(ctx, x); if (argv) service.quorum_down = argv; },
    sorry_server: (x) => {
      const ip = parseIp(x.args[0]?.text ?? '');
      if (!ip) return ctx.unsupported(x, 'expected an address');
      sorry = { address: ip.address };
      if (x.args[1] !== undefined) sorry.port = ctx.int(x, 1, 65535, x.args[1]);
      ctx.from(sorry, x);
    },
    sorry_server_lvs_method: (x) => { sorryMethod = lvsMethod(ctx, x)?.forwarding; },
    inhibit_on_failure: (x) => { inhibit = ctx.bool(x) ?? inhibit; },
    ip_family: (x) => {
      const f = x.args[0]?.text;
      if (f === 'inet' || f === 'inet6') service.family = f === 'inet' ? 'ipv4' : 'ipv6';
      else ctx.unsupported(x, 'expected inet or inet6');
    },
    alpha: () => undefined,
    real_server: (x) => void realServers.push(x),
  }, (x) => {
    if (readTiming(ctx, x, timing)) return;
    ctx.unsupported(x, SERVICE_UNSUPPORTED[x.keyword.text] ?? 'not a virtual_server setting lvsd knows');
  });
  function scheduler(x: Statement): void {
    const v = x.args[0]?.text ?? '';
    if ((SCHEDULERS as readonly string[]).includes(v)) service.scheduler = v;
    else ctx.unsupported(x, `"${v}" is not an IPVS scheduler lvsd knows, expected one of ${SCHEDULERS.join(', ')}`);
  }
  function method(x: Statement): void {
    const m = lvsMethod(ctx, x);
    if (!m) return;
    service.forwarding = m.forwarding;
    body.tunnel = m.tunnel;
  }
  // keepalived forwards with NAT unless told otherwise; lvsd's default is DR.
  service.forwarding ??= 'nat';
  for (const rs of realServers) mapRealServer(ctx, rs, timing, body, inhibit);
  if (sorry) {
    if (sorryMethod !== undefined) sorry.forwarding = sorryMethod;
    service.sorry_server = sorry;
  }
  const flagNames = body.flags.map((f) => flagName(ctx, f, String(service.scheduler ?? 'wlc'))).filter((f): f is string => f !== undefined);
  if (flagNames.length > 0) service.scheduler_flags = [...new Set(flagNames)];
  // All real servers inhibited: the service drains; only some: those drain (on_failure per real server).
  if (body.inhibit.length > 0 && body.inhibit.every((i) => i)) service.on_failure = 'drain';
  else body.inhibit.forEach((inhibit, i) => { if (inhibit && body.realServers[i]) body.realServers[i].on_failure = 'drain'; });
  return body;
}

function flagName(ctx: MapContext, flag: Token, scheduler: string): string | undefined {
  if (!flag.text.startsWith('flag-')) return flag.text;
  if (scheduler !== 'sh' && scheduler !== 'mh') {
    ctx.findings.drop(flag, flag.text, `scheduler flags only mean something to sh and mh, this service uses ${scheduler}`);
    return undefined;
  }
  return `${scheduler}-${flag.text === 'flag-1' ? 'fallback' : 'port'}`;
}

/** The real servers and, when they all check alike, one service check. */
function finishService(ctx: MapContext, body: ServiceBody): Block {
  const service: Block = { ...body.service };
  const [first] = body.checks;
  const same = first !== undefined && body.checks.every((c) => JSON.stringify(c) === JSON.stringify(first));
  if (same) service.check = first;
  service.real_servers = body.realServers.map((rs, i) => {
    const check = body.checks[i];
    if (same || check === undefined) return rs;
    const withCheck = { ...rs, check };
    const origin = ctx.origins.get(rs);
    if (origin !== undefined) ctx.origins.set(withCheck, origin);
    return withCheck;
  });
  return service;
}

const SERVICE_KEY_ORDER = ['name', 'vip', 'port', 'protocol', 'fwmark', 'family', 'scheduler', 'scheduler_flags', 'one_packet', 'persistence', 'persistence_netmask', 'forwarding', 'quorum', 'quorum_hysteresis', 'sorry_server', 'on_failure', 'quorum_up', 'quorum_down', 'check', 'real_servers'];

export function mapVirtualServer(ctx: MapContext, s: Statement, groups: ReadonlyMap<string, GroupEntry[]>, names: Set<string>): Block[] {
  const [first, second] = s.args;
  let entries: GroupEntry[];
  let prefix = '';
  if (first?.text === 'group') {
    const group = groups.get(second?.text ?? '');
    if (!group) {
      ctx.unsupported(s, `no usable virtual_server_group named "${second?.text ?? ''}", the virtual server is skipped`);
      return [];
    }
    entries = group;
    prefix = `${second?.text ?? ''}-`;
  } else if (first?.text === 'fwmark') {
    const mark = ctx.int(s, 1, 4294967295, second);
    if (mark === undefined) return [];
    entries = [{ fwmark: mark }];
  } else {
    const ip = parseIp(first?.text ?? '');
    if (!ip) {
      ctx.unsupported(s, `"${first?.text ?? ''}" is not an address, expected virtual_server ADDRESS [PORT], fwmark N or group NAME; skipped`);
      return [];
    }
    const port = second === undefined ? undefined : ctx.int(s, 0, 65535, second);
    if (second !== undefined && port === undefined) return [];
    entries = [{ vip: ip.address, port }];
  }
  const body = mapBody(ctx, s);
  const protocol = String(body.service.protocol ?? 'tcp');
  return entries.map((entry) => {
    const service = finishService(ctx, body);
    let name: string;
    if ('vip' in entry) {
      service.vip = entry.vip;
      service.port = entry.port ?? 0;
      service.protocol = protocol;
      name = `${prefix}${entry.vip}-${entry.port ?? 0}-${protocol}`;
    } else {
      delete service.protocol;
      service.fwmark = entry.fwmark;
      service.family ??= entry.family ?? fwmarkFamily(body);
      name = `${prefix}fwmark-${entry.fwmark}`;
    }
    service.name = unique(lvsdName(name), names);
    return ctx.from(orderKeys(service, SERVICE_KEY_ORDER), s);
  });
}

/** A fwmark service takes the family of its real servers (keepalived: ipv4 when unknown). */
function fwmarkFamily(body: ServiceBody): string {
  const v6 = body.realServers.some((rs) => parseIp(String(rs.address))?.family === 6);
  return v6 ? 'ipv6' : 'ipv4';
}

function unique(name: string, names: Set<string>): string {
  let out = name;
  for (let n = 2; names.has(out); n++) out = `${name.slice(0, 60)}-${n}`;
  names.add(out);
  return out;
}

/** `virtual_server_group NAME { ADDR|RANGE [PORT] ... fwmark N [inet|inet6] }`. */
export function mapServerGroup(ctx: MapContext, s: Statement, groups: Map<string, GroupEntry[]>): void {
  const name = s.args[0]?.text;
  if (name === undefined) return ctx.unsupported(s, 'a virtual_server_group needs a name, it is skipped');
  const entries: GroupEntry[] = [];
  for (const line of s.block ?? []) {
    if (line.keyword.text === 'fwmark') {
      const mark = ctx.int(line, 1, 4294967295);
      const fam = line.args[1]?.text;
      if (mark !== undefined) entries.push({ fwmark: mark, ...(fam === 'inet6' ? { family: 'ipv6' as const } : fam === 'inet' ? { family: 'ipv4' as const } : {}) });
      continue;
    }
    const addresses = expandRange(line.keyword.text);
    if (addresses === undefined) {
      ctx.findings.drop(line.keyword, 'virtual_server_group', `"${line.keyword.text}" is not an address, a range of at most ${MAX_RANGE} addresses or a fwmark line, it is skipped`);
      continue;
    }
    let port: number | undefined;
    if (line.args[0] !== undefined) {
      port = ctx.int(line, 0, 65535, line.args[0]);
      if (port === undefined) continue;
    }
    for (const vip of addresses) entries.push({ vip, port });
  }
  groups.set(name, entries);
}

/** A.B.C.D, A.B.C.D-E, A.B.C.D-A.B.C.E, ADDR/nn (and the IPv6 forms), at most MAX_RANGE addresses. */
export function expandRange(text: string): string[] | undefined {
  const single = parseIp(text);
  if (single) return [single.address];
  let from: Uint8Array | undefined;
  let to: Uint8Array | undefined;
  if (text.includes('/')) {
    const c = parseCidr(text);
    if (!c) return undefined;
    from = ipToBytes(c.address);
    if (!from) return undefined;
    const bits = from.length * 8 - c.prefix;
    if (bits > 8) return undefined;
    from = withLow(from, 0, bits);
    to = withLow(from, 1, bits);
  } else {
    const dash = text.lastIndexOf('-');
    if (dash < 0) return undefined;
    from = ipToBytes(text.slice(0, dash));
    const end = text.slice(dash + 1);
    if (!from) return undefined;
    const v4 = from.length === 4;
    to = ipToBytes(end);
    if (!to) {
      // The last part only: a decimal octet (IPv4) or a hex group (IPv6).
      if (!(v4 ? /^\d{1,3}$/ : /^[0-9a-fA-F]{1,4}$/).test(end)) return undefined;
      to = Uint8Array.from(from);
      const n = parseInt(end, v4 ? 10 : 16);
      if (v4) to[3] = n;
      else { to[14] = n >> 8; to[15] = n & 0xff; }
      if (v4 && n > 255) return undefined;
    }
  }
  if (!to || to.length !== from.length) return undefined;
  const out: string[] = [];
  const cur = Uint8Array.from(from);
  for (let i = 0; i <= MAX_RANGE; i++) {
    out.push(formatIp(cur));
    if (Buffer.compare(cur, to) >= 0) return Buffer.compare(cur, to) === 0 ? out : undefined;
    increment(cur);
  }
  return undefined;
}

function withLow(bytes: Uint8Array, bit: 0 | 1, count: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < count; i++) {
    const idx = out.length - 1 - Math.floor(i / 8);
    const mask = 1 << (i % 8);
    out[idx] = bit ? (out[idx] ?? 0) | mask : (out[idx] ?? 0) & ~mask;
  }
  return out;
}

function increment(bytes: Uint8Array): void {
  for (let i = bytes.length - 1; i >= 0; i--) {
    bytes[i] = ((bytes[i] ?? 0) + 1) & 0xff;
    if (bytes[i] !== 0) return;
  }
}
