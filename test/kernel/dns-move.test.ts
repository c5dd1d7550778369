// A real server given by DNS name moves while a client streams requests, on a real IPVS kernel
// (issue 17, item 1): dnsmasq serves the name from a hosts file the test edits (SIGHUP re-reads
// it); lvsd resolves it, checks the new address, adds it, drains the old one (a held connection
// on it keeps working) and deletes it. No request fails. The time from the DNS change (SIGHUP)
// to the kernel update is taken from the daemon's log timestamps (same clock) and printed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../support/needs.js';
import { lan, NetnsLab, waitFor, type Netns, type NetnsProcess } from '../support/netns.mjs';
import { echoCount, ipvsRules, startDaemon, startDrRealServer, startHeldClient, tearDown } from './support/daemon-lab.js';

const VIP = '198.18.0.100';
const RS = ['198.18.0.11', '198.18.0.12'] as const;
const DNS = '198.18.0.53';

/** New connections to vip:80 one after another, each sends a line and waits for its echo; prints the tally once a second. */
const STREAM = `
const net = require('node:net');
let ok = 0, fail = 0, n = 0;
const one = () => new Promise((resolve) => {
  const s = net.connect(80, '${VIP}');
  const t = setTimeout(() => { s.destroy(); fail++; resolve(); }, 3000);
  s.setEncoding('utf8');
  s.on('connect', () => s.write('req ' + (++n) + '\\n'));
  s.on('data', () => { clearTimeout(t); ok++; s.end(); resolve(); });
  s.on('error', () => { clearTimeout(t); fail++; resolve(); });
});
setInterval(() => console.log('tally ok=' + ok + ' fail=' + fail), 1000);
process.on('SIGTERM', () => { console.log('done ok=' + ok + ' fail=' + fail); process.exit(0); });
(async () => { for (let i = 0; i < 100000; i++) await one(); })();
`;

function config(dir: string): string {
  return `node: { name: lb1 }
control: { socket: ${dir}/lb1.sock }
metrics: { listen: 127.0.0.1:9813, ipvs_stats_interval: 1s }
ipvs: { state_dir: ${dir}/state }
resolver: { nameservers: [${DNS}], timeout: 2s, ttl_floor: 200ms, hold: 1m }
services:
  - name: web
    vip: ${VIP}
    port: 80
    protocol: tcp
    scheduler: wrr
    forwarding: dr
    drain_timeout: 1m
    check: { type: tcp, interval: 500ms, timeout: 400ms, rise: 1, fall: 2 }
    real_servers:
      - { address: app1.lab.test, port: 80, weight: 100 }
`;
}

