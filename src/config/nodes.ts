// One file for every node: which node's view to load, and that view built from the file's data.
// A node's view is the shared part with the node's entry merged on (nodes-schema.ts says why an
// override map): a plain one-node config, checked by the same schema and rules as any other
// file. Each view remembers where its values came from, so that a problem found in it points at
// the line the operator wrote (the node entry when the value came from there). Pure: works on the
// values the YAML reader produced, before the schema; shared values are not copied, only the
// objects along a changed path (the services of every view are the file's one list).
import { parseIp } from '../net/address.js';
import { formatPath, type ConfigPath } from './issues.js';
import { NODE_SECTIONS, nodesSchema, SHARED_INSTANCE_FIELDS } from './nodes-schema.js';
import { closestMatch } from './suggest.js';
import { zodIssuesToPathIssues, type PathIssue } from './zod-messages.js';

/** Which node's view of a file to load. */
export type NodeChoice =
  /** Named by the operator (--node, LVSD_NODE): the file must have it. */
  | { by: 'option' | 'environment'; name: string }
  /** Nothing named: the host name picks the node of a nodes: file (whole or its first label). */
  | { by: 'host name'; name: string }
  /** Every node (lvsd check without --node). */
  | { by: 'all' };

/** One node's view: a one-node config as the YAML reader gives it, and where its values are from. */
export interface NodeView {
  /** Undefined for a file without nodes:. */
  node: string | undefined;
  data: unknown;
  /** The path in the file a path of the view came from. */
  sourcePath(path: ConfigPath): ConfigPath;
}

export type NodeViews = { ok: true; views: NodeView[] } | { ok: false; issues: PathIssue[] };

type Data = Record<string, unknown>;

const isMapping = (v: unknown): v is Data => v !== null && typeof v === 'object' && !Array.isArray(v);
const identity = (path: ConfigPath): ConfigPath => path;

const NAMED_BY: Record<'option' | 'environment', string> = { option: '--node', environment: 'LVSD_NODE' };

/** The views `choice` asks for, or why there are none (located in the file). */
export function nodeViews(data: unknown, choice: NodeChoice): NodeViews {
  if (!isMapping(data) || !Object.hasOwn(data, 'nodes')) return singleNode(data, choice);
  const checked = nodesSchema().safeParse(data.nodes);
  if (!checked.success) {
    return { ok: false, issues: zodIssuesToPathIssues(checked.error.issues, data.nodes, nodesSchema()).map((i) => under(['nodes'], i)) };
  }
  const entries = data.nodes as Record<string, NodeEntry>;
  const issues = entryIssues(data, entries);
  const names = Object.keys(entries);
  if (Object.hasOwn(data, 'node')) issues.push({ path: [], message: 'node: and nodes: together, expected only nodes: (each node\'s name is its key there)', locate: { path: ['node'], key: true } });
  if (names.length === 0) issues.push({ path: ['nodes'], message: 'no nodes, expected at least one node name with what it does differently' });
  if (issues.length > 0) return { ok: false, issues };
  let chosen: string[];
  if (choice.by === 'all') {
    chosen = names;
  } else {
    const found = pickNode(names, choice);
    if (found === undefined) return { ok: false, issues: [{ path: ['nodes'], message: noSuchNode(names, choice), locate: { path: ['nodes'], key: true } }] };
    chosen = [found];
  }
  const sources = unicastSources(data, entries);
  return { ok: true, views: chosen.map((node) => buildView(data, node, entries, sources)) };
}

function singleNode(data: unknown, choice: NodeChoice): NodeViews {
  const named = isMapping(data) && isMapping(data.node) ? data.node.name : undefined;
  if ((choice.by === 'option' || choice.by === 'environment') && typeof named === 'string' && named !== choice.name) {
    const message = `this file is for node ${named} only, not ${choice.name} (${NAMED_BY[choice.by]}), expected the file of ${choice.name} or a file with nodes:`;
    return { ok: false, issues: [{ path: ['node', 'name'], message }] };
  }
  return { ok: true, views: [{ node: undefined, data, sourcePath: identity }] };
}

