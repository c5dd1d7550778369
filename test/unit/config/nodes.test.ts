// One file for every node (nodes:): choosing the node, each node's view, and problems reported
// at what the operator wrote, with the node named.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigLoader, formatIssue, loadConfigFile, loadConfigViews, parseConfigText, parseConfigViews, type LoadResult, type NodeChoice } from '../../../src/config/load.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/config/valid/${name}`, import.meta.url));
const pair = fixture('pair.yaml');

const option = (name: string): NodeChoice => ({ by: 'option', name });
const host = (name: string): NodeChoice => ({ by: 'host name', name });

function loaded(result: LoadResult) {
  if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
  expect(result.warnings.map(formatIssue)).toEqual([]);
  return result.config;
}

/** Every problem of every node's view, as lvsd check prints them (warnings marked). */
function problems(text: string, choice: NodeChoice = { by: 'all' }): string[] {
  const result = parseConfigViews(text, 'p.yaml', choice);
  return [...(result.ok ? [] : result.errors.map(formatIssue)), ...result.warnings.map((w) => `warning ${formatIssue(w)}`)];
}

const SHARED = `vrrp:
  instances:
    - name: web
      interface: eth0
      vrid: 51
      vips: [198.18.0.100/24]
    - name: web6
      interface: eth0
      vrid: 51
      vips: ["2001:2::100/64"]
`;

