// Several nodes' imports (the two keepalived.conf of a pair, or one file read with each node's
// config id) folded into one lvsd file with `nodes:` (src/config/nodes-schema.ts): what all
// nodes have alike is written once, what differs goes under the node. Interfaces a node names
// differently, consistently so, become its `interfaces:` renames. Peer lists that only name
// the other nodes' sources are left out (lvsd derives them), and a node's unicast source used by
// all of its instances of one family becomes the node's. What one file cannot say per node (other
// services, another vrid, instances on one node only) is reported and the first node's kept.
import { NODE_SECTIONS, SHARED_INSTANCE_FIELDS } from '../config/nodes-schema.js';
import type { Block } from './context.js';
import type { Findings } from './findings.js';
import type { Mapped } from './map.js';
import type { SourcePos } from './types.js';
import { type IpFamily, familyOf } from '../net/address.js';

/** One node's import. */
export interface NodeImport {
  name: string;
  mapped: Mapped;
  /** Where the node's file starts, for findings about it as a whole. */
  at: SourcePos;
}

const isBlock = (v: unknown): v is Block => v !== null && typeof v === 'object' && !Array.isArray(v);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Values alike in every node (shared) and each node's own where they differ, mappings key by key. */
function split(values: unknown[]): { shared: unknown; own: unknown[] } {
  const [first] = values;
  if (values.every((v) => same(v, first))) return { shared: first, own: values.map(() => undefined) };
  if (!values.every(isBlock)) return { shared: undefined, own: values };
  const shared: Block = {};
  const own: Block[] = values.map(() => ({}));
  for (const key of keysOf(values as Block[])) {
    const inner = split((values as Block[]).map((v) => v[key]));
    if (inner.shared !== undefined) shared[key] = inner.shared;
    inner.own.forEach((o, i) => {
      if (o !== undefined) (own[i] as Block)[key] = o;
    });
  }
  return { shared: Object.keys(shared).length > 0 ? shared : undefined, own: own.map((o) => (Object.keys(o).length > 0 ? o : undefined)) };
}

/** Keys of several mappings, in the order they first appear. */
function keysOf(blocks: readonly Block[]): string[] {
  return [...new Set(blocks.flatMap((b) => Object.keys(b)))];
}

export function foldNodes(views: readonly NodeImport[], findings: Findings): Mapped {
  const origins = new Map<object, string>();
  const positions = new Map<object, SourcePos>();
  for (const v of views) {
    for (const [block, origin] of v.mapped.origins) origins.set(block, origin);
    for (const [block, pos] of v.mapped.positions) positions.set(block, pos);
  }
  const where = (block: unknown, view: NodeImport): SourcePos => (isBlock(block) ? positions.get(block) : undefined) ?? view.at;
  const names = views.map((v) => v.name);
  const entries: Block[] = views.map(() => ({}));
  const config: Block = {};
  const configs = views.map((v, i) => {
    const renames = i === 0 ? new Map<string, string>() : interfaceRenames(views[0]?.mapped.config ?? {}, v.mapped.config);
    if (renames.size > 0) (entries[i] as Block).interfaces = Object.fromEntries(renames);
    // Back to the first node's names, so that what only differs by them compares equal.
    return renameInterfaces(v.mapped.config, new Map([...renames].map(([shared, own]) => [own, shared])), origins, positions);
  });

  for (const key of keysOf(configs)) {
    if (key === 'node') continue;
    const values = configs.map((c) => c[key]);
    if (key === 'vrrp') {
      const vrrp = foldVrrp(views, values.map((v) => (isBlock(v) ? v : {})), entries, findings, where, origins);
      if (vrrp !== undefined) config.vrrp = vrrp;
    } else if ((NODE_SECTIONS as readonly string[]).includes(key)) {
      const { shared, own } = split(values);
      if (shared !== undefined) config[key] = shared;
      own.forEach((o, i) => {
        if (o !== undefined) (entries[i] as Block)[key] = o;
      });
    } else {
      const differs = views.findIndex((_, i) => !same(values[i], values[0]));
      if (differs > 0) {
        const view = views[differs] as NodeImport;
        findings.drop(firstDifference(values[0], values[differs], view, where), key, `${view.name} has other ${key} than ${names[0]}: one file gives every node the same ${key}, ${names[0]}'s are kept; expected the same on every node, or a file per node`);
      }
      if (values[0] !== undefined) config[key] = values[0];
    }
  }
  config.nodes = Object.fromEntries(names.map((name, i) => [name, orderEntry(entries[i] as Block)]));
  return { config, origins, positions };
}

/** Where two values of a section first differ: the first differing block of a list, else the node's file. */
function firstDifference(a: unknown, b: unknown, view: NodeImport, where: (block: unknown, view: NodeImport) => SourcePos): SourcePos {
  if (Array.isArray(a) && Array.isArray(b)) {
    const i = b.findIndex((item, n) => !same(item, a[n]));
    if (i >= 0) return where(b[i], view);
  }
  return view.at;
}