function pickNode(names: string[], choice: Exclude<NodeChoice, { by: 'all' }>): string | undefined {
  if (names.includes(choice.name)) return choice.name;
  const label = choice.name.split('.')[0] ?? '';
  return choice.by === 'host name' && names.includes(label) ? label : undefined;
}

function noSuchNode(names: string[], choice: Exclude<NodeChoice, { by: 'all' }>): string {
  const known = names.join(', ');
  if (choice.by === 'host name') {
    return `the host name ${choice.name} is none of the nodes (${known}), expected --node NAME or LVSD_NODE to say which node this is`;
  }
  const guess = closestMatch(choice.name, names);
  return `no node ${choice.name} (${NAMED_BY[choice.by]}) in nodes, ${guess !== undefined ? `did you mean ${guess}? ` : ''}expected one of ${known}`;
}

/** A node entry as nodesSchema accepted it (the YAML reader's values). */
interface NodeEntry {
  unicast_source?: string;
  interfaces?: Record<string, string>;
  instances?: Record<string, Data>;
  control?: Data;
  metrics?: Data;
  ipvs?: Data;
  bgp?: Data;
  peer?: Data;
}

const under = (prefix: ConfigPath, issue: PathIssue): PathIssue => ({
  path: [...prefix, ...issue.path],
  message: issue.message,
  ...(issue.locate ? { locate: { path: [...prefix, ...issue.locate.path], key: issue.locate.key } } : {}),
});

/** The shared instances (the YAML reader's values), or none when vrrp.instances is not a list. */
function sharedInstances(data: Data): unknown[] {
  const instances = isMapping(data.vrrp) ? data.vrrp.instances : undefined;
  return Array.isArray(instances) ? instances : [];
}

/** Entries naming an instance or interface the shared part does not have. */
function entryIssues(data: Data, entries: Record<string, NodeEntry>): PathIssue[] {
  const instances = sharedInstances(data).flatMap((i) => (isMapping(i) && typeof i.name === 'string' ? [i.name] : []));
  const interfaces = [...sharedInterfaces(data)];
  const issues: PathIssue[] = [];
  for (const [node, entry] of Object.entries(entries)) {
    for (const instance of Object.keys(entry.instances ?? {})) {
      if (instances.includes(instance)) continue;
      const guess = closestMatch(instance, instances);
      const path = ['nodes', node, 'instances', instance];
      const hint = guess !== undefined ? `did you mean ${guess}?` : `expected one of ${instances.join(', ') || '(none)'}`;
      issues.push({ path, message: `no VRRP instance ${instance} in vrrp.instances, ${hint}`, locate: { path, key: true } });
    }
    for (const iface of Object.keys(entry.interfaces ?? {})) {
      if (interfaces.includes(iface)) continue;
      const path = ['nodes', node, 'interfaces', iface];
      issues.push({ path, message: `the shared part names no interface ${iface}, expected one of ${interfaces.join(', ') || '(none)'}`, locate: { path, key: true } });
    }
  }
  return issues;
}

/** Every interface name the shared part uses: instances, VIP devices, tracking, the sync daemon. */
function sharedInterfaces(data: Data): Set<string> {
  const names = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string') names.add(v);
  };
  for (const inst of sharedInstances(data)) {
    if (!isMapping(inst)) continue;
    add(inst.interface);
    if (Array.isArray(inst.vips)) for (const vip of inst.vips) if (isMapping(vip)) add(vip.dev);
    const tracked = isMapping(inst.track) ? inst.track.interfaces : undefined;
    if (Array.isArray(tracked)) for (const t of tracked) if (isMapping(t)) add(t.name);
  }
  const sync = isMapping(data.ipvs) && isMapping(data.ipvs.sync_daemon) ? data.ipvs.sync_daemon : undefined;
  if (sync) add(sync.interface);
  return names;
}

/** Where a node's unicast source for an instance comes from. */
interface Source {
  address: string;
  path: ConfigPath;
}

