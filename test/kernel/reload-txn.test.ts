// Reload as a transaction, and knowing what is ours after a restart, on a real IPVS kernel
// (issue 11, items 3 and 4): an lvsd pair with 2,000 services and 1 s adverts.
//  - a one-weight reload and a minute idle (covering two resyncs, every 30 s here) never move the backup
//    out of BACKUP, and the weight reaches the kernel;
//  - a port change replaces the service: nothing is left on the old port;
//  - a reload the kernel refuses (a scheduler module that cannot be loaded) keeps the old config
//    and succeeds when repeated once the module can load;
//  - kill -9, a service dropped from the file, restart (with a SIGHUP during start): the dropped
//    service is gone, one added by hand with ipvsadm is still there, the SIGHUP ran after start.
// Real servers have no checks (always up at their weight): the subject here is the control
// plane, not health checking, and 2,000 checks per node would only slow the VM down.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lan, NetnsLab, waitFor, type Netns, type NetnsProcess } from '../support/netns.mjs';
import { describeWith } from '../support/needs.js';
import { callDaemon } from '../../src/cli/control-client.js';
import type { StatusReport } from '../../src/daemon/status.js';
import { cli, tearDown } from './support/daemon-lab.js';

const VIP = '198.18.0.100';
const SERVICES = 2_000;
const BASE_PORT = 10_000;
const MODPROBE = '/proc/sys/kernel/modprobe';
/** ipvs.resync_interval: the minute idle covers two periodic full resyncs on each node. */
const RESYNC_S = 30;

interface Edits {
  weight0?: number;
  port1?: number;
  scheduler2?: string;
  drop3?: boolean;
}

function config(node: string, priority: number, dir: string, edits: Edits = {}): string {
  const services: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    if (i === 3 && edits.drop3) continue;
    const port = i === 1 && edits.port1 ? edits.port1 : BASE_PORT + i;
    const scheduler = i === 2 && edits.scheduler2 ? edits.scheduler2 : 'wrr';
    const weight = i === 0 && edits.weight0 !== undefined ? edits.weight0 : 100;
    services.push(`  - { name: s${i}, vip: ${VIP}, port: ${port}, protocol: tcp, scheduler: ${scheduler}, forwarding: dr, real_servers: [{ address: 198.18.0.11, weight: ${weight} }] }`);
  }
  return `node: { name: ${node} }
control: { socket: ${dir}/${node}.sock }
metrics: { listen: 127.0.0.1:9810 }
ipvs: { state_dir: ${dir}/${node}-state, resync_interval: ${RESYNC_S}s }
vrrp:
  instances:
    - name: web
      interface: eth0
      vrid: 52
      priority: ${priority}
      version: 3
      advert_interval: 1s
      vips: [${VIP}/24]
services:
${services.join('\n')}
`;
}

/** A scheduler module the kernel has not loaded: loading it is what the test makes fail. */
function unloadedScheduler(): string {
  const loaded = readFileSync('/proc/modules', 'utf8');
  const pick = ['nq', 'sed', 'fo', 'ovf', 'dh', 'lblcr', 'lblc'].find((s) => !new RegExp(`^ip_vs_${s} `, 'm').test(loaded));
  if (!pick) throw new Error('every candidate scheduler module is already loaded');
  return pick;
}