function foldVrrp(
  views: readonly NodeImport[],
  vrrps: Block[],
  entries: Block[],
  findings: Findings,
  where: (block: unknown, view: NodeImport) => SourcePos,
  origins: Map<object, string>,
): Block | undefined {
  const names = views.map((v) => v.name);
  const byName = vrrps.map((vrrp) => new Map((Array.isArray(vrrp.instances) ? (vrrp.instances as Block[]) : []).map((inst) => [String(inst.name), inst])));
  const all = [...new Set(byName.flatMap((m) => [...m.keys()]))];
  const instances: Block[] = [];
  for (const name of all) {
    const present = byName.map((m) => m.get(name));
    const missing = present.findIndex((p) => p === undefined);
    if (missing >= 0) {
      const holder = present.findIndex((p) => p !== undefined);
      const view = views[holder] as NodeImport;
      findings.drop(where(present[holder], view), 'vrrp_instance', `${name} is on ${names.filter((_, i) => present[i] !== undefined).join(', ')} only, not on ${names[missing]}: one file gives every node the same instances; expected it on every node, or a file per node`);
      continue;
    }
    instances.push(foldInstance(name, views, present as Block[], entries, findings, where, origins));
  }
  simplifyUnicast(instances, entries);
  const out: Block = {};
  if (instances.length > 0) out.instances = instances;
  const groups = vrrps.map((v) => v.sync_groups);
  const differs = groups.findIndex((g) => !same(g, groups[0]));
  if (differs > 0) {
    const view = views[differs] as NodeImport;
    findings.drop(firstDifference(groups[0], groups[differs], view, where), 'vrrp_sync_group', `${view.name} has other sync groups than ${names[0]}: one file gives every node the same sync groups, ${names[0]}'s are kept`);
  }
  if (groups[0] !== undefined) out.sync_groups = groups[0];
  return Object.keys(out).length > 0 ? out : undefined;
}

function foldInstance(
  name: string,
  views: readonly NodeImport[],
  blocks: Block[],
  entries: Block[],
  findings: Findings,
  where: (block: unknown, view: NodeImport) => SourcePos,
  origins: Map<object, string>,
): Block {
  const shared: Block = {};
  const own: Block[] = blocks.map(() => ({}));
  for (const key of keysOf(blocks)) {
    const values = blocks.map((b) => b[key]);
    const differs = values.findIndex((v) => !same(v, values[0]));
    if (differs < 0) {
      shared[key] = values[0];
    } else if (Object.hasOwn(SHARED_INSTANCE_FIELDS, key)) {
      const view = views[differs] as NodeImport;
      findings.drop(where(blocks[differs], view), key, `instance ${name} differs between ${views[0]?.name} and ${view.name} (${JSON.stringify(values[0])} and ${JSON.stringify(values[differs])}), but ${SHARED_INSTANCE_FIELDS[key]}: ${views[0]?.name}'s is kept`);
      if (values[0] !== undefined) shared[key] = values[0];
    } else {
      values.forEach((v, i) => {
        if (v !== undefined) (own[i] as Block)[key] = v;
      });
    }
  }
  const first = blocks[0];
  const origin = first ? origins.get(first) : undefined;
  if (origin !== undefined) origins.set(shared, origin);
  own.forEach((o, i) => {
    if (Object.keys(o).length === 0) return;
    const block = blocks[i] as Block;
    const from = origins.get(block);
    if (from !== undefined) origins.set(o, from);
    const entry = entries[i] as Block;
    entry.instances = { ...(entry.instances as Block | undefined), [name]: o };
  });
  return shared;
}

/**
 * Peer lists that name exactly the other nodes' sources go (lvsd derives them), and a source
 * that is the same in all of a node's instances of one family moves up to the node.
 */
function simplifyUnicast(instances: Block[], entries: Block[]): void {
  const own = (n: number, name: string): Block | undefined => (entries[n]?.instances as Record<string, Block> | undefined)?.[name];
  const field = (n: number, inst: Block, key: string): unknown => own(n, String(inst.name))?.[key] ?? inst[key];
  for (const inst of instances) {
    const name = String(inst.name);
    const sources = entries.map((_, n) => field(n, inst, 'unicast_source'));
    if (!sources.every((s) => typeof s === 'string')) continue;
    const derived = entries.every((_, n) => {
      const peers = field(n, inst, 'unicast_peers');
      const others = sources.filter((_, m) => m !== n);
      return Array.isArray(peers) && peers.length === others.length && others.every((s) => peers.includes(s));
    });
    if (!derived) continue;
    delete inst.unicast_peers;
    entries.forEach((_, n) => {
      const o = own(n, name);
      if (o) delete o.unicast_peers;
    });
  }
  entries.forEach((entry, n) => {
    const instanceFamily = (inst: Block): IpFamily => {
      const vip: unknown = Array.isArray(inst.vips) ? inst.vips[0] : undefined;
      return familyOf(String(isBlock(vip) ? vip.address : vip));
    };
    const sourced = instances.filter((inst) => typeof own(n, String(inst.name))?.unicast_source === 'string');
    const [first] = sourced;
    if (!first) return;
    const address = own(n, String(first.name))?.unicast_source as string;
    const family = familyOf(address);
    const ofFamily = instances.filter((inst) => instanceFamily(inst) === family);
    if (!ofFamily.every((inst) => own(n, String(inst.name))?.unicast_source === address)) return;
    entry.unicast_source = address;
    for (const inst of ofFamily) {
      const o = own(n, String(inst.name)) as Block;
      delete o.unicast_source;
      if (Object.keys(o).length === 0) delete (entry.instances as Block)[String(inst.name)];
    }
    if (Object.keys(entry.instances as Block).length === 0) delete entry.instances;
  });
}

