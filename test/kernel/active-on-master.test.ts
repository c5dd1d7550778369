// active_on: master on a real IPVS kernel: two lvsd daemons in namespaces of their own (each has
// its own IPVS table) on one LAN, with the connection sync daemon on as a NAT gateway pair runs
// it. The service with active_on: master is in `ipvsadm -Ln` of the VRRP master only; the other
// is on both. A step-down on lb1 moves it: lb1 deletes it, lb2 adds it. The full e2e lab (seven
// namespaces, real traffic) proves the same in 167 s under TCG; this pair needs a fraction.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callDaemon } from '../../src/cli/control-client.js';
import type { StatusReport } from '../../src/daemon/status.js';
import { lan, NetnsLab, waitFor, type Netns, type NetnsProcess } from '../support/netns.mjs';
import { describeWith } from '../support/needs.js';
import { startDaemon, tearDown } from './support/daemon-lab.js';

const VIP = '198.18.0.100';
const FOLLOWS = `${VIP}:80`;
const ALWAYS = `${VIP}:443`;

function config(node: string, priority: number, dir: string): string {
  return `node: { name: ${node} }
control: { socket: ${dir}/${node}.sock }
metrics: { listen: 127.0.0.1:9810 }
# Two nodes share this VM's file system: each keeps its own record of managed services.
ipvs:
  state_dir: ${dir}/${node}-state
  sync_daemon: { enabled: true, interface: eth0, sync_id: 5 }
vrrp:
  instances:
    - { name: gw, interface: eth0, vrid: 51, priority: ${priority}, advert_interval: 1s, garp: { repeat: 1, delay: 0s }, vips: [${VIP}/24] }
services:
  - { name: gw, vip: ${VIP}, port: 80, forwarding: nat, active_on: master, real_servers: [{ address: 198.18.0.11, port: 8080 }, { address: 198.18.0.12, port: 8080 }] }
  - { name: tls, vip: ${VIP}, port: 443, forwarding: nat, real_servers: [{ address: 198.18.0.11, port: 8443 }] }
`;
}

describeWith(['root', 'ipvs', 'ipvsadm', 'netns'], 'active_on: master on a real IPVS kernel', () => {
  const lab = new NetnsLab('activeon');
  const procs: NetnsProcess[] = [];
  const daemons = new Map<string, NetnsProcess>();
  let dir: string;
  let lb1: Netns, lb2: Netns;
  const log = (line: string): void => console.log(`[active-on-master] ${line}`);
  const status = (node: string): Promise<StatusReport> => callDaemon(join(dir, `${node}.sock`), 'status') as Promise<StatusReport>;
  const stateOf = async (node: string): Promise<string | undefined> => (await status(node)).vrrp[0]?.state;
  /** The virtual services of a namespace's kernel as `ipvsadm -Ln` lists them, and their real servers: "198.18.0.100:80 2". */
  const kernel = (ns: Netns): string[] => {
    const out: string[] = [];
    for (const line of ns.exec('ipvsadm', ['-Ln']).split('\n')) {
      const svc = /^TCP\s+(\S+)/.exec(line)?.[1];
      if (svc) out.push(`${svc} 0`);
      else if (/^\s+->\s+\d/.test(line) && out.length > 0) out[out.length - 1] = out.at(-1)!.replace(/ (\d+)$/, (_, n: string) => ` ${Number(n) + 1}`);
    }
    return out.sort();
  };
  /** When a daemon logged `msg` (its clock, epoch ms), the first time at or after `since`. */
  const loggedAt = (node: string, msg: string, since = 0): number | undefined => {
    for (const line of daemons.get(node)?.output.split('\n') ?? []) {
      if (!line.includes(`"msg":"${msg}`)) continue;
      const t = (JSON.parse(line) as { time: number }).time;
      if (t >= since) return t;
    }
    return undefined;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvsd-active-on-'));
    const sw = lab.ns('sw');
    lb1 = lab.ns('lb1');
    lb2 = lab.ns('lb2');
    lan(sw, [lb1, lb2].map((ns) => ({ ns, ifname: 'eth0' })));
    lb1.addr('eth0', '198.18.0.3/24');
    lb2.addr('eth0', '198.18.0.4/24');
    writeFileSync(join(dir, 'lb1.yaml'), config('lb1', 150, dir));
    writeFileSync(join(dir, 'lb2.yaml'), config('lb2', 100, dir));
    await Promise.all(
      (['lb1', 'lb2'] as const).map(async (name) => {
        // Two starting at once under TCG take about a minute, more on a busy host.
        const p = await startDaemon(name === 'lb1' ? lb1 : lb2, join(dir, `${name}.yaml`), [], 150_000);
        procs.push(p);
        daemons.set(name, p);
      }),
    );
  }, 200_000);

  afterAll(() => tearDown(procs, lab, dir), 60_000);

  it('is in the kernel of the master only; the other service is on both; the backup shows it inactive', async () => {
    await waitFor('lb1 master, lb2 backup', async () => (await stateOf('lb1')) === 'master' && (await stateOf('lb2')) === 'backup', { timeoutMs: 30_000, intervalMs: 200 });
    await waitFor('the services in place', () => kernel(lb1).length === 2 && kernel(lb2).length === 1, { timeoutMs: 10_000, intervalMs: 100 });
    expect(kernel(lb1)).toEqual([`${ALWAYS} 1`, `${FOLLOWS} 2`]);
    expect(kernel(lb2)).toEqual([`${ALWAYS} 1`]);
    const onBackup = (await status('lb2')).services.find((s) => s.name === 'gw');
    expect(onBackup).toMatchObject({ inKernel: false, activeOn: { instance: 'gw', state: 'backup', active: false } });
  });

  it('moves with a step-down: lb1 deletes it, lb2 adds it with its real servers', async () => {
    const asked = Date.now();
    await callDaemon(join(dir, 'lb1.sock'), 'failover', {}, 10_000);
    await waitFor('the service to move from lb1 to lb2', () => kernel(lb2).includes(`${FOLLOWS} 2`) && !kernel(lb1).some((s) => s.startsWith(FOLLOWS)), { timeoutMs: 15_000, intervalMs: 100 });
    expect(kernel(lb1)).toEqual([`${ALWAYS} 1`]);
    expect(kernel(lb2)).toEqual([`${ALWAYS} 1`, `${FOLLOWS} 2`]);
    expect(await stateOf('lb2')).toBe('master');
    expect((await status('lb1')).services.find((s) => s.name === 'gw')?.activeOn).toMatchObject({ state: 'backup', active: false });
    // Reported, not asserted (tests never assert speed): each daemon's log, its own clock.
    const since = (node: string, transition: string, operation: string): number => {
      const from = loggedAt(node, `VRRP gw: ${transition}`, asked - 1000) ?? NaN;
      return (loggedAt(node, operation, from) ?? NaN) - from;
    };
    log(`lb2: service added ${since('lb2', 'backup -> master', `add service tcp ${FOLLOWS}`)} ms after its transition to master`);
    log(`lb1: service deleted ${since('lb1', 'master -> backup', `delete service tcp ${FOLLOWS}`)} ms after its transition to backup`);
    for (const node of ['lb1', 'lb2']) {
      const from = asked - 1000;
      const lines = (daemons.get(node)?.output.split('\n') ?? []).filter((l) => l.startsWith('{') && (JSON.parse(l) as { time: number }).time >= from);
      log(`${node} log after the step-down:\n${lines.map((l) => { const e = JSON.parse(l) as { time: number; msg: string }; return `  +${e.time - asked} ms ${e.msg}`; }).join('\n')}`);
    }
  });
});
