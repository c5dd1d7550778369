// Round trip of `lvsd import keepalived`: one keepalived.conf for both nodes (@lb1/@lb2 lines
// and $VARIABLES; VRRPv3 at 100 ms, VRRPv2 at 1 s, unicast, IPv6, a sync group). keepalived runs
// it as one node, lvsd runs the import of it as the other, then the roles are swapped; both
// times the pair elects the same master as two keepalived nodes would: lb1, priority 150.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { importKeepalived } from '../../src/import/convert.js';
import { fileSystem } from '../../src/import/files.js';
import { describeWith } from '../support/needs.js';
import { NetnsLab, veth, waitFor, type Netns } from '../support/netns.mjs';
import { Keepalived } from './support/vrrp-keepalived.js';
import { assertBuilt, VrrpNode, VrrpProcesses, waitForState, waitForVipOn } from './support/vrrp-lab.js';

const CONF = resolve('test/fixtures/keepalived/roundtrip/keepalived.conf');
const ADDRESS = { lb1: '198.18.1.1', lb2: '198.18.1.2' } as const;
const VIPS = { fast3: '198.18.1.40', slow2: '198.18.1.41', uni3: '198.18.1.42', six: '2001:2:0:1::43' } as const;
type Node = keyof typeof ADDRESS;

function imported(node: Node): string {
  const result = importKeepalived(CONF, fileSystem, { configId: node, display: (p) => p });
  expect(result.findings.filter((f) => f.kind === 'dropped'), 'dropped settings').toEqual([]);
  expect(result.checkErrors).toEqual([]);
  expect(result.complete).toBe(true);
  return result.yaml;
}

describeWith(['root', 'netns', 'keepalived'], 'lvsd import keepalived: round trip against keepalived', () => {
  let lab: NetnsLab;
  let procs: VrrpProcesses;
  let keepalived: Keepalived | undefined;
  const ns = {} as Record<Node, Netns>;

  beforeEach(async () => {
    assertBuilt();
    lab = new NetnsLab('kaimp');
    procs = new VrrpProcesses();
    ns.lb1 = lab.ns('lb1');
    ns.lb2 = lab.ns('lb2');
    veth(ns.lb1, 'eth0', ns.lb2, 'eth0');
    ns.lb1.addr('eth0', `${ADDRESS.lb1}/24`);
    ns.lb2.addr('eth0', `${ADDRESS.lb2}/24`);
    await waitFor('link-local addresses', () => [ns.lb1, ns.lb2].every((n) => n.linkLocal('eth0') !== undefined));
  });

  afterEach(async () => {
    await keepalived?.stop();
    keepalived?.dispose();
    keepalived = undefined;
    await procs.cleanup();
    await lab.cleanup();
  });

  /** keepalived as `kaNode`, lvsd (imported) as the other; lb1 must win every instance. */
  async function pair(kaNode: Node): Promise<VrrpNode> {
    const lvNode: Node = kaNode === 'lb1' ? 'lb2' : 'lb1';
    const text = readFileSync(CONF, 'utf8');
    let lvsd: VrrpNode;
    [lvsd, keepalived] = await Promise.all([VrrpNode.start(procs, ns[lvNode], lvNode, imported(lvNode)), Keepalived.start(ns[kaNode], text, kaNode)]);
    // VRRPv2 at 1 s needs Master_Down_Interval (about 3.6 s) before its first master.
    for (const vip of Object.values(VIPS)) await waitForVipOn([ns.lb1, ns.lb2], 'eth0', vip, ns.lb1, 8_000);
    const lvsdState = lvNode === 'lb1' ? 'master' : 'backup';
    for (const name of Object.keys(VIPS)) await waitForState(lvsd, name, lvsdState);
    for (const name of Object.keys(VIPS)) {
      const view = await lvsd.instance(name);
      expect(view.splitBrain, name).toEqual([]);
      if (lvsdState === 'backup') expect(view.currentMaster?.priority, name).toBe(150);
    }
    return lvsd;
  }

  it('keepalived as lb1 (150) and lvsd as lb2 (100): keepalived is master of every instance', async () => {
    await pair('lb1');
  });

  it('lvsd as lb1 (150) and keepalived as lb2 (100): lvsd is master of every instance', async () => {
    await pair('lb2');
    expect(keepalived?.log).not.toMatch(/checksum error|bad checksum/i);
  });
});
