// The daemon end to end on a real IPVS kernel: two lvsd processes in their own namespaces (each
// namespace has its own IPVS table), two real servers and a client on one LAN, DR forwarding.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lan, NetnsLab, waitFor, type Netns, type NetnsProcess } from '../support/netns.mjs';
import { describeWith } from '../support/needs.js';
import { callDaemon } from '../../src/cli/control-client.js';
import type { StatusReport } from '../../src/daemon/status.js';
import { cli, echoCount, startDaemon as spawnDaemon, startDrRealServer, startHeldClient, tearDown } from './support/daemon-lab.js';

const VIP = '198.18.0.100';

function config(node: string, priority: number, dir: string, weight2 = 50): string {
  return `node: { name: ${node} }
control: { socket: ${dir}/${node}.sock }
metrics: { listen: 127.0.0.1:9810 }
# Two nodes share this VM's file system: each keeps its own record of managed services.
ipvs: { state_dir: ${dir}/${node}-state }
vrrp:
  instances:
    - name: web
      interface: eth0
      vrid: 51
      priority: ${priority}
      version: 3
      advert_interval: 100ms
      preempt: true
      vips: [${VIP}/24]
services:
  - name: web
    vip: ${VIP}
    port: 80
    protocol: tcp
    scheduler: wrr
    forwarding: dr
    check: { type: tcp, interval: 1s, timeout: 500ms, rise: 1, fall: 2 }
    real_servers:
      - { address: 198.18.0.11, port: 80, weight: 100 }
      - { address: 198.18.0.12, port: 80, weight: ${weight2} }
`;
}

