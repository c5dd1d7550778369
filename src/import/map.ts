// The mapper: keepalived statements -> the lvsd configuration as plain data, plus the source
// of each block. Definitions used by name (vrrp_script, track_file, virtual_server_group) and
// the instances sync groups refer to are read first, as keepalived resolves names after parsing.
import { dispatch, lvsdName, type Block, MapContext } from './context.js';
import type { Findings } from './findings.js';
import { mapSsl } from './map-checks.js';
import { mapGlobalDefs, type GlobalSettings } from './map-global.js';
import { mapServerGroup, mapVirtualServer, type GroupEntry } from './map-lvs.js';
import { mapSyncGroup, mapTrackFile, mapVrrpInstance, mapVrrpScript, newVrrpTables } from './map-vrrp.js';
import type { SourcePos, Statement } from './types.js';

export interface Mapped {
  /** The lvsd configuration, keys in the order they are written. */
  config: Block;
  /** Source comment of each block (by identity). */
  origins: Map<object, string>;
  /** Source position of each block (by identity). */
  positions: Map<object, SourcePos>;
}

const TOP_UNSUPPORTED: Record<string, string> = {
  static_ipaddress: 'lvsd manages floating addresses only, expected static addresses in the host network config',
  static_routes: 'lvsd manages floating addresses only, expected static routes in the host network config',
  static_rules: 'lvsd manages floating addresses only, expected static rules in the host network config',
  linkbeat_interfaces: 'lvsd watches links with netlink',
  vrrp_track_process: 'lvsd cannot track processes, expected a track script such as [pidof, NAME]',
  bfd_instance: 'lvsd has no BFD',
  garp_group: 'lvsd sends gratuitous ARPs per instance (garp), expected garp settings on the instances',
  net_namespace: 'lvsd runs in the namespace it is started in, expected the systemd unit to place it',
};

export function mapStatements(statements: readonly Statement[], findings: Findings, configId: string): Mapped {
  const ctx = new MapContext(findings);
  const global: GlobalSettings = { ipvs: {}, vrrp: { version: 2, garp: {} } };
  const tables = newVrrpTables();
  const groups = new Map<string, GroupEntry[]>();
  const instanceStatements: Statement[] = [];
  const syncGroupStatements: Statement[] = [];
  const serverStatements: Statement[] = [];
  dispatch(statements, {
    global_defs: (s) => mapGlobalDefs(ctx, s, global),
    vrrp_script: (s) => mapVrrpScript(ctx, s, tables),
    track_file: (s) => mapTrackFile(ctx, s, tables),
    vrrp_track_file: (s) => mapTrackFile(ctx, s, tables),
    virtual_server_group: (s) => mapServerGroup(ctx, s, groups),
    vrrp_instance: (s) => void instanceStatements.push(s),
    vrrp_sync_group: (s) => void syncGroupStatements.push(s),
    virtual_server: (s) => void serverStatements.push(s),
    SSL: (s) => mapSsl(ctx, s),
  }, (s) => ctx.unsupported(s, TOP_UNSUPPORTED[s.keyword.text] ?? 'not a keepalived keyword lvsd has an equivalent for'));

  const instances = instanceStatements.map((s) => mapVrrpInstance(ctx, s, global.vrrp, tables)).filter((i): i is Block => i !== undefined);
  const syncGroups = syncGroupStatements.map((s) => mapSyncGroup(ctx, s, tables)).filter((g): g is Block => g !== undefined);
  const names = new Set<string>();
  const services = serverStatements.flatMap((s) => mapVirtualServer(ctx, s, groups, names));

  if (global.syncInstance) {
    const { name, at } = global.syncInstance;
    if (!tables.instances.has(name)) ctx.findings.approximate(at.keyword, 'lvs_sync_daemon', `no imported instance "${name}"; lvsd's sync daemon follows the node's VRRP state (master while any instance is master)`);
    else if (instances.length > 1) ctx.findings.approximate(at.keyword, 'lvs_sync_daemon', `lvsd's sync daemon is master while any instance is master, not only "${name}"`);
  }

  // keepalived's router_id defaults to the host name, as the config id does.
  const config: Block = { node: { name: global.nodeName ?? lvsdName(configId) } };
  if (Object.keys(global.ipvs).length > 0) config.ipvs = global.ipvs;
  if (instances.length > 0) {
    const vrrp: Block = { instances };
    if (syncGroups.length > 0) vrrp.sync_groups = syncGroups;
    config.vrrp = vrrp;
  }
  if (services.length > 0) config.services = services;
  return { config, origins: ctx.origins, positions: ctx.positions };
}