/**
 * Each node's unicast source per shared instance, by precedence: the node's instance entry, the
 * node's unicast_source (for instances of its address family), the shared instance.
 */
function unicastSources(data: Data, entries: Record<string, NodeEntry>): Map<string, (Source | undefined)[]> {
  const instances = sharedInstances(data);
  const out = new Map<string, (Source | undefined)[]>();
  for (const [node, entry] of Object.entries(entries)) {
    out.set(node, instances.map((inst, i) => {
      if (!isMapping(inst)) return undefined;
      const own = typeof inst.name === 'string' ? entry.instances?.[inst.name]?.unicast_source : undefined;
      if (typeof own === 'string') return { address: own, path: ['nodes', node, 'instances', inst.name as string, 'unicast_source'] };
      const nodeWide = entry.unicast_source;
      if (nodeWide !== undefined && sameFamily(nodeWide, inst)) return { address: nodeWide, path: ['nodes', node, 'unicast_source'] };
      return typeof inst.unicast_source === 'string' ? { address: inst.unicast_source, path: ['vrrp', 'instances', i, 'unicast_source'] } : undefined;
    }));
  }
  return out;
}

/** Whether `address` is of the instance's family (that of its first VIP; true when unknown). */
function sameFamily(address: string, inst: Data): boolean {
  const first: unknown = Array.isArray(inst.vips) ? inst.vips[0] : undefined;
  const text = isMapping(first) ? first.address : first;
  const vip = typeof text === 'string' ? parseIp(text.split('/')[0] ?? '') : undefined;
  return vip === undefined || parseIp(address)?.family === vip.family;
}

function buildView(data: Data, node: string, entries: Record<string, NodeEntry>, sources: Map<string, (Source | undefined)[]>): NodeView {
  const entry = entries[node] as NodeEntry;
  /** View path (formatted) -> the file path it came from, for the paths the entry changed. */
  const origins = new Map<string, ConfigPath>();
  const from = (path: ConfigPath, source: ConfigPath): void => void origins.set(formatPath(path), source);
  const renames = new Map(Object.entries(entry.interfaces ?? {}));
  const renamed = (value: unknown, at: ConfigPath): unknown => {
    const to = typeof value === 'string' ? renames.get(value) : undefined;
    if (to === undefined) return value;
    from(at, ['nodes', node, 'interfaces', value as string]);
    return to;
  };

  const view: Data = {};
  for (const [key, value] of Object.entries(data)) if (key !== 'nodes') view[key] = value;
  view.node = { name: node };
  from(['node'], ['nodes', node]);
  for (const section of NODE_SECTIONS) {
    const own = entry[section];
    if (own !== undefined) view[section] = merged(data[section], own, [section], ['nodes', node, section], from);
  }

  if (isMapping(data.vrrp) && Array.isArray(data.vrrp.instances)) {
    const own = sources.get(node) ?? [];
    const others = [...sources].filter(([n]) => n !== node).map(([, s]) => s);
    const instances = data.vrrp.instances.map((inst: unknown, i: number) => {
      if (!isMapping(inst)) return inst;
      const at = (...rest: (string | number)[]): ConfigPath => ['vrrp', 'instances', i, ...rest];
      const out: Data = { ...inst };
      if (inst.interface !== undefined) out.interface = renamed(inst.interface, at('interface'));
      if (Array.isArray(inst.vips)) out.vips = inst.vips.map((vip: unknown, v: number) => (isMapping(vip) ? renameVip(vip, renamed, at('vips', v)) : vip));
      if (isMapping(inst.track) && Array.isArray(inst.track.interfaces)) {
        const tracked = inst.track.interfaces.map((t: unknown, n: number) => (isMapping(t) ? { ...t, name: renamed(t.name, at('track', 'interfaces', n, 'name')) } : t));
        out.track = { ...inst.track, interfaces: tracked };
      }
      const overrides = typeof inst.name === 'string' ? entry.instances?.[inst.name] : undefined;
      for (const [key, value] of Object.entries(overrides ?? {})) {
        if (Object.hasOwn(SHARED_INSTANCE_FIELDS, key)) continue; // refused by nodesSchema
        out[key] = value;
        from(at(key), ['nodes', node, 'instances', inst.name as string, key]);
      }
      const source = own[i];
      if (source !== undefined && source.path[0] === 'nodes') {
        out.unicast_source = source.address;
        from(at('unicast_source'), source.path);
      }
      // A node that names its unicast source sends to the other nodes that name theirs: a pair
      // needs no peer lists.
      if (source !== undefined && out.unicast_peers === undefined) {
        const peers = others.flatMap((s) => (s[i] ? [s[i]] : []));
        if (peers.length > 0) {
          out.unicast_peers = peers.map((p) => p.address);
          from(at('unicast_peers'), ['nodes', node]);
          peers.forEach((p, n) => from(at('unicast_peers', n), p.path));
        }
      }
      return out;
    });
    view.vrrp = { ...data.vrrp, instances };
  }
  if (isMapping(view.peer)) view.peer = peerAddresses(view.peer, node, entries, from);
  const ipvs = view.ipvs;
  if (isMapping(ipvs) && isMapping(ipvs.sync_daemon) && renames.size > 0 && !origins.has('ipvs.sync_daemon.interface')) {
    const sync = ipvs.sync_daemon;
    view.ipvs = { ...ipvs, sync_daemon: { ...sync, interface: renamed(sync.interface, ['ipvs', 'sync_daemon', 'interface']) } };
  }
  return {
    node,
    data: view,
    sourcePath(path) {
      for (let k = path.length; k > 0; k--) {
        const origin = origins.get(formatPath(path.slice(0, k)));
        if (origin !== undefined) return [...origin, ...path.slice(k)];
      }
      return path;
    },
  };
}

