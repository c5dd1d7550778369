// keepalived's VRRP section -> lvsd's vrrp: vrrp_script and track_file definitions (used by
// name from instances), vrrp_instance and vrrp_sync_group. The semantics match where lvsd
// copied keepalived's (tracking weights, garp timers, preempt_delay); where they differ the
// finding says how.
import { parseCidr, parseIp, type IpFamily } from '../net/address.js';
import { dispatch, duration, lvsdName, type Block, type MapContext } from './context.js';
import type { Statement, Token } from './types.js';
import { commandArgv } from './words.js';

const HOUR = 3_600_000;

/** Settings global_defs gives every instance. */
export interface VrrpDefaults {
  version: 2 | 3;
  garp: Block;
}

interface ScriptDef {
  command: string[];
  interval: number;
  timeout?: number;
  weight: number;
  rise?: number;
  fall?: number;
}

/** Named definitions instances refer to, and the instances made so far (keepalived name -> lvsd name). */
export interface VrrpTables {
  scripts: Map<string, ScriptDef>;
  trackFiles: Map<string, { path: string; weight: number }>;
  instances: Map<string, string>;
}

export const newVrrpTables = (): VrrpTables => ({ scripts: new Map(), trackFiles: new Map(), instances: new Map() });

const WEIGHT_MAX = 254;

/** `weight W [reverse]` inside a block or after a name; `reverse` has no lvsd equivalent. */
function weightOf(ctx: MapContext, s: Statement, tokens: readonly Token[]): number | undefined {
  const at = tokens.findIndex((t) => t.text === 'weight');
  for (const t of tokens) {
    if (t.text === 'reverse') ctx.findings.drop(t, `${s.keyword.text} reverse`, 'lvsd cannot reverse a weight, expected the opposite sign (the priority then moves the other way, but while down rather than while up)');
    else if (['no_reverse', 'noreverse'].includes(t.text)) continue;
  }
  if (at < 0) return undefined;
  return ctx.int(s, -WEIGHT_MAX, WEIGHT_MAX, tokens[at + 1]);
}

export function mapVrrpScript(ctx: MapContext, s: Statement, tables: VrrpTables): void {
  const name = s.args[0]?.text;
  if (name === undefined) return ctx.unsupported(s, 'a vrrp_script needs a name, it is skipped');
  const def: ScriptDef = { command: [], interval: 1000, weight: 0 };
  dispatch(s.block, {
    script: (x) => { def.command = commandArgv(x.args.map((a) => a.raw)); },
    interval: (x) => { def.interval = ctx.seconds(x, HOUR) ?? def.interval; },
    timeout: (x) => { def.timeout = ctx.seconds(x, HOUR); },
    weight: (x) => { def.weight = weightOf(ctx, x, [x.keyword, ...x.args]) ?? 0; },
    rise: (x) => { def.rise = ctx.int(x, 1, 100); },
    fall: (x) => { def.fall = ctx.int(x, 1, 100); },
    user: (x) => ctx.unsupported(x, 'lvsd runs track scripts as its own user, expected the script to drop privileges itself (or run lvsd as that user)'),
    init_fail: (x) => ctx.unsupported(x, 'lvsd starts every script as succeeding until its first run, expected rise/fall to cover the start'),
  }, (x) => ctx.unsupported(x, 'not a vrrp_script setting lvsd knows'));
  if (def.command.length === 0) return ctx.unsupported(s, 'the vrrp_script has no script line, it is skipped');
  tables.scripts.set(name, def);
}

export function mapTrackFile(ctx: MapContext, s: Statement, tables: VrrpTables): void {
  const name = s.args[0]?.text;
  if (name === undefined) return ctx.unsupported(s, 'a track_file needs a name, it is skipped');
  let path: string | undefined;
  let weight = 1;
  dispatch(s.block, {
    file: (x) => { path = ctx.arg(x, 'a file path')?.text; },
    weight: (x) => { weight = weightOf(ctx, x, [x.keyword, ...x.args]) ?? weight; },
    init_file: (x) => ctx.unsupported(x, 'lvsd does not create the file, expected it created by provisioning (a missing file reads as 0)'),
  }, (x) => ctx.unsupported(x, 'not a track_file setting lvsd knows'));
  if (path === undefined) return ctx.unsupported(s, 'the track_file has no file line, it is skipped');
  tables.trackFiles.set(name, { path, weight });
}