describeWith(['root', 'ipvs', 'ipvsadm', 'netns'], 'reload transaction and managed services with 2,000 services', () => {
  const lab = new NetnsLab('reloadtx');
  const procs: NetnsProcess[] = [];
  const daemons = new Map<string, NetnsProcess>();
  let dir: string;
  let lb1: Netns, lb2: Netns;
  let backupSettledAt = 0;

  const sock = (node: string): string => join(dir, `${node}.sock`);
  const configPath = (node: string): string => join(dir, `${node}.yaml`);
  const hasVip = (ns: Netns): boolean => ns.addresses('eth0').some((a) => a.startsWith(`${VIP}/`));
  const rules = (ns: Netns): string => ns.exec('ipvsadm', ['-Sn'], { timeoutMs: 120_000 });
  // Two minutes: parsing 2,000 services and reading them back takes seconds under TCG.
  const reload = (node: string, force = false) => callDaemon(sock(node), 'reload', { force }, 120_000) as Promise<{ ok: boolean; changed?: boolean; hash?: string; errors?: string[] }>;
  const configHash = async (node: string): Promise<string> => ((await callDaemon(sock(node), 'status')) as StatusReport).configHash;
  /** lb2's VRRP transitions since it settled as backup, from its log. */
  const lb2LeftBackup = (): string[] => (daemons.get('lb2')?.output.slice(backupSettledAt).match(/VRRP web: backup -> \w+[^"]*/g) ?? []);

  const start = async (node: string, ns: Netns, onControlReady?: (p: NetnsProcess) => void): Promise<NetnsProcess> => {
    const p = ns.spawn('node', [cli, 'run', '-c', configPath(node)]);
    procs.push(p);
    daemons.set(node, p);
    if (onControlReady) {
      await p.waitForOutput(/control socket ready/, 120_000);
      onControlReady(p);
    }
    await p.waitForOutput(/lvsd running/, 300_000);
    return p;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvsd-reloadtx-'));
    const sw = lab.ns('sw');
    lb1 = lab.ns('lb1');
    lb2 = lab.ns('lb2');
    lan(sw, [lb1, lb2].map((ns) => ({ ns, ifname: 'eth0' })));
    lb1.addr('eth0', '198.18.0.3/24');
    lb2.addr('eth0', '198.18.0.4/24');
    writeFileSync(configPath('lb1'), config('lb1', 150, dir));
    writeFileSync(configPath('lb2'), config('lb2', 100, dir));
    // lb2 first: it settles as backup once lb1 starts advertising.
    await Promise.all([start('lb1', lb1), start('lb2', lb2)]);
    await waitFor('lb1 to hold the VIP and lb2 not', () => hasVip(lb1) && !hasVip(lb2), { timeoutMs: 60_000, intervalMs: 200 });
    backupSettledAt = daemons.get('lb2')?.output.length ?? 0;
  }, 600_000);

  afterAll(async () => {
    // The modprobe path is global to the VM: put it back even when a test failed half-way.
    writeFileSync(MODPROBE, '/sbin/modprobe\n');
    await tearDown(procs, lab, dir);
  }, 60_000);

  it('takes a one-weight reload and a minute idle (covering two resyncs) without the backup leaving BACKUP', async () => {
    writeFileSync(configPath('lb1'), config('lb1', 150, dir, { weight0: 7 }));
    const t0 = performance.now();
    expect(await reload('lb1')).toMatchObject({ ok: true, changed: true });
    console.log(`one-weight reload of ${SERVICES} services: ${((performance.now() - t0) / 1000).toFixed(1)} s (VM)`);
    expect(rules(lb1)).toContain(`-a -t ${VIP}:${BASE_PORT} -r 198.18.0.11:${BASE_PORT} -g -w 7`);
    // The periodic full resync runs at least twice on each node.
    const until = performance.now() + (2 * RESYNC_S + 5) * 1000;
    while (performance.now() < until) {
      expect(hasVip(lb2)).toBe(false);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(lb2LeftBackup()).toEqual([]);
    expect(hasVip(lb1)).toBe(true);
  }, 300_000);

  it('replaces a service whose port changed: nothing is left on the old port', async () => {
    writeFileSync(configPath('lb1'), config('lb1', 150, dir, { weight0: 7, port1: 20_001 }));
    expect(await reload('lb1')).toMatchObject({ ok: true, changed: true });
    const saved = rules(lb1);
    expect(saved).not.toContain(`${VIP}:${BASE_PORT + 1} `);
    expect(saved).toContain(`-A -t ${VIP}:20001 -s wrr`);
    expect(saved).toContain(`-a -t ${VIP}:20001 -r 198.18.0.11:20001 -g -w 100`);
  }, 300_000);

  it('keeps the old config when the kernel refuses the reload, and succeeds when it is repeated', async () => {
    const scheduler = unloadedScheduler();
    const before = rules(lb1);
    const hash = await configHash('lb1');
    writeFileSync(configPath('lb1'), config('lb1', 150, dir, { weight0: 7, port1: 20_001, scheduler2: scheduler }));
    writeFileSync(MODPROBE, '/bin/false\n');
    let failed: Awaited<ReturnType<typeof reload>>;
    try {
      failed = await reload('lb1');
    } finally {
      writeFileSync(MODPROBE, '/sbin/modprobe\n');
    }
    expect(failed.ok).toBe(false);
    expect(failed.errors?.join('\n')).toMatch(/IPVS change\(s\) failed, first: edit service tcp 198\.18\.0\.100:10002/);
    expect(await configHash('lb1')).toBe(hash);
    expect(rules(lb1)).toBe(before);
    const retried = await reload('lb1');
    expect(retried).toMatchObject({ ok: true, changed: true });
    expect(retried.hash).not.toBe(hash);
    expect(rules(lb1)).toContain(`-A -t ${VIP}:${BASE_PORT + 2} -s ${scheduler}`);
  }, 300_000);

  it('after kill -9 and a restart with a service dropped: removes it, keeps one added by hand, runs a SIGHUP sent during start after it', async () => {
    const old = daemons.get('lb2') as NetnsProcess;
    old.killNow();
    await old.waitForExit(10_000);
    lb2.exec('ipvsadm', ['-A', '-t', '198.18.0.200:80', '-s', 'rr']);
    writeFileSync(configPath('lb2'), config('lb2', 100, dir, { drop3: true }));
    const p = await start('lb2', lb2, (proc) => process.kill(proc.pid as number, 'SIGHUP'));
    expect(p.running).toBe(true);
    expect(p.output).toMatch(/SIGHUP during start: the reload runs when start is done/);
    await p.waitForOutput(/reload: configuration unchanged/, 60_000);
    expect(p.output.indexOf('reload: configuration unchanged')).toBeGreaterThan(p.output.indexOf('lvsd running'));
    expect(p.output).toMatch(/delete service tcp 198\.18\.0\.100:10003/);
    const saved = rules(lb2);
    expect(saved).not.toContain(`${VIP}:${BASE_PORT + 3} `);
    expect(saved).toContain('-A -t 198.18.0.200:80 -s rr');
    expect(saved).toContain(`-A -t ${VIP}:${BASE_PORT + 4} -s wrr`);
  }, 420_000);
});
