// The peer protocol on a real IPVS kernel (issue 13, items 2 and 5): two lvsd daemons with VRRP
// (lb1 master), one file with nodes: (the peer addresses are the nodes' unicast_source), real
// servers that only need to accept TCP for their checks (busybox httpd, light under TCG).
//  - `lvsd drain` on lb1 reaches lb2's IPVS; after lb1 dies (kill -9) lb2 is master and the real
//    server is still at weight 0 there (on old main the new master served it at full weight).
//  - `lvsd add-server` on lb2 (now master): the new real server is not in IPVS while its check
//    fails, and is (`ipvsadm -Sn`) at its weight once the check passes.
// A restarted node catching up is test/netns/peer-sync.test.ts (a daemon start costs ~30 s here).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callControl } from '../../src/cli/control-client.js';
import type { StatusReport } from '../../src/daemon/status.js';
import { describeWith } from '../support/needs.js';
import { lan, NetnsLab, waitFor, type Netns, type NetnsProcess } from '../support/netns.mjs';
import { ipvsRules, startDaemon, tearDown } from './support/daemon-lab.js';

const VIP = '198.18.0.100';
const LB = { lb1: '198.18.0.3', lb2: '198.18.0.4' } as const;
const RS = ['198.18.0.11', '198.18.0.12', '198.18.0.13'] as const;
type Lb = keyof typeof LB;

function config(dir: string): string {
  const node = (n: Lb, i: number, priority: number): string =>
    `  ${n}: { unicast_source: ${LB[n]}, control: { socket: ${dir}/${n}.sock }, metrics: { listen: "127.0.0.1:${9821 + i}" }, ipvs: { state_dir: ${dir}/${n} }, instances: { web: { priority: ${priority} } } }`;
  return `peer: { secret: "kernel test secret of the pair" }
vrrp:
  instances:
    - { name: web, interface: eth0, vrid: 61, advert_interval: 1s, garp: { repeat: 1, delay: 0s }, vips: [${VIP}/24] }
services:
  - name: web
    vip: ${VIP}
    port: 80
    scheduler: wrr
    forwarding: dr
    check: { type: tcp, interval: 1s, timeout: 500ms, rise: 1, fall: 1 }
    real_servers:
      - { address: ${RS[0]}, port: 80, weight: 100 }
      - { address: ${RS[1]}, port: 80, weight: 100 }
nodes:
${node('lb1', 0, 150)}
${node('lb2', 1, 100)}
`;
}