/** VIP lines: `ADDR[/MASK] [dev IF] [label L] [...]`. */
function mapVip(ctx: MapContext, line: Statement, keyword: string): { vip: unknown; family: IpFamily } | undefined {
  const words = [line.keyword, ...line.args];
  const cidr = parseCidr(line.keyword.text, { defaultHostPrefix: true });
  if (!cidr) {
    ctx.findings.drop(line.keyword, keyword, `"${line.keyword.text}" is not an address, expected ADDRESS[/PREFIX]`);
    return undefined;
  }
  const vip: Block = { address: cidr.address, prefix: cidr.prefix };
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as Token;
    const value = words[i + 1];
    if ((w.text === 'dev' || w.text === 'label') && value) {
      vip[w.text] = value.text;
      i++;
    } else if (['brd', 'broadcast', 'scope', 'peer', 'preferred_lft'].includes(w.text)) {
      ctx.findings.drop(w, `${keyword} ${w.text}`, 'lvsd adds VIPs with the kernel defaults for this option, expected it removed (or set by other means after the address is added)');
      i++;
    } else {
      ctx.findings.drop(w, `${keyword} ${w.text}`, 'lvsd has no such address option, the address is added without it');
    }
  }
  const plain = vip.dev === undefined && vip.label === undefined;
  return { vip: plain ? `${cidr.address}/${cidr.prefix}` : vip, family: cidr.family };
}

/** The argv of a script keyword (notify_*, quorum_up/down): `SCRIPT [user [group]]`, the user dropped with a finding. */
export function notifyArgv(ctx: MapContext, x: Statement): string[] | undefined {
  const first = x.args[0];
  if (!first) {
    ctx.unsupported(x, 'no script given, expected a command');
    return undefined;
  }
  if (x.args.length > 1) ctx.findings.drop(x.args[1] as Token, `${x.keyword.text} user`, 'lvsd runs hooks as its own user, expected the script to change user itself');
  const argv = commandArgv([first.raw]);
  return argv.length > 0 ? argv : undefined;
}

/** notify_* of an instance or a sync group; returns the lvsd hook name it filled, if any. */
function mapNotify(ctx: MapContext, x: Statement, notify: Block): boolean {
  const hook = { notify_master: 'master', notify_backup: 'backup', notify_fault: 'fault', notify_stop: 'stop', notify: 'any' }[x.keyword.text];
  if (hook === undefined) return false;
  const argv = notifyArgv(ctx, x);
  if (argv) notify[hook] = argv;
  if (hook === 'any') {
    ctx.findings.approximate(x.keyword, x.keyword.text, 'keepalived passes TYPE NAME STATE PRIORITY as arguments, lvsd appends only NAME STATE and passes all four in the environment (LVSD_VRRP_KIND, _NAME, _STATE, _PRIORITY), expected the script to read TYPE and PRIORITY from there');
  }
  return true;
}

/** garp_master_* and global vrrp_garp_master_* settings into lvsd's garp block. */
export function mapGarp(ctx: MapContext, x: Statement, garp: Block, prefix: string): boolean {
  const key = x.keyword.text.slice(prefix.length);
  switch (key) {
    case 'garp_master_delay': { const ms = ctx.seconds(x, HOUR); if (ms !== undefined) garp.delay = duration(ms); return true; }
    case 'garp_master_repeat': { const n = ctx.int(x, 1, 100); if (n !== undefined) garp.repeat = n; return true; }
    case 'garp_master_refresh': { const ms = ctx.seconds(x, 24 * HOUR); if (ms !== undefined) garp.refresh = duration(ms); return true; }
    case 'garp_master_refresh_repeat': { const n = ctx.int(x, 1, 100); if (n !== undefined) garp.repeat_refresh = n; return true; }
    default: return false;
  }
}

