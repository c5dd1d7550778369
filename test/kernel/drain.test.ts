// Graceful removal and persistent overrides on a real IPVS kernel (issue 13, items 1 and 2): one
// lvsd in its namespace holding the VIP, two DR real servers with a TCP echo service, and a
// client holding one connection open.
//  - A real server removed from the config with an established connection stays at weight 0 and
//    keeps serving it; once the client closes it, lvsd deletes it (`ipvsadm -Sn` no longer lists it).
//  - With a short drain_timeout the real server goes at the deadline, connection or not.
//  - `lvsd drain` survives kill -9 and a restart (on old main the restart put the weight back).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callDaemon } from '../../src/cli/control-client.js';
import type { StatusReport } from '../../src/daemon/status.js';
import { describeWith } from '../support/needs.js';
import { lan, NetnsLab, waitFor, type Netns, type NetnsProcess } from '../support/netns.mjs';
import { echoCount, ipvsRules, startDaemon as spawnDaemon, startDrRealServer, startHeldClient, tearDown } from './support/daemon-lab.js';

const VIP = '198.18.0.100';
const RS = ['198.18.0.11', '198.18.0.12'];

function config(dir: string, servers: readonly string[], drainTimeout: string): string {
  return `node: { name: lb1 }
control: { socket: ${dir}/lb1.sock }
metrics: { listen: 127.0.0.1:9812, ipvs_stats_interval: 1s }
ipvs: { state_dir: ${dir}/state }
services:
  - name: web
    vip: ${VIP}
    port: 80
    protocol: tcp
    scheduler: wrr
    forwarding: dr
    drain_timeout: ${drainTimeout}
    real_servers:
${servers.map((a) => `      - { address: ${a}, port: 80, weight: 100 }`).join('\n')}
`;
}