describeWith(['root', 'ipvs', 'ipvsadm', 'netns', 'busybox'], 'runtime changes follow a failover to the peer on a real IPVS kernel', () => {
  const lab = new NetnsLab('peerfo');
  const procs: NetnsProcess[] = [];
  const lbs = {} as Record<Lb, Netns>;
  const daemons = {} as Record<Lb, NetnsProcess>;
  let rs3ns: Netns;
  let dir: string;
  let configPath: string;

  const call = (n: Lb, method: string, params: Record<string, unknown> = {}) => callControl(join(dir, `${n}.sock`), method, params, 30_000);
  const status = async (n: Lb): Promise<StatusReport> => (await call(n, 'status')) as StatusReport;
  const rule = (n: Lb, address: string): string | undefined => ipvsRules(lbs[n]).find((l) => l.includes(`-r ${address}:80 `));
  const start = async (n: Lb): Promise<void> => {
    daemons[n] = await startDaemon(lbs[n], configPath, ['--node', n], 120_000);
    procs.push(daemons[n]);
  };
  const vrrpState = async (n: Lb): Promise<string | undefined> => (await status(n)).vrrp[0]?.state;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvsd-peerfo-'));
    configPath = join(dir, 'lvsd.yaml');
    writeFileSync(configPath, config(dir));
    const sw = lab.ns('sw');
    lbs.lb1 = lab.ns('lb1');
    lbs.lb2 = lab.ns('lb2');
    const rs = RS.map((_, i) => lab.ns(`rs${i + 1}`));
    lan(sw, [lbs.lb1, lbs.lb2, ...rs].map((ns) => ({ ns, ifname: 'eth0' })));
    lbs.lb1.addr('eth0', `${LB.lb1}/24`);
    lbs.lb2.addr('eth0', `${LB.lb2}/24`);
    RS.forEach((a, i) => (rs[i] as Netns).addr('eth0', `${a}/24`));
    // rs3 is not in the file, and its check must fail first: it listens only later.
    for (const [i, a] of RS.slice(0, 2).entries()) procs.push((rs[i] as Netns).spawn('busybox', ['httpd', '-f', '-p', `${a}:80`]));
    rs3ns = rs[2] as Netns;
    const t0 = performance.now();
    await Promise.all([start('lb1'), start('lb2')]);
    console.log(`peer-failover: both daemons running ${((performance.now() - t0) / 1000).toFixed(1)} s after their start (TCG)`);
    await waitFor('lb1 master, both real servers in IPVS on both nodes', async () => (await vrrpState('lb1')) === 'master' && (['lb1', 'lb2'] as const).every((n) => RS.slice(0, 2).every((a) => rule(n, a)?.endsWith('-w 100'))), { timeoutMs: 30_000, intervalMs: 250 });
    await waitFor('the peers connected', async () => (await status('lb2')).peer?.peers[0]?.connected === true && (await status('lb1')).peer?.peers[0]?.connected === true, { timeoutMs: 20_000, intervalMs: 250 });
  }, 240_000);

  afterAll(() => tearDown(procs, lab, dir), 60_000);

  it('a drain set on the master is in force on the peer, and stays after the peer takes over', async () => {
    await call('lb1', 'drain', { service: 'web', realServer: RS[0] });
    const set = performance.now();
    await waitFor('lb2 drained rs1', () => rule('lb2', RS[0])?.endsWith('-w 0') === true, { timeoutMs: 10_000, intervalMs: 50 });
    console.log(`peer: lb2's IPVS had the drain ${(performance.now() - set).toFixed(0)} ms after lb1 acknowledged it (TCG; ipvsadm polled every 50 ms)`);
    daemons.lb1.killNow();
    await daemons.lb1.waitForExit(10_000);
    await waitFor('lb2 master', async () => (await vrrpState('lb2')) === 'master', { timeoutMs: 20_000, intervalMs: 250 });
    expect(rule('lb2', RS[0])).toBe(`-a -t ${VIP}:80 -r ${RS[0]}:80 -g -w 0`);
    expect(rule('lb2', RS[1])).toBe(`-a -t ${VIP}:80 -r ${RS[1]}:80 -g -w 100`);
    expect((await status('lb2')).services[0]?.realServers[0]).toMatchObject({ override: 'drain', overrideSource: 'peer', overrideNode: 'lb1' });
  });

  it('a real server added at runtime is health-checked before it reaches IPVS', async () => {
    expect(await call('lb2', 'add-server', { service: 'web', realServer: RS[2], weight: 50 })).toMatchObject({ change: 'added', realServer: `${RS[2]}:80` });
    // Several failed checks (every 1 s): not in the kernel.
    await waitFor('rs3 checked and found down', async () => (await status('lb2')).services[0]?.realServers.find((r) => r.server === `${RS[2]}:80`)?.health === 'down', { timeoutMs: 15_000, intervalMs: 250 });
    expect(rule('lb2', RS[2])).toBeUndefined();
    procs.push(rs3ns.spawn('busybox', ['httpd', '-f', '-p', `${RS[2]}:80`]));
    await waitFor('rs3 in IPVS at weight 50', () => rule('lb2', RS[2]) === `-a -t ${VIP}:80 -r ${RS[2]}:80 -g -w 50`, { timeoutMs: 20_000, intervalMs: 250 });
    expect((await status('lb2')).services[0]?.runtimeChanges).toEqual([expect.objectContaining({ server: `${RS[2]}:80`, change: 'add', weight: 50, node: 'lb2' })]);
  });
});