/** The interfaces a config names, by place: an instance's, its VIPs' devices, its tracked ones, the sync daemon's. */
function interfaceUses(config: Block): Map<string, string> {
  const uses = new Map<string, string>();
  const vrrp = isBlock(config.vrrp) ? config.vrrp : {};
  for (const inst of Array.isArray(vrrp.instances) ? (vrrp.instances as Block[]) : []) {
    const at = `instance ${String(inst.name)}`;
    if (typeof inst.interface === 'string') uses.set(`${at} interface`, inst.interface);
    (Array.isArray(inst.vips) ? inst.vips : []).forEach((vip: unknown, n: number) => {
      if (isBlock(vip) && typeof vip.dev === 'string') uses.set(`${at} vip ${n}`, vip.dev);
    });
    const tracked = isBlock(inst.track) && Array.isArray(inst.track.interfaces) ? (inst.track.interfaces as Block[]) : [];
    tracked.forEach((t, n) => {
      if (typeof t.name === 'string') uses.set(`${at} track ${n}`, t.name);
    });
  }
  const sync = isBlock(config.ipvs) && isBlock(config.ipvs.sync_daemon) ? config.ipvs.sync_daemon : {};
  if (typeof sync.interface === 'string') uses.set('sync daemon', sync.interface);
  return uses;
}

/** The first node's interface names -> another's, when every place both name one agrees one to one; else none. */
function interfaceRenames(first: Block, other: Block): Map<string, string> {
  const theirs = interfaceUses(other);
  const forward = new Map<string, string>();
  const backward = new Map<string, string>();
  for (const [place, shared] of interfaceUses(first)) {
    const own = theirs.get(place);
    if (own === undefined) continue;
    if ((forward.get(shared) ?? own) !== own || (backward.get(own) ?? shared) !== shared) return new Map();
    forward.set(shared, own);
    backward.set(own, shared);
  }
  return new Map([...forward].filter(([shared, own]) => shared !== own));
}

/** `config` with interfaces renamed where interfaceUses finds them (VIP labels follow), sources kept. */
function renameInterfaces(config: Block, renames: Map<string, string>, origins: Map<object, string>, positions: Map<object, SourcePos>): Block {
  if (renames.size === 0) return config;
  const to = (name: unknown): unknown => (typeof name === 'string' ? (renames.get(name) ?? name) : name);
  const keep = (from: Block, copy: Block): Block => {
    const origin = origins.get(from);
    if (origin !== undefined) origins.set(copy, origin);
    const pos = positions.get(from);
    if (pos !== undefined) positions.set(copy, pos);
    return copy;
  };
  const renameVip = (vip: unknown): unknown => {
    if (!isBlock(vip)) return vip;
    const out: Block = { ...vip };
    if (vip.dev !== undefined) out.dev = to(vip.dev);
    if (typeof vip.label === 'string' && vip.label.includes(':')) {
      const [iface = '', ...rest] = vip.label.split(':');
      out.label = [to(iface), ...rest].join(':');
    }
    return out;
  };
  const out: Block = { ...config };
  if (isBlock(config.vrrp) && Array.isArray(config.vrrp.instances)) {
    const instances = (config.vrrp.instances as Block[]).map((inst) => {
      const copy: Block = { ...inst, interface: to(inst.interface) };
      if (Array.isArray(inst.vips)) copy.vips = inst.vips.map(renameVip);
      if (isBlock(inst.track) && Array.isArray(inst.track.interfaces)) {
        copy.track = { ...inst.track, interfaces: (inst.track.interfaces as Block[]).map((t) => ({ ...t, name: to(t.name) })) };
      }
      return keep(inst, copy);
    });
    out.vrrp = { ...config.vrrp, instances };
  }
  if (isBlock(config.ipvs) && isBlock(config.ipvs.sync_daemon)) {
    out.ipvs = { ...config.ipvs, sync_daemon: { ...config.ipvs.sync_daemon, interface: to(config.ipvs.sync_daemon.interface) } };
  }
  return out;
}

function orderEntry(entry: Block): Block {
  const out: Block = {};
  for (const key of ['unicast_source', 'interfaces', 'instances', ...NODE_SECTIONS]) if (entry[key] !== undefined) out[key] = entry[key];
  return out;
}