const INSTANCE_UNSUPPORTED: Record<string, string> = {
  use_vmac_addr: 'lvsd always gives the macvlan the virtual MAC of RFC 5798 (00:00:5e:00:01:VRID), expected use_vmac alone',
  use_ipvlan: 'lvsd has no ipvlan support, the VIPs stay on the interface',
  mcast_src_ip: 'lvsd sends multicast adverts from the interface\'s own address, expected that address to be the one peers see',
  mcast_dst_ip: 'lvsd uses the standard group (224.0.0.18, ff02::12), expected the peers on the standard group',
  virtual_routes: 'lvsd floats addresses only, expected routes added by a notify master hook (and removed by backup)',
  virtual_rules: 'lvsd floats addresses only, expected rules added by a notify master hook (and removed by backup)',
  track_process: 'lvsd cannot track processes, expected a track script such as [pidof, NAME]',
  track_bfd: 'lvsd has no BFD, expected a track script',
  track_src_ip: 'lvsd does not watch the source address, expected a track script',
  dont_track_primary: 'lvsd always tracks the instance interface',
  smtp_alert: 'lvsd sends no mail, expected a notify hook that does',
  notify_master_rx_lower_pri: 'lvsd has no such hook',
  notify_priority_changes: 'lvsd has no notify FIFO, expected the Prometheus metrics (vrrp priority)',
  strict_mode: 'lvsd has no strict mode; it already drops malformed adverts and counts them',
  skip_check_adv_addr: 'lvsd does not compare the address list in adverts',
  unicast_fault_no_peer: 'lvsd refuses a unicast source without peers when loading instead',
  unicast_ttl: 'lvsd sends adverts with TTL 255 as RFC 5798 requires',
  down_timer_adverts: 'lvsd uses the RFC master down interval (3 adverts plus skew)',
  lower_prio_no_advert: 'lvsd follows RFC 5798 here',
  higher_prio_send_advert: 'lvsd has no such option',
  garp_lower_prio_delay: 'lvsd does not resend gratuitous ARPs on lower-priority adverts',
  garp_lower_prio_repeat: 'lvsd does not resend gratuitous ARPs on lower-priority adverts',
  garp_extra_if: 'lvsd announces on the VIP interfaces only',
  promote_secondaries: 'lvsd does not change interface settings, expected sysctl net.ipv4.conf.IF.promote_secondaries=1 set by provisioning',
  kernel_rx_buf_size: 'lvsd sizes its socket itself',
  linkbeat_use_polling: 'lvsd watches links with netlink',
  vrf: 'lvsd does not bind to a VRF',
  debug: 'lvsd has one log level for the daemon (logging.level)',
};