describe('nodes: one file for both nodes', () => {
  it('each node\'s view is exactly the one-node file written out for that node', async () => {
    for (const node of ['lb1', 'lb2']) {
      const view = loaded(await loadConfigFile(pair, option(node)));
      const single = loaded(await loadConfigFile(fixture(`pair-${node}.yaml`)));
      expect(view).toEqual(single);
      expect(JSON.stringify(view)).toBe(JSON.stringify(single));
    }
  });

  it('chooses the node by the host name, whole or its first label', async () => {
    expect(loaded(await loadConfigFile(pair, host('lb2'))).node.name).toBe('lb2');
    expect(loaded(await loadConfigFile(pair, host('lb1.dc1.example.test'))).node.name).toBe('lb1');
    expect(loaded(await loadConfigFile(pair, { by: 'environment', name: 'lb2' })).vrrp.instances[0]?.priority).toBe(100);
  });

  it('refuses clearly when no node matches, pointing at nodes:', async () => {
    const byOption = await loadConfigFile(pair, option('lb3'));
    expect(byOption.ok ? [] : byOption.errors.map(formatIssue)).toEqual([`${pair}:22:1: nodes: no node lb3 (--node) in nodes, did you mean lb1? expected one of lb1, lb2`]);
    const byEnv = await loadConfigFile(pair, { by: 'environment', name: 'web1' });
    expect(byEnv.ok ? [] : byEnv.errors.map(formatIssue)).toEqual([`${pair}:22:1: nodes: no node web1 (LVSD_NODE) in nodes, expected one of lb1, lb2`]);
    const byHost = await loadConfigFile(pair, host('build-7.example.test'));
    expect(byHost.ok ? [] : byHost.errors.map(formatIssue)).toEqual([
      `${pair}:22:1: nodes: the host name build-7.example.test is none of the nodes (lb1, lb2), expected --node NAME or LVSD_NODE to say which node this is`,
    ]);
    // One config wanted, several nodes and none chosen.
    const none = await loadConfigFile(pair);
    expect(none.ok ? [] : none.errors.map(formatIssue)).toEqual([`${pair}:1:1: nodes: names several nodes (lb1, lb2), expected one chosen with --node NAME or LVSD_NODE`]);
  });

  it('a one-node file loads as before; a node named explicitly must be its node', () => {
    const text = 'node: { name: lb1 }\n';
    expect(parseConfigText(text, 's.yaml', host('other-host')).ok).toBe(true);
    expect(parseConfigText(text, 's.yaml', option('lb1')).ok).toBe(true);
    const wrong = parseConfigText(text, 's.yaml', option('lb2'));
    expect(wrong.ok ? [] : wrong.errors.map(formatIssue)).toEqual(['s.yaml:1:15: node.name: this file is for node lb1 only, not lb2 (--node), expected the file of lb2 or a file with nodes:']);
  });

  it('check without a node loads every node\'s view', async () => {
    const result = await loadConfigViews(pair);
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
    expect(result.views.map((v) => [v.node, v.config.node.name, v.config.vrrp.instances.map((i) => i.priority)])).toEqual([['lb1', 'lb1', [150, 150]], ['lb2', 'lb2', [100, 100]]]);
    // The services are the file's one list, validated once for every view.
    expect(result.views[0]?.config.services).toBe(result.views[1]?.config.services);
  });

  it('derives each node\'s unicast peers from the other nodes\' sources, by address family', () => {
    const text = `${SHARED}nodes:
  lb1: { unicast_source: 198.18.0.1, instances: { web6: { unicast_source: "fe80::1" } } }
  lb2: { unicast_source: 198.18.0.2, instances: { web6: { unicast_source: "fe80::2" } } }
  lb3: { unicast_source: 198.18.0.3 }
`;
    const result = parseConfigViews(text, 'p.yaml');
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
    const peers = result.views.map((v) => [v.node, ...v.config.vrrp.instances.map((i) => [i.unicast_source, i.unicast_peers])]);
    expect(peers).toEqual([
      ['lb1', ['198.18.0.1', ['198.18.0.2', '198.18.0.3']], ['fe80::1', ['fe80::2']]],
      ['lb2', ['198.18.0.2', ['198.18.0.1', '198.18.0.3']], ['fe80::2', ['fe80::1']]],
      // lb3 has no IPv6 source: multicast for web6 (and the others send web6 adverts only to each other).
      ['lb3', ['198.18.0.3', ['198.18.0.1', '198.18.0.2']], [undefined, []]],
    ]);
    // Peers written out (shared or per node) are kept as written.
    const written = parseConfigViews(`${SHARED}nodes:\n  lb1: { unicast_source: 198.18.0.1, instances: { web: { unicast_peers: [198.18.0.9] } } }\n  lb2: { unicast_source: 198.18.0.2 }\n`, 'p.yaml');
    expect(written.ok && written.views.map((v) => v.config.vrrp.instances[0]?.unicast_peers)).toEqual([['198.18.0.9'], ['198.18.0.1']]);
    // Without sources, multicast as in a one-node file.
    const multicast = parseConfigViews(`${SHARED}nodes:\n  lb1: { instances: { web: { priority: 150 } } }\n  lb2: {}\n`, 'p.yaml');
    expect(multicast.ok && multicast.views.map((v) => v.config.vrrp.instances.map((i) => [i.priority, i.unicast_peers]))).toEqual([[[150, []], [100, []]], [[100, []], [100, []]]]);
  });

  it('a problem in one node\'s view names the node and points at its entry; a shared one is reported once', () => {
    const text = `${SHARED}  sync_groups: [{ name: g, instances: [web, nope] }]
nodes:
  lb1: { unicast_source: 198.18.0.1 }
  lb2:
    unicast_source: 198.18.0.2
    instances:
      web6: { unicast_source: 198.18.0.22 }
`;
    expect(problems(text)).toEqual([
      'p.yaml:11:45: vrrp.sync_groups[0].instances[1]: no instance is named "nope", expected one of web, web6',
      'node lb2: p.yaml:17:31: nodes.lb2.instances.web6.unicast_source: 198.18.0.22 is ipv4, expected ipv6 like the VIPs of this instance',
      'warning node lb2: p.yaml:17:31: nodes.lb2.instances.web6.unicast_source: 198.18.0.22 is not link-local; RFC 5798 sends IPv6 adverts from a link-local address, peers may drop these',
    ]);
    // The same file for one node names that node on every problem of its view.
    expect(problems(text, option('lb1'))).toEqual(['node lb1: p.yaml:11:45: vrrp.sync_groups[0].instances[1]: no instance is named "nope", expected one of web, web6']);
  });

  it('a derived peer that is wrong points at the source it came from', () => {
    const text = `${SHARED}nodes:
  lb1: { unicast_source: 198.18.0.1 }
  lb2: { unicast_source: 198.18.0.100 }
`;
    expect(problems(text)).toEqual(['node lb1: p.yaml:13:26: nodes.lb2.unicast_source: peer 198.18.0.100 is the VIP vrrp.instances[0].vips[0], expected the own address of another node (adverts to a VIP reach whoever holds it)']);
  });

  it('an entry naming an unknown instance or interface, or a field the nodes must share, is refused at the entry', () => {
    const text = `${SHARED}nodes:
  lb1:
    interfaces: { eth9: ens4 }
    instances:
      webb: { priority: 150 }
  lb2:
    instances:
      web: { vrid: 52, priority: 100 }
`;
    expect(problems(text)).toEqual([
      'p.yaml:18:20: nodes.lb2.instances.web.vrid: got 52, expected vrid only in vrrp.instances: the nodes of a virtual router must use the same vrid',
    ]);
    expect(problems(text.replace('vrid: 52, ', ''))).toEqual([
      'p.yaml:13:19: nodes.lb1.interfaces.eth9: the shared part names no interface eth9, expected one of eth0',
      'p.yaml:15:7: nodes.lb1.instances.webb: no VRRP instance webb in vrrp.instances, did you mean web?',
    ]);
  });

  it('checks the entries with the schema: bad values, unknown keys, bad names, node: beside nodes:', () => {
    expect(problems(`${SHARED}nodes:\n  lb1: { instances: { web: { priority: 300, preempt_dely: 1s } } }\n  lb2: { unicast_sorce: 198.18.0.2 }\n  "-lb3": {}\n`)).toEqual([
      'p.yaml:12:40: nodes.lb1.instances.web.priority: 300 is out of range, expected a priority 1-255',
      'p.yaml:12:45: nodes.lb1.instances.web: unknown key "preempt_dely", did you mean "preempt_delay"?',
      'p.yaml:13:10: nodes.lb2: unknown key "unicast_sorce", did you mean "unicast_source"?',
      'p.yaml:14:3: nodes: key "-lb3" is not valid, expected a name of 1-64 letters, digits, \'.\', \'_\' or \'-\', starting with a letter or digit',
    ]);
    expect(problems(`node: { name: lb1 }\n${SHARED}nodes:\n  lb1: {}\n`)).toEqual(['p.yaml:1:1: node: and nodes: together, expected only nodes: (each node\'s name is its key there)']);
    expect(problems(`${SHARED}nodes: {}\n`)).toEqual(['p.yaml:11:8: nodes: no nodes, expected at least one node name with what it does differently']);
  });

  it('renames interfaces everywhere the shared part names them; daemon-wide sections merge key by key', () => {
    const text = `vrrp:
  instances:
    - name: web
      interface: eth0
      vrid: 51
      vips: [{ address: 198.18.0.100, prefix: 24, dev: eth0, label: "eth0:web" }]
      track: { interfaces: [{ name: eth1 }] }
ipvs: { sync_daemon: { enabled: true, interface: eth1 } }
nodes:
  lb1: { ipvs: { state_dir: /var/lib/lvsd-lb1, sync_daemon: { interface: eth2 } } }
  lb2: { interfaces: { eth0: ens3, eth1: ens4 } }
`;
    const result = parseConfigViews(text, 'p.yaml', option('lb2'));
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
    const config = result.views[0]?.config;
    expect(config?.vrrp.instances[0]).toMatchObject({ interface: 'ens3', vips: [{ address: '198.18.0.100', prefix: 24, dev: 'ens3', label: 'ens3:web' }], track: { interfaces: [{ name: 'ens4', weight: 0 }] } });
    expect(config?.ipvs.sync_daemon.interface).toBe('ens4');
    // A section set per node is merged key by key: lb1 keeps the shared enabled: true.
    const lb1 = parseConfigViews(text, 'p.yaml', option('lb1'));
    expect(lb1.ok && [lb1.views[0]?.config.ipvs.state_dir, lb1.views[0]?.config.ipvs.sync_daemon]).toEqual(['/var/lib/lvsd-lb1', { enabled: true, interface: 'eth2', sync_id: 0, follow_vrrp: true }]);
  });

  it('a node may set its own control socket and metrics endpoint; the rest of the section stays shared', () => {
    const text = `metrics: { ipvs_stats_interval: 30s }\nnodes:\n  lb1: { metrics: { listen: "198.18.0.1:9810" }, control: { socket: /run/lvsd/lb1.sock } }\n  lb2: {}\n`;
    const result = parseConfigViews(text, 'p.yaml');
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
    expect(result.views.map((v) => [v.config.metrics, v.config.control.socket])).toEqual([
      [{ listen: '198.18.0.1:9810', ipvs_stats_interval: 30_000 }, '/run/lvsd/lb1.sock'],
      [{ listen: '127.0.0.1:9810', ipvs_stats_interval: 30_000 }, '/run/lvsd/lvsd.sock'],
    ]);
    expect(problems(text.replace('198.18.0.1:9810', '198.18.0.1'))).toEqual([
      'p.yaml:3:29: nodes.lb1.metrics.listen: "198.18.0.1" is not valid, expected address:port such as 127.0.0.1:9810 or [::1]:9810',
    ]);
  });

  it('examples/lvsd-pair.yaml loads for both nodes without warnings', async () => {
    const example = fileURLToPath(new URL('../../../examples/lvsd-pair.yaml', import.meta.url));
    const result = await loadConfigViews(example);
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
    expect(result.warnings).toEqual([]);
    expect(result.views.map((v) => [v.node, v.config.vrrp.instances.map((i) => [i.interface, i.priority, i.unicast_source, i.unicast_peers])])).toEqual([
      ['lb1', [['eth0', 150, '198.18.0.1', ['198.18.0.2']]]],
      ['lb2', [['ens3', 100, '198.18.0.2', ['198.18.0.1']]]],
    ]);
  });

  it('BGP: each director its own router_id, the peers shared', () => {
    const text = `bgp:
  local_as: 65001
  peers: [{ name: rtr, address: 198.18.0.254, as: 65000 }]
nodes:
  lb1: { bgp: { router_id: 198.18.0.1 } }
  lb2: { bgp: { router_id: 198.18.0.2, bfd: { multiplier: 5 } } }
`;
    const result = parseConfigViews(text, 'p.yaml');
    if (!result.ok) throw new Error(result.errors.map(formatIssue).join('\n'));
    expect(result.views.map((v) => [v.config.bgp?.router_id, v.config.bgp?.peers.length, v.config.bgp?.bfd])).toEqual([
      ['198.18.0.1', 1, { interval: 100, multiplier: 3 }],
      ['198.18.0.2', 1, { interval: 100, multiplier: 5 }],
    ]);
  });

  it('ConfigLoader: the same file for the same node is reused; another node is loaded anew', () => {
    const loader = new ConfigLoader();
    const text = `${SHARED}nodes:\n  lb1: { instances: { web: { priority: 150 } } }\n  lb2: {}\nservices:\n  - { name: s, vip: 198.18.0.100, port: 80 }\n`;
    const first = loader.parse(text, 'p.yaml', option('lb1'));
    expect(loader.parse(text, 'p.yaml', option('lb1'))).toBe(first);
    expect(loader.lastStats).toEqual({ validated: 0, reused: 1 });
    const other = loaded(loader.parse(text, 'p.yaml', option('lb2')));
    expect([other.node.name, other.vrrp.instances[0]?.priority]).toEqual(['lb2', 100]);
    expect(loader.lastStats).toEqual({ validated: 0, reused: 1 });
  });
});