describeWith(['root', 'ipvs', 'ipvsadm', 'netns', 'busybox'], 'graceful removal and persistent overrides on a real IPVS kernel', () => {
  const lab = new NetnsLab('drain');
  const procs: NetnsProcess[] = [];
  let dir: string;
  let configPath: string;
  let client: Netns, lb1: Netns;
  let daemon: NetnsProcess;

  const sock = (): string => join(dir, 'lb1.sock');
  const status = (): Promise<StatusReport> => callDaemon(sock(), 'status') as Promise<StatusReport>;
  const rule = (address: string): string | undefined => ipvsRules(lb1).find((l) => l.includes(`-r ${address}:80 `));
  const reload = async (servers: readonly string[], drainTimeout: string): Promise<void> => {
    writeFileSync(configPath, config(dir, servers, drainTimeout));
    expect(await callDaemon(sock(), 'reload')).toMatchObject({ ok: true, changed: true });
  };
  const start = async (): Promise<NetnsProcess> => {
    daemon = await spawnDaemon(lb1, configPath);
    procs.push(daemon);
    return daemon;
  };
  /** The daemon's log line, which may reach its stdout a moment after ipvsadm shows the change. */
  const logged = (line: string): Promise<unknown> => daemon.waitForOutput(new RegExp(line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 10_000);
  const active = async (): Promise<Map<string, number>> => new Map((await status()).services[0]?.realServers.map((r) => [r.server, r.activeConnections]) ?? []);
  /** A held connection, and the real server IPVS gave it (the one whose active connections grew). */
  const hold = async (): Promise<{ held: NetnsProcess; server: string }> => {
    const before = await active();
    // Node starts slowly under TCG on a loaded host: a generous wait for the first echoes.
    const held = await startHeldClient(client, VIP, 80, 90_000);
    procs.push(held);
    let server: string | undefined;
    await waitFor('the connection to show on a real server', async () => {
      server = [...(await active())].find(([s, n]) => n > (before.get(s) ?? 0))?.[0];
      return server !== undefined;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    return { held, server: (server as string).replace(/:80$/, '') };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvsd-drain-'));
    configPath = join(dir, 'lb1.yaml');
    const sw = lab.ns('sw');
    client = lab.ns('client');
    lb1 = lab.ns('lb1');
    const rs1 = lab.ns('rs1');
    const rs2 = lab.ns('rs2');
    lan(sw, [client, lb1, rs1, rs2].map((ns) => ({ ns, ifname: 'eth0' })));
    client.addr('eth0', '198.18.0.2/24');
    lb1.addr('eth0', '198.18.0.3/24');
    // No VRRP here: the VIP is simply lb1's.
    lb1.addr('eth0', `${VIP}/24`);
    for (const [ns, ip] of [[rs1, RS[0]], [rs2, RS[1]]] as const) procs.push(await startDrRealServer(ns, ip as string, VIP, [80]));
    writeFileSync(configPath, config(dir, RS, '5m'));
    await start();
    await waitFor('both real servers in IPVS', () => RS.every((a) => rule(a) !== undefined), { timeoutMs: 30_000, intervalMs: 200 });
  }, 240_000);

  afterAll(() => tearDown(procs, lab, dir), 60_000);

  it('keeps a removed real server at weight 0 while its connection lasts, then deletes it', async () => {
    const { held, server } = await hold();
    const other = RS.find((a) => a !== server) as string;
    await reload([other], '5m');
    expect(rule(server)).toBe(`-a -t ${VIP}:80 -r ${server}:80 -g -w 0`);
    const removed = (await status()).services[0]?.realServers.find((r) => r.server === `${server}:80`);
    expect(removed).toMatchObject({ inConfig: false, weight: 0, activeConnections: 1 });
    expect(removed?.draining?.secondsLeft).toBeGreaterThan(200);
    const echoed = echoCount(held);
    await waitFor('the held connection to keep echoing through the drain', () => echoCount(held) >= echoed + 10, { timeoutMs: 30_000, intervalMs: 100 });
    expect(held.output).not.toMatch(/error|closed/);
    expect(rule(server)).toBeDefined();
    // The client closes: no active connection is left, and the next drain check deletes it.
    await held.stop(5_000);
    const closed = performance.now();
    await waitFor(`${server} to leave ipvsadm -Sn`, () => rule(server) === undefined, { timeoutMs: 60_000, intervalMs: 250 });
    console.log(`drain: real server deleted ${(performance.now() - closed).toFixed(0)} ms after its last connection closed (drain checks every 1 s; TCG)`);
    await logged(`delete real server ${server}:80 of tcp ${VIP}:80 (drained: no active connections left)`);
    await reload(RS, '5m');
  });

  it('deletes a draining real server at drain_timeout, with its connection', async () => {
    // Long enough for the reload and one ipvsadm under TCG, short enough to wait for.
    await reload(RS, '20s');
    const { held, server } = await hold();
    const removed = performance.now();
    await reload(RS.filter((a) => a !== server), '20s');
    expect(rule(server)).toBe(`-a -t ${VIP}:80 -r ${server}:80 -g -w 0`);
    expect(held.running).toBe(true);
    await waitFor(`${server} to leave ipvsadm -Sn at its deadline`, () => rule(server) === undefined, { timeoutMs: 90_000, intervalMs: 250 });
    console.log(`drain: real server with a live connection deleted ${((performance.now() - removed) / 1000).toFixed(1)} s after the reload began (drain_timeout 20 s; TCG)`);
    await logged(`delete real server ${server}:80 of tcp ${VIP}:80 (drain_timeout expired)`);
    await held.stop(5_000);
    await reload(RS, '5m');
  });

  it('keeps "lvsd drain" through kill -9 and a restart, and says it came from the CLI', async () => {
    writeFileSync(configPath, config(dir, RS, '5m'));
    await callDaemon(sock(), 'reload');
    await waitFor('both real servers back at weight 100', () => RS.every((a) => rule(a)?.endsWith('-w 100')), { timeoutMs: 30_000, intervalMs: 200 });
    await callDaemon(sock(), 'drain', { service: 'web', realServer: `${RS[0]}:80` });
    expect(rule(RS[0] as string)).toBe(`-a -t ${VIP}:80 -r ${RS[0]}:80 -g -w 0`);
    daemon.killNow();
    await daemon.waitForExit(10_000);
    await start();
    expect(rule(RS[0] as string)).toBe(`-a -t ${VIP}:80 -r ${RS[0]}:80 -g -w 0`);
    const rs = (await status()).services[0]?.realServers[0];
    expect(rs).toMatchObject({ server: `${RS[0]}:80`, override: 'drain', overrideSource: 'cli', weight: 0 });
    await callDaemon(sock(), 'enable', { service: 'web', realServer: `${RS[0]}:80` });
    expect(rule(RS[0] as string)).toBe(`-a -t ${VIP}:80 -r ${RS[0]}:80 -g -w 100`);
  });
});