export function mapVrrpInstance(ctx: MapContext, s: Statement, defaults: VrrpDefaults, tables: VrrpTables): Block | undefined {
  const sourceName = s.args[0]?.text;
  if (sourceName === undefined) {
    ctx.unsupported(s, 'a vrrp_instance needs a name, it is skipped');
    return undefined;
  }
  const name = lvsdName(sourceName);
  if (name !== sourceName) ctx.findings.approximate(s.args[0] as Token, 'vrrp_instance', `renamed to ${name}: lvsd names are letters, digits, '.', '_' and '-'`);
  const inst: Block = { name };
  const vips: unknown[] = [];
  const excluded: Array<{ vip: unknown; family: IpFamily; at: Token }> = [];
  let family: IpFamily | undefined;
  const unicastPeers: string[] = [];
  const track: { interfaces: Block[]; scripts: Block[]; files: Block[] } = { interfaces: [], scripts: [], files: [] };
  const notify: Block = {};
  const garp: Block = { ...defaults.garp };
  let version: 2 | 3 | undefined;
  let advertMs: number | undefined;
  let state: Token | undefined;
  let nopreempt: Statement | undefined;
  let authentication: Block | undefined;
  let minTtl: number | undefined;
  let authAt: Statement | undefined;
  const address = (x: Statement, t: Token | undefined): string | undefined => {
    if (t === undefined) return undefined;
    const ip = parseIp(t.text);
    if (!ip) ctx.findings.drop(t, x.keyword.text, `"${t.text}" is not an IP address, expected one`);
    return ip?.address;
  };

  dispatch(s.block, {
    state: (x) => {
      state = x.args[0];
      if (!['MASTER', 'BACKUP'].includes(state?.text ?? '')) ctx.unsupported(x, 'expected MASTER or BACKUP');
    },
    interface: (x) => { const v = ctx.arg(x, 'an interface name'); if (v) inst.interface = v.text; },
    virtual_router_id: (x) => { const n = ctx.int(x, 1, 255); if (n !== undefined) inst.vrid = n; },
    priority: (x) => { const n = ctx.int(x, 1, 255); if (n !== undefined) inst.priority = n; },
    advert_int: (x) => { advertMs = ctx.seconds(x, 255_000) ?? advertMs; },
    version: (x) => { const n = ctx.int(x, 2, 3); if (n === 2 || n === 3) version = n; },
    native_ipv6: () => undefined,
    // lvsd always drops unicast adverts from addresses that are not configured peers.
    check_unicast_src: () => undefined,
    // checksum: auto (the default) accepts keepalived's old unicast checksum and answers in kind.
    old_unicast_checksum: () => undefined,
    // use_vmac [NAME]: the same macvlan and virtual MAC; keepalived's default name is lvsd's.
    use_vmac: (x) => {
      const name = x.args[0]?.text;
      inst.use_vmac = name === undefined ? true : { name };
    },
    vmac_xmit_base: (x) => ctx.findings.approximate(x.keyword, x.keyword.text, 'lvsd sends adverts from the macvlan, with the virtual MAC as source as RFC 5798 asks (switches learn where the master is from them); keepalived sent them from the base interface, peers hear them either way'),
    nopreempt: (x) => { nopreempt = x; },
    preempt: () => undefined,
    preempt_delay: (x) => { const ms = ctx.seconds(x, HOUR); if (ms !== undefined) inst.preempt_delay = duration(ms); },
    accept: () => { inst.accept = true; },
    no_accept: () => { inst.accept = false; },
    unicast_src_ip: (x) => { const a = address(x, ctx.arg(x, 'an address')); if (a) inst.unicast_source = a; },
    unicast_peer: (x) => {
      for (const line of x.block ?? []) {
        const a = address(x, line.keyword);
        if (a) unicastPeers.push(a);
        for (let i = 0; i < line.args.length; i += 2) {
          const option = line.args[i] as Token;
          if (option.text === 'min_ttl') {
            // lvsd has one minimum for all peers: the lowest one keeps every configured peer heard.
            const ttl = ctx.int(line, 1, 255, line.args[i + 1]);
            if (ttl !== undefined) minTtl = Math.min(minTtl ?? 255, ttl);
          } else {
            ctx.findings.drop(option, `unicast_peer ${option.text}`, 'lvsd checks a minimum TTL only (unicast_min_ttl), expected a firewall rule for the rest');
          }
        }
      }
    },
    virtual_ipaddress: (x) => {
      for (const line of x.block ?? []) {
        const v = mapVip(ctx, line, 'virtual_ipaddress');
        if (!v) continue;
        family ??= v.family;
        vips.push(v.vip);
      }
    },
    virtual_ipaddress_excluded: (x) => {
      for (const line of x.block ?? []) {
        const v = mapVip(ctx, line, 'virtual_ipaddress_excluded');
        if (v) excluded.push({ ...v, at: line.keyword });
      }
    },
    track_interface: (x) => {
      for (const line of x.block ?? []) {
        const entry: Block = { name: line.keyword.text };
        const w = weightOf(ctx, x, line.args);
        if (w !== undefined) entry.weight = w;
        track.interfaces.push(entry);
      }
    },
    track_script: (x) => {
      for (const line of x.block ?? []) {
        const def = tables.scripts.get(line.keyword.text);
        if (!def) {
          ctx.findings.drop(line.keyword, 'track_script', `no usable vrrp_script named "${line.keyword.text}", it is not tracked`);
          continue;
        }
        track.scripts.push(trackScript(ctx, line.keyword, def, weightOf(ctx, x, line.args)));
      }
    },
    track_file: (x) => {
      for (const line of x.block ?? []) {
        const def = tables.trackFiles.get(line.keyword.text);
        if (!def) {
          ctx.findings.drop(line.keyword, 'track_file', `no usable track_file named "${line.keyword.text}", it is not tracked`);
          continue;
        }
        track.files.push({ path: def.path, weight: weightOf(ctx, x, line.args) ?? def.weight });
      }
    },
    authentication: (x) => { authentication = mapAuthentication(ctx, x); authAt = x; },
  }, (x) => {
    if (mapNotify(ctx, x, notify) || mapGarp(ctx, x, garp, '')) return;
    ctx.unsupported(x, INSTANCE_UNSUPPORTED[x.keyword.text] ?? 'not a vrrp_instance setting lvsd knows');
  });

  for (const e of excluded) {
    if (family === undefined || e.family === family) {
      family ??= e.family;
      vips.push(e.vip);
      ctx.findings.approximate(e.at, 'virtual_ipaddress_excluded', 'lvsd floats it like the other VIPs and lists it in its adverts (keepalived leaves it out of them)');
    } else {
      ctx.findings.drop(e.at, 'virtual_ipaddress_excluded', 'an address of the other family cannot float in this instance, expected a second instance (same vrid) for it');
    }
  }
  const missing = ['interface', 'vrid'].filter((k) => inst[k] === undefined);
  if (vips.length === 0) missing.push('virtual_ipaddress');
  if (missing.length > 0) {
    ctx.unsupported(s, `the instance is skipped: lvsd needs ${missing.join(', ')} (${missing.includes('interface') ? 'keepalived may omit the interface with unicast, lvsd may not' : 'none given'})`);
    return undefined;
  }
  // keepalived runs IPv6 instances as VRRPv3 whatever the default; lvsd's default (3) differs from keepalived's (2), so it is always written.
  let v = version ?? defaults.version;
  if (family === 6) v = 3;
  inst.version = v;
  const interval = advertMs ?? 1000;
  if (v === 2 && interval % 1000 !== 0) {
    const whole = Math.min(255, Math.max(1, Math.round(interval / 1000)));
    ctx.findings.approximate(s.keyword, 'advert_int', `VRRPv2 carries whole seconds, ${duration(interval)} is written as ${whole}s`);
    inst.advert_interval = `${whole}s`;
  } else {
    inst.advert_interval = duration(v === 3 ? Math.min(40_950, Math.max(10, Math.round(interval / 10) * 10)) : interval);
  }
  if (nopreempt) {
    if (state?.text === 'MASTER') ctx.findings.approximate(nopreempt.keyword, 'nopreempt', 'keepalived ignores nopreempt with state MASTER, so preempt stays on; expected state BACKUP on both nodes for no preemption');
    else inst.preempt = false;
  }
  if (unicastPeers.length > 0) inst.unicast_peers = unicastPeers;
  if (minTtl !== undefined) inst.unicast_min_ttl = minTtl;
  if (authentication && authAt) {
    if (v === 2) inst.authentication = authentication;
    else ctx.findings.approximate(authAt.keyword, 'authentication', 'VRRPv3 carries no authentication and keepalived ignores it there too; left out');
  }
  inst.vips = vips;
  const trackOut: Block = {};
  for (const [k, list] of Object.entries(track)) if (list.length > 0) trackOut[k] = list;
  if (Object.keys(trackOut).length > 0) inst.track = trackOut;
  if (Object.keys(notify).length > 0) inst.notify = notify;
  if (Object.keys(garp).length > 0) inst.garp = garp;
  tables.instances.set(sourceName, name);
  return ctx.from(orderKeys(inst, INSTANCE_KEY_ORDER), s);
}

