// One config file for both nodes (issue 12 §3): two whole daemons (VRRP in its thread, IPVS in
// memory) run the same YAML text, one with LVSD_NODE=lb1 and one with LVSD_NODE=lb2, on a link
// that lb2 calls ens4. The file has no peer lists and one priority per node: each node sends
// unicast to the other's source, one master per virtual router, the VIP on exactly one node; a
// reload of the same file changes nothing, and a node the file does not name refuses to start.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { NetnsLab, veth, type Netns } from '../support/netns.mjs';
import { assertBuilt, VrrpNode, VrrpProcesses, waitForState, waitForVipOn } from './support/vrrp-lab.js';

const DAEMON_NODE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'daemon-node.mjs');
const ADDR = { lb1: '198.18.0.1', lb2: '198.18.0.2' };
const VIP = { web: '198.18.0.100', db: '198.18.0.101' };

describeWith(['root', 'netns'], 'one config file for both nodes (nodes:, LVSD_NODE)', () => {
  const lab = new NetnsLab('vrrpnodes');
  const procs = new VrrpProcesses();
  let lb1: Netns;
  let lb2: Netns;
  let dir = '';
  let file = '';
  const nodes = {} as Record<'lb1' | 'lb2', VrrpNode>;

  /** The one file: the shared part once, then what each node does differently. */
  const yaml = (): string => `vrrp:
  instances:
    - name: web
      interface: eth0
      vrid: 71
      advert_interval: 100ms
      garp: { repeat: 1, delay: 0s }
      vips: [${VIP.web}/24]
    - name: db
      interface: eth0
      vrid: 72
      advert_interval: 100ms
      garp: { repeat: 1, delay: 0s }
      vips: [${VIP.db}/24]
nodes:
  lb1:
    unicast_source: ${ADDR.lb1}
    control: { socket: ${dir}/lb1.sock }
    metrics: { listen: "127.0.0.1:19971" }
    ipvs: { state_dir: ${dir}/lb1-state }
    instances:
      web: { priority: 150 }
      db: { priority: 100 }
  lb2:
    unicast_source: ${ADDR.lb2}
    interfaces: { eth0: ens4 }
    control: { socket: ${dir}/lb2.sock }
    metrics: { listen: "127.0.0.1:19972" }
    ipvs: { state_dir: ${dir}/lb2-state }
    instances:
      web: { priority: 100 }
      db: { priority: 150 }
`;

  const start = (ns: Netns, node: string): Promise<VrrpNode> =>
    VrrpNode.start(procs, ns, node, readFileSync(file, 'utf8'), { driver: DAEMON_NODE, env: { LVSD_NODE: node }, timeoutMs: 20_000 });

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'lvsd-vrrpnodes-'));
    file = path.join(dir, 'lvsd.yaml');
    writeFileSync(file, yaml());
    lb1 = lab.ns('lb1');
    lb2 = lab.ns('lb2');
    veth(lb1, 'eth0', lb2, 'ens4');
    lb1.addr('eth0', `${ADDR.lb1}/24`);
    lb2.addr('ens4', `${ADDR.lb2}/24`);
    [nodes.lb1, nodes.lb2] = await Promise.all([start(lb1, 'lb1'), start(lb2, 'lb2')]);
  });

  afterAll(async () => {
    await procs.cleanup();
    await lab.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The VIP is on exactly `owner` (lb1 has it on eth0, lb2 on ens4). */
  const vipOn = async (vip: string, owner: Netns): Promise<void> => {
    const other = owner === lb1 ? lb2 : lb1;
    await waitForVipOn([owner], owner === lb1 ? 'eth0' : 'ens4', vip, owner);
    await waitForVipOn([other], other === lb1 ? 'eth0' : 'ens4', vip, undefined);
  };

  it('each node runs its own view of the file: one master per virtual router, unicast to the other node', async () => {
    await waitForState(nodes.lb1, 'web', 'master', 5_000);
    await waitForState(nodes.lb2, 'db', 'master', 5_000);
    await vipOn(VIP.web, lb1);
    await vipOn(VIP.db, lb2);
    expect(await nodes.lb1.state('db')).toBe('backup');
    expect(await nodes.lb2.state('web')).toBe('backup');
    const lb2web = await nodes.lb2.instance('web');
    expect(lb2web.currentMaster).toEqual({ address: ADDR.lb1, priority: 150 });
    expect(lb2web.source).toBe(ADDR.lb2);
    expect((await nodes.lb1.instance('db')).currentMaster).toEqual({ address: ADDR.lb2, priority: 150 });
  });

  it('a reload of the same file on the same node changes nothing', async () => {
    const events = nodes.lb1.events.length;
    await nodes.lb1.reload(readFileSync(file, 'utf8'));
    expect(await nodes.lb1.state('web')).toBe('master');
    expect(nodes.lb1.events.length).toBe(events);
  });

  it('when lb1 stops, lb2 takes its VIP', async () => {
    await nodes.lb1.kill('SIGTERM');
    await waitForState(nodes.lb2, 'web', 'master', 5_000);
    await waitForVipOn([lb2], 'ens4', VIP.web, lb2);
  });

  it('a node the file does not name refuses to start, naming the nodes it has', async () => {
    const failed = await start(lab.ns('lb3'), 'lb3').then(() => 'started', (err: Error) => err.message);
    expect(failed).toContain('no node lb3 (LVSD_NODE) in nodes');
    expect(failed).toContain('expected one of lb1, lb2');
  });
});