describeWith(['root', 'ipvs', 'ipvsadm', 'netns', 'busybox'], 'lvsd daemon pair on a real IPVS kernel', () => {
  const lab = new NetnsLab('daemon');
  const procs: NetnsProcess[] = [];
  let dir: string;
  let sw: Netns, client: Netns, lb1: Netns, lb2: Netns, rs1: Netns, rs2: Netns;
  const daemons = new Map<string, NetnsProcess>();

  const startDaemon = async (name: string, ns: Netns): Promise<NetnsProcess> => {
    const p = await spawnDaemon(ns, join(dir, `${name}.yaml`));
    procs.push(p);
    daemons.set(name, p);
    return p;
  };
  const lvsd = (ns: Netns, node: string, ...args: string[]) => ns.execResult('node', [cli, ...args, '-s', join(dir, `${node}.sock`)], { timeoutMs: 60_000, allowFailure: true });
  // Most calls go straight to the control socket: spawning the CLI costs seconds under TCG.
  const sock = (node: string): string => join(dir, `${node}.sock`);
  const status = (node: string): Promise<StatusReport> => callDaemon(sock(node), 'status') as Promise<StatusReport>;
  const stateOf = async (node: string): Promise<string | undefined> => (await status(node)).vrrp[0]?.state;
  const hasVip = (ns: Netns): boolean => ns.addresses('eth0').some((a) => a.startsWith(`${VIP}/`));
  const saved = (ns: Netns): string => ns.exec('ipvsadm', ['-Sn']);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvsd-daemon-'));
    // Traversable by everyone, so the non-root test below is refused by the socket's own mode.
    chmodSync(dir, 0o755);
    sw = lab.ns('sw');
    client = lab.ns('client');
    lb1 = lab.ns('lb1');
    lb2 = lab.ns('lb2');
    rs1 = lab.ns('rs1');
    rs2 = lab.ns('rs2');
    lan(sw, [client, lb1, lb2, rs1, rs2].map((ns) => ({ ns, ifname: 'eth0' })));
    client.addr('eth0', '198.18.0.2/24');
    lb1.addr('eth0', '198.18.0.3/24');
    lb2.addr('eth0', '198.18.0.4/24');
    for (const [ns, ip] of [[rs1, '198.18.0.11'], [rs2, '198.18.0.12']] as const) procs.push(await startDrRealServer(ns, ip, VIP, [80]));
    writeFileSync(join(dir, 'lb1.yaml'), config('lb1', 150, dir));
    writeFileSync(join(dir, 'lb2.yaml'), config('lb2', 100, dir));
    await Promise.all([startDaemon('lb1', lb1), startDaemon('lb2', lb2)]);
  }, 240_000);

  afterAll(() => tearDown(procs, lab, dir), 60_000);

  it('elects lb1, puts the VIP on it alone, and programs IPVS on both nodes', async () => {
    await waitFor('lb1 to be master with the VIP', async () => hasVip(lb1) && (await stateOf('lb1')) === 'master', { timeoutMs: 30_000, intervalMs: 200 });
    // Started together, lb2 may have been master for a moment; after the settle only lb1 holds it.
    await waitFor('lb2 to settle as backup without the VIP', async () => !hasVip(lb2) && (await stateOf('lb2')) === 'backup', { timeoutMs: 10_000, intervalMs: 100 });
    expect(hasVip(lb1)).toBe(true);
    const want = ['-A -t 198.18.0.100:80 -s wrr', '-a -t 198.18.0.100:80 -r 198.18.0.11:80 -g -w 100', '-a -t 198.18.0.100:80 -r 198.18.0.12:80 -g -w 50'];
    for (const ns of [lb1, lb2]) {
      await waitFor('real servers to pass their checks', () => saved(ns).trim().split('\n').length === 3, { timeoutMs: 30_000, intervalMs: 200 });
      expect(saved(ns).trim().split('\n')).toEqual(want);
    }
    const s = await status('lb1');
    expect(s.services[0]?.realServers.map((r) => [r.health, r.weight])).toEqual([['up', 100], ['up', 50]]);
  });

  it('serves status as a table too', () => {
    const out = lvsd(lb1, 'lb1', 'status');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/web\s+master\s+150/);
    expect(out.stdout).toMatch(/-> 198\.18\.0\.11:80\s+dr\s+100\/100/);
  });

  it('moves the VIP with "lvsd failover" within an advert interval plus announcement, and back with --take', async () => {
    const t0 = performance.now();
    await callDaemon(sock('lb1'), 'failover', { take: false });
    await waitFor('lb2 to hold the VIP', () => hasVip(lb2) && !hasVip(lb1), { timeoutMs: 10_000, intervalMs: 5 });
    const moved = performance.now() - t0;
    console.log(`lvsd failover (step-down): VIP on lb2 after ${moved.toFixed(0)} ms (includes polling "ip addr" under TCG)`);
    expect(moved).toBeLessThan(5_000);
    const t1 = performance.now();
    await callDaemon(sock('lb1'), 'failover', { take: true });
    await waitFor('lb1 to hold the VIP again', () => hasVip(lb1) && !hasVip(lb2), { timeoutMs: 10_000, intervalMs: 5 });
    console.log(`lvsd failover --take: VIP back on lb1 after ${(performance.now() - t1).toFixed(0)} ms`);
    await waitFor('lb2 back to backup', async () => (await stateOf('lb2')) === 'backup', { timeoutMs: 10_000, intervalMs: 50 });
  });

  it('rejects an invalid reload with file:line:col and changes nothing', async () => {
    const before = saved(lb1);
    writeFileSync(join(dir, 'lb1.yaml'), config('lb1', 150, dir).replace('scheduler: wrr', 'scheduler: wrrr'));
    const r = lvsd(lb1, 'lb1', 'reload');
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/lb1\.yaml:\d+:\d+: .*scheduler/);
    expect(saved(lb1)).toBe(before);
    expect(await stateOf('lb1')).toBe('master');
    expect(daemons.get('lb1')?.running).toBe(true);
  });

  it('applies exactly the diff of a valid reload', async () => {
    writeFileSync(join(dir, 'lb1.yaml'), config('lb1', 150, dir, 20));
    expect(await callDaemon(sock('lb1'), 'reload')).toMatchObject({ ok: true, changed: true });
    expect(saved(lb1).trim().split('\n')[2]).toBe('-a -t 198.18.0.100:80 -r 198.18.0.12:80 -g -w 20');
    const daemon = daemons.get('lb1') as NetnsProcess;
    await daemon.waitForOutput(/reload applied/, 10_000);
    const after = daemon.output.slice(daemon.output.lastIndexOf('reload rejected'));
    expect(after.match(/"msg":"(add|edit|delete) [^"]*"/g) ?? []).toEqual(['"msg":"edit real server 198.18.0.12:80 of tcp 198.18.0.100:80"']);
    expect(await stateOf('lb1')).toBe('master');
  });

  it('exposes the metric families on loopback', () => {
    const text = lb1.exec('busybox', ['wget', '-q', '-O', '-', 'http://127.0.0.1:9810/metrics']);
    for (const family of [
      'lvsd_vrrp_state',
      'lvsd_vrrp_transitions_total',
      'lvsd_vrrp_adverts_sent_total',
      'lvsd_vrrp_adverts_received_total',
      'lvsd_realserver_up',
      'lvsd_realserver_weight',
      'lvsd_ipvs_connections_total',
      'lvsd_ipvs_active_connections',
      'lvsd_reconcile_total',
      'lvsd_reconcile_duration_seconds',
      'lvsd_config_reloads_total',
      'lvsd_config_info',
    ]) {
      expect(text).toContain(`# TYPE ${family} `);
    }
    expect(text).toMatch(/lvsd_vrrp_state\{vrrp_instance="web",state="master"\} 1/);
    expect(text).toMatch(/lvsd_config_reloads_total\{result="failure"\} 1/);
  });

  it('refuses the control socket to a non-root user', () => {
    // A bare connect as nobody (the project tree may not be readable by nobody, e.g. a 0700 clone).
    const probe = `require('node:net').connect(process.argv[1]).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.error(e.code); process.exit(1); })`;
    const r = lb1.execResult('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', probe, join(dir, 'lb1.sock')], { timeoutMs: 60_000, allowFailure: true });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('EACCES');
  });

  it('keeps an established connection through kill -9 and restart, and the restart changes nothing', async () => {
    await daemons.get('lb2')?.stop(10_000);
    const held = await startHeldClient(client, VIP, 80);
    procs.push(held);
    const before = saved(lb1);
    daemons.get('lb1')?.killNow();
    await daemons.get('lb1')?.waitForExit(10_000);
    const restarted = await startDaemon('lb1', lb1);
    expect(restarted.output).toMatch(/first reconcile made 0 changes/);
    await waitFor('lb1 master again', async () => hasVip(lb1) && (await stateOf('lb1')) === 'master', { timeoutMs: 30_000, intervalMs: 100 });
    const echoed = echoCount(held);
    await waitFor('the held connection to keep echoing', () => echoCount(held) >= echoed + 10, { timeoutMs: 30_000, intervalMs: 100 });
    expect(held.output).not.toMatch(/error|closed/);
    expect(saved(lb1)).toBe(before);
  });
});