/**
 * The peer protocol's addresses, as for VRRP: unless the file says otherwise, a node listens on its
 * unicast_source and connects to the other nodes' (src/config/schema-peer.ts).
 */
function peerAddresses(peer: Data, node: string, entries: Record<string, NodeEntry>, from: (path: ConfigPath, source: ConfigPath) => void): Data {
  const out = { ...peer };
  const own = entries[node]?.unicast_source;
  if (out.listen === undefined && own !== undefined) {
    out.listen = own;
    from(['peer', 'listen'], ['nodes', node, 'unicast_source']);
  }
  if (out.peers === undefined) {
    const others = Object.entries(entries).filter(([name, e]) => name !== node && e.unicast_source !== undefined);
    if (others.length > 0) {
      out.peers = others.map(([, e]) => e.unicast_source);
      from(['peer', 'peers'], ['nodes', node]);
      others.forEach(([name], i) => from(['peer', 'peers', i], ['nodes', name, 'unicast_source']));
    }
  }
  return out;
}

/** `own` merged onto `shared`: mappings key by key, anything else replaced. */
function merged(shared: unknown, own: Data, at: ConfigPath, source: ConfigPath, from: (path: ConfigPath, source: ConfigPath) => void): Data {
  const out: Data = { ...(isMapping(shared) ? shared : {}) };
  for (const [key, value] of Object.entries(own)) {
    const inner = out[key];
    if (isMapping(value) && isMapping(inner)) {
      out[key] = merged(inner, value, [...at, key], [...source, key], from);
    } else {
      out[key] = value;
      from([...at, key], [...source, key]);
    }
  }
  return out;
}

function renameVip(vip: Data, renamed: (value: unknown, at: ConfigPath) => unknown, at: ConfigPath): Data {
  if (vip.dev === undefined && vip.label === undefined) return vip;
  const out = { ...vip };
  if (vip.dev !== undefined) out.dev = renamed(vip.dev, [...at, 'dev']);
  // An IPv4 label starts with its interface's name (eth0:vip), so it follows the interface.
  if (typeof vip.label === 'string' && vip.label.includes(':')) {
    const [iface = '', ...rest] = vip.label.split(':');
    const to = renamed(iface, [...at, 'label']);
    if (to !== iface) out.label = [to, ...rest].join(':');
  }
  return out;
}
