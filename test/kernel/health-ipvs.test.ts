// What health checks do to IPVS, on a real kernel: a failed real server is removed (on_failure:
// remove) or set to weight 0 (drain), comes back when it recovers, and a service below quorum
// switches to its sorry server and back. An established connection through a draining real
// server keeps working.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callDaemon } from '../../src/cli/control-client.js';
import { describeWith } from '../support/needs.js';
import { lan, NetnsLab, waitFor, type Netns, type NetnsProcess } from '../support/netns.mjs';
import { echoCount, ipvsRules, startDaemon, startDrRealServer, startHeldClient, tearDown } from './support/daemon-lab.js';

const VIP = '198.18.0.100';
const RS1 = '198.18.0.11';
const RS2 = '198.18.0.12';
const SORRY = '198.18.0.13';

const config = (dir: string): string => `node: { name: lb }
control: { socket: ${dir}/lb.sock }
services:
  - name: remove
    vip: ${VIP}
    port: 80
    scheduler: wrr
    check: &check { type: tcp, interval: 500ms, timeout: 300ms, rise: 1, fall: 1 }
    real_servers: [{ address: ${RS1}, weight: 100 }, { address: ${RS2}, weight: 100 }]
  - name: drain
    vip: ${VIP}
    port: 81
    scheduler: wrr
    on_failure: drain
    check: *check
    real_servers: [{ address: ${RS1}, weight: 100 }, { address: ${RS2}, weight: 100 }]
  - name: quorum
    vip: ${VIP}
    port: 82
    scheduler: wrr
    quorum: 150
    sorry_server: { address: ${SORRY} }
    check: *check
    real_servers: [{ address: ${RS1}, weight: 100 }, { address: ${RS2}, weight: 100 }]
`;

const rules = (rows: Array<[number, string, number]>): string[] =>
  [
    ...[80, 81, 82].map((port) => `-A -t ${VIP}:${port} -s wrr`),
    ...rows.map(([port, rs, weight]) => `-a -t ${VIP}:${port} -r ${rs}:${port} -g -w ${weight}`),
  ].sort();

const allUp = rules([
  [80, RS1, 100],
  [80, RS2, 100],
  [81, RS1, 100],
  [81, RS2, 100],
  [82, RS1, 100],
  [82, RS2, 100],
]);

describeWith(['root', 'ipvs', 'ipvsadm', 'netns'], 'health checks driving IPVS', () => {
  const lab = new NetnsLab('health');
  const procs: NetnsProcess[] = [];
  let dir: string;
  let lb: Netns, client: Netns;
  let rs1: NetnsProcess;
  const sock = (): string => join(dir, 'lb.sock');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvsd-health-'));
    chmodSync(dir, 0o755);
    const sw = lab.ns('sw');
    client = lab.ns('client');
    lb = lab.ns('lb');
    const [n1, n2, n3] = [lab.ns('rs1'), lab.ns('rs2'), lab.ns('sorry')];
    lan(sw, [client, lb, n1, n2, n3].map((ns) => ({ ns, ifname: 'eth0' })));
    client.addr('eth0', '198.18.0.2/24');
    lb.addr('eth0', '198.18.0.3/24');
    lb.addr('eth0', `${VIP}/24`);
    rs1 = await startDrRealServer(n1, RS1, VIP, [80, 81, 82]);
    procs.push(rs1, await startDrRealServer(n2, RS2, VIP, [80, 81, 82]), await startDrRealServer(n3, SORRY, VIP, [82]));
    writeFileSync(join(dir, 'lb.yaml'), config(dir));
    procs.push(await startDaemon(lb, join(dir, 'lb.yaml')));
  }, 240_000);

  afterAll(() => tearDown(procs, lab, dir), 60_000);

  it('adds real servers once they pass their first check', async () => {
    await waitFor('every real server in IPVS', () => JSON.stringify(ipvsRules(lb)) === JSON.stringify(allUp), { timeoutMs: 30_000, intervalMs: 200 });
  });

  it('removes, drains and falls back to the sorry server when a real server fails; a drained connection lives on', async () => {
    // Pin a connection to rs1 on the drain service: with rs2 drained by the operator, rs1 takes it.
    await callDaemon(sock(), 'drain', { service: 'drain', realServer: RS2 });
    const held = await startHeldClient(client, VIP, 81);
    procs.push(held);
    await callDaemon(sock(), 'enable', { service: 'drain', realServer: RS2 });
    expect(ipvsRules(lb)).toContain(`-a -t ${VIP}:81 -r ${RS2}:81 -g -w 100`);

    rs1.child.kill('SIGUSR1');
    const failed = rules([
      [80, RS2, 100],
      [81, RS1, 0],
      [81, RS2, 100],
      [82, SORRY, 1],
    ]);
    const t0 = performance.now();
    await waitFor('rs1 removed, drained and the sorry server in', () => JSON.stringify(ipvsRules(lb)) === JSON.stringify(failed), { timeoutMs: 20_000, intervalMs: 100 });
    console.log(`failure reached IPVS after ${(performance.now() - t0).toFixed(0)} ms (fall 1 × interval 500 ms + timeout 300 ms)`);
    const echoed = echoCount(held);
    await waitFor('the connection through the drained rs1 to keep echoing', () => echoCount(held) >= echoed + 10, { timeoutMs: 20_000, intervalMs: 100 });
    expect(held.output).not.toMatch(/error|closed/);
  });

  it('restores the real servers and removes the sorry server on recovery', async () => {
    rs1.child.kill('SIGUSR2');
    await waitFor('every real server back', () => JSON.stringify(ipvsRules(lb)) === JSON.stringify(allUp), { timeoutMs: 20_000, intervalMs: 100 });
  });
});