const INSTANCE_KEY_ORDER = ['name', 'interface', 'vrid', 'priority', 'version', 'advert_interval', 'preempt', 'preempt_delay', 'accept', 'unicast_source', 'unicast_peers', 'unicast_min_ttl', 'authentication', 'vips', 'track', 'notify', 'garp'];

export function orderKeys(block: Block, order: readonly string[]): Block {
  const out: Block = {};
  for (const k of order) if (block[k] !== undefined) out[k] = block[k];
  for (const [k, v] of Object.entries(block)) if (!(k in out)) out[k] = v;
  return out;
}

function trackScript(ctx: MapContext, at: Token, def: ScriptDef, weight: number | undefined): Block {
  const out: Block = { name: lvsdName(at.text), command: def.command, interval: duration(def.interval) };
  let timeout = def.timeout ?? def.interval;
  if (timeout >= def.interval) {
    timeout = Math.max(1, def.interval - Math.min(def.interval / 2, 100));
    ctx.findings.approximate(at, 'vrrp_script timeout', `lvsd needs a timeout shorter than the interval, written as ${duration(Math.round(timeout))} (keepalived lets a run last up to the interval)`);
  }
  out.timeout = duration(Math.round(timeout));
  out.weight = weight ?? def.weight;
  if (def.rise !== undefined) out.rise = def.rise;
  if (def.fall !== undefined) out.fall = def.fall;
  return out;
}