describeWith(['root', 'ipvs', 'ipvsadm', 'netns', 'dnsmasq'], 'a real server given by DNS name moves under a streaming client', () => {
  const lab = new NetnsLab('dnsmove');
  const procs: NetnsProcess[] = [];
  let dir: string;
  let hostsFile: string;
  let client: Netns, lb1: Netns;
  let daemon: NetnsProcess;
  let dnsmasq: NetnsProcess;

  const rule = (address: string): string | undefined => ipvsRules(lb1).find((l) => l.includes(`-r ${address}:80 `));
  /** Points app1.lab.test at `address` and has dnsmasq re-read its hosts file; the wall-clock ms of the signal. */
  const pointAt = (address: string): number => {
    writeFileSync(hostsFile, `${address} app1.lab.test\n`);
    const at = Date.now();
    process.kill(dnsmasq.pid as number, 'SIGHUP');
    return at;
  };
  /** Epoch ms of the daemon's first log line (pino JSON) containing `text` after `since`. */
  const loggedAt = async (text: string, since: number): Promise<number> =>
    waitFor(`the daemon to log "${text}"`, () => {
      for (const line of daemon.output.split('\n')) {
        if (!line.includes(text)) continue;
        const time = Number(/"time":(\d+)/.exec(line)?.[1]);
        if (time >= since) return time;
      }
      return undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lvsd-dnsmove-'));
    hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, `${RS[0]} app1.lab.test\n`);
    const configPath = join(dir, 'lb1.yaml');
    writeFileSync(configPath, config(dir));
    const sw = lab.ns('sw');
    client = lab.ns('client');
    lb1 = lab.ns('lb1');
    const dns = lab.ns('dns');
    const rs1 = lab.ns('rs1');
    const rs2 = lab.ns('rs2');
    lan(sw, [client, lb1, dns, rs1, rs2].map((ns) => ({ ns, ifname: 'eth0' })));
    client.addr('eth0', '198.18.0.2/24');
    lb1.addr('eth0', '198.18.0.3/24');
    lb1.addr('eth0', `${VIP}/24`);
    dns.addr('eth0', `${DNS}/24`);
    dnsmasq = dns.spawn('dnsmasq', ['--no-daemon', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', `--addn-hosts=${hostsFile}`, '--local=/lab.test/', '--local-ttl=1', `--listen-address=${DNS}`, '--bind-interfaces', '--pid-file=', '--log-facility=-']);
    procs.push(dnsmasq);
    await dnsmasq.waitForOutput(/started, version/, 30_000);
    for (const [ns, ip] of [[rs1, RS[0]], [rs2, RS[1]]] as const) procs.push(await startDrRealServer(ns, ip, VIP, [80]));
    daemon = await startDaemon(lb1, configPath);
    procs.push(daemon);
    await waitFor('app1 in IPVS', () => rule(RS[0])?.endsWith('-w 100'), { timeoutMs: 30_000, intervalMs: 200 });
  }, 180_000);

  afterAll(() => tearDown(procs, lab, dir), 60_000);

  it('adds the new address once checked, drains the old one then deletes it; no request fails', async () => {
    // A connection held on the first address, and a stream of new connections.
    const held = await startHeldClient(client, VIP, 80, 60_000);
    procs.push(held);
    const stream = client.spawn('node', ['-e', STREAM]);
    procs.push(stream);
    await stream.waitForOutput(/tally ok=[1-9]/, 60_000);

    const detect: number[] = [];
    const added: number[] = [];
    const moves = [RS[1], RS[0], RS[1]] as const;
    let from: string = RS[0];
    for (const [k, to] of moves.entries()) {
      const at = pointAt(to);
      detect.push((await loggedAt(`web/app1.lab.test changed its address from ${from} to ${to}`, at)) - at);
      added.push((await loggedAt(`add real server ${to}:80 to tcp ${VIP}:80`, at)) - at);
      await waitFor(`${to} serving`, () => rule(to)?.endsWith('-w 100'), { timeoutMs: 20_000, intervalMs: 200 });
      if (k === 0) {
        // The held connection is on the old address: drained (weight 0), still echoing.
        await waitFor(`${from} drained`, () => rule(from)?.endsWith('-w 0'), { timeoutMs: 20_000, intervalMs: 200 });
        const echoed = echoCount(held);
        await waitFor('the held connection to keep echoing through the drain', () => echoCount(held) >= echoed + 5, { timeoutMs: 20_000, intervalMs: 100 });
        expect(held.output).not.toMatch(/error|closed/);
        await held.stop(5_000);
        await loggedAt(`delete real server ${from}:80 of tcp ${VIP}:80 (drained: no active connections left)`, at);
      }
      await waitFor(`${from} gone from ipvsadm`, () => rule(from) === undefined, { timeoutMs: 20_000, intervalMs: 200 });
      from = to;
    }
    await stream.stop(5_000);
    const done = /done ok=(\d+) fail=(\d+)/.exec(stream.output) ?? [...stream.output.matchAll(/tally ok=(\d+) fail=(\d+)/g)].pop();
    expect(Number(done?.[2])).toBe(0);
    expect(Number(done?.[1])).toBeGreaterThan(10);
    const stats = (xs: number[]): string => {
      const s = [...xs].sort((a, b) => a - b);
      return `median ${s[Math.floor(s.length / 2)]} ms, min ${s[0]} ms, max ${s[s.length - 1]} ms`;
    };
    console.log(`dns move (${moves.length} moves, TCG, TTL 1 s, check interval 500 ms, rise 1): DNS change -> move logged ${stats(detect)}; -> new address in the kernel ${stats(added)}; requests ok=${done?.[1]} failed=${done?.[2]}`);
  }, 150_000);
});
