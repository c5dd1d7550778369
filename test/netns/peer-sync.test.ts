// The peer protocol between two whole daemons (daemon-node.mjs: the daemon with IPVS in memory),
// each in its own namespace on one link, from one file with nodes: (the peer addresses are the
// nodes' unicast_source). An override set on lb1 appears on lb2, named as the peer's; lb2 keeps it
// over kill -9 and a restart with lb1 gone (its own overrides.json); a change made on lb1 while
// lb2 was down reaches lb2 when both are back (the snapshot on reconnect). Prints how long an
// override took to reach the peer (median and spread over 20 changes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callControl } from '../../src/cli/control-client.js';
import type { RealServerReport, StatusReport } from '../../src/daemon/status.js';
import { describeWith } from '../support/needs.js';
import { NetnsLab, veth, type Netns } from '../support/netns.mjs';
import { assertBuilt, VrrpNode, VrrpProcesses } from './support/vrrp-lab.js';

const DAEMON_NODE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'daemon-node.mjs');
const ADDR = { lb1: '198.18.0.1', lb2: '198.18.0.2' };

describeWith(['root', 'netns'], 'peer sync of runtime changes between two daemons', () => {
  const lab = new NetnsLab('peersync');
  const procs = new VrrpProcesses();
  const ns = {} as Record<'lb1' | 'lb2', Netns>;
  const nodes = {} as Record<'lb1' | 'lb2', VrrpNode>;
  let dir = '';

  const yaml = (): string => `peer: { secret: "netns test secret of the pair" }
services:
  - name: web
    vip: 198.18.0.100
    port: 80
    real_servers: [{ address: 198.18.1.11 }, { address: 198.18.1.12 }, { address: 198.18.1.13 }]
nodes:
${(['lb1', 'lb2'] as const)
  .map((n, i) => `  ${n}:
    unicast_source: ${ADDR[n]}
    control: { socket: ${dir}/${n}.sock }
    metrics: { listen: "127.0.0.1:${19981 + i}" }
    ipvs: { state_dir: ${dir}/${n}-state }`)
  .join('\n')}
`;

  const start = async (n: 'lb1' | 'lb2'): Promise<void> => {
    nodes[n] = await VrrpNode.start(procs, ns[n], n, yaml(), { driver: DAEMON_NODE, env: { LVSD_NODE: n }, timeoutMs: 20_000 });
  };
  const call = (n: 'lb1' | 'lb2', method: string, params: Record<string, unknown> = {}) => callControl(`${dir}/${n}.sock`, method, params, 5_000);
  const status = async (n: 'lb1' | 'lb2'): Promise<StatusReport> => (await call(n, 'status')) as StatusReport;
  const server = async (n: 'lb1' | 'lb2', address: string): Promise<RealServerReport | undefined> =>
    (await status(n)).services[0]?.realServers.find((r) => r.server === `${address}:80`);
  /** Polls every 5 ms, at most `ms`; returns how long it took. */
  const until = async (what: string, probe: () => Promise<boolean>, ms = 10_000): Promise<number> => {
    const t0 = performance.now();
    while (!(await probe())) {
      if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now() - t0;
  };
  const connected = (n: 'lb1' | 'lb2') => async () => {
    const p = (await status(n)).peer?.peers[0];
    return p?.connected === true && p.inbound;
  };

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'lvsd-peersync-'));
    ns.lb1 = lab.ns('lb1');
    ns.lb2 = lab.ns('lb2');
    veth(ns.lb1, 'eth0', ns.lb2, 'eth0');
    ns.lb1.addr('eth0', `${ADDR.lb1}/24`);
    ns.lb2.addr('eth0', `${ADDR.lb2}/24`);
    await Promise.all([start('lb1'), start('lb2')]);
  });

  afterAll(async () => {
    await procs.cleanup();
    await lab.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects both ways on the nodes\' unicast_source, and an override set on lb1 appears on lb2 as the peer\'s', async () => {
    await until('both connected', async () => (await connected('lb1')()) && (await connected('lb2')()));
    expect((await status('lb2')).peer).toMatchObject({ listen: `${ADDR.lb2}:9811`, peers: [{ address: `${ADDR.lb1}:9811`, node: 'lb1' }] });
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const method = i % 2 === 0 ? 'drain' : 'enable';
      await call('lb1', method, { service: 'web', realServer: '198.18.1.13' });
      times.push(await until(`${method} on lb2`, async () => ((await server('lb2', '198.18.1.13'))?.override ?? null) === (method === 'drain' ? 'drain' : null)));
    }
    times.sort((a, b) => a - b);
    const q = (p: number): string => (times[Math.min(times.length - 1, Math.floor(p * times.length))] as number).toFixed(1);
    console.log(`override reached the peer (acknowledged on lb1 -> seen in lb2's status, 20 changes): median ${q(0.5)} ms, p10 ${q(0.1)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms`);
    await call('lb1', 'drain', { service: 'web', realServer: '198.18.1.11' });
    await until('the drain on lb2', async () => (await server('lb2', '198.18.1.11'))?.override === 'drain');
    expect(await server('lb2', '198.18.1.11')).toMatchObject({ override: 'drain', overrideSource: 'peer', overrideNode: 'lb1' });
    expect(await server('lb1', '198.18.1.11')).toMatchObject({ override: 'drain', overrideSource: 'cli', overrideNode: 'lb1' });
  });

  it('lb2 keeps the override over kill -9 and a restart while lb1 is down, and catches up on what changed meanwhile', async () => {
    await nodes.lb2.kill('SIGKILL');
    // Changed while lb2 is down: only lb1 knows, until they meet again.
    await call('lb1', 'disable', { service: 'web', realServer: '198.18.1.12' });
    await nodes.lb1.kill('SIGTERM');
    await start('lb2');
    expect(await server('lb2', '198.18.1.11')).toMatchObject({ override: 'drain', overrideSource: 'peer', overrideNode: 'lb1' });
    expect((await server('lb2', '198.18.1.12'))?.override).toBeNull();
    expect((await status('lb2')).peer?.peers[0]?.connected).toBe(false);
    await start('lb1');
    const caughtUp = await until('lb2 caught up', async () => (await server('lb2', '198.18.1.12'))?.override === 'disable');
    console.log(`lb2 caught up ${caughtUp.toFixed(0)} ms after lb1 was back`);
    expect(await server('lb2', '198.18.1.11')).toMatchObject({ override: 'drain', overrideSource: 'peer' });
    // Nothing forged or replayed was seen on the way.
    expect(Object.values((await status('lb2')).peer?.dropped ?? {}).every((n) => n === 0)).toBe(true);
  });
});