/**
 * `authentication { auth_type PASS|AH; auth_pass P }`: PASS is carried over (keepalived, like
 * lvsd, uses the first 8 characters); AH is refused, as lvsd refuses it.
 */
function mapAuthentication(ctx: MapContext, x: Statement): Block | undefined {
  let type: string | undefined;
  let password: Token | undefined;
  dispatch(x.block, {
    auth_type: (l) => { type = l.args[0]?.text; },
    auth_pass: (l) => { password = ctx.arg(l, 'a password'); },
  }, (l) => ctx.unsupported(l, 'not an authentication setting, expected auth_type and auth_pass'));
  if (type === 'AH') {
    ctx.unsupported(x, 'IPsec AH authentication is not supported (RFC 3768 removed it), expected it removed on every node or auth_type PASS');
    return undefined;
  }
  if (type !== 'PASS' || password === undefined) {
    ctx.unsupported(x, 'expected auth_type PASS with an auth_pass');
    return undefined;
  }
  const text = password.text.slice(0, 8);
  if (!/^[\x21-\x7e]{1,8}$/.test(text)) {
    ctx.findings.drop(password, 'auth_pass', 'lvsd takes passwords of printable ASCII without spaces, expected such a password on every node');
    return undefined;
  }
  if (password.text.length > 8) ctx.findings.approximate(password, 'auth_pass', `written as its first 8 characters, ${text}, which is all keepalived sends`);
  return { type: 'pass', password: text };
}

export function mapSyncGroup(ctx: MapContext, s: Statement, tables: VrrpTables): Block | undefined {
  const name = s.args[0]?.text;
  if (name === undefined) {
    ctx.unsupported(s, 'a vrrp_sync_group needs a name, it is skipped');
    return undefined;
  }
  const instances: string[] = [];
  const notify: Block = {};
  dispatch(s.block, {
    group: (x) => {
      for (const line of x.block ?? []) {
        for (const member of [line.keyword, ...line.args]) {
          const mapped = tables.instances.get(member.text);
          if (mapped) instances.push(mapped);
          else ctx.findings.drop(member, 'group', `no imported vrrp_instance named "${member.text}", left out of the group`);
        }
      }
    },
  }, (x) => {
    if (mapNotify(ctx, x, notify)) return;
    ctx.unsupported(x, x.keyword.text.startsWith('track_') ? 'lvsd tracks per instance, expected the tracking on each member instance' : x.keyword.text === 'smtp_alert' ? 'lvsd sends no mail, expected a notify hook that does' : 'not a vrrp_sync_group setting lvsd knows');
  });
  if (instances.length === 0) {
    ctx.unsupported(s, 'the sync group has no imported member, it is skipped');
    return undefined;
  }
  const group: Block = { name: lvsdName(name), instances };
  if (Object.keys(notify).length > 0) group.notify = notify;
  return ctx.from(group, s);
}
