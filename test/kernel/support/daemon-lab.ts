// Pieces shared by the kernel tests that run whole lvsd daemons: DR real servers with a TCP echo
// service, a client that holds one connection open, and the daemon process itself.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Netns, NetnsLab, NetnsProcess } from '../../support/netns.mjs';

export const root = resolve(import.meta.dirname, '..', '..', '..');
export const cli = join(root, 'dist', 'cli', 'main.js');

/**
 * A TCP echo server on the given ports. SIGUSR1 closes the listeners (health checks start to
 * fail) while established connections keep working; SIGUSR2 opens them again.
 */
const ECHO_SERVER = `
const net = require('node:net');
const ports = process.argv.slice(1).map(Number);
let servers = [];
const open = () => { servers = ports.map((p) => net.createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(p, '0.0.0.0')); console.log('listening ' + ports.join(',')); };
process.on('SIGUSR1', () => { for (const s of servers) s.close(); servers = []; console.log('closed listeners'); });
process.on('SIGUSR2', open);
open();
`;

/** Holds one TCP connection to vip:port open and exchanges a line every 100 ms, for at most 5 minutes. */
const heldClient = (vip: string, port: number): string => `
const net = require('node:net');
const s = net.connect(${port}, '${vip}');
let n = 0;
s.setEncoding('utf8');
s.on('connect', () => console.log('connected'));
s.on('data', (d) => console.log('echo ' + d.trim().split('\\n').pop()));
s.on('error', (e) => { console.log('error ' + e.code); process.exit(2); });
s.on('close', () => { console.log('closed'); process.exit(3); });
setInterval(() => { if (n >= 3000) process.exit(0); s.write('ping ' + (++n) + '\\n'); }, 100);
`;

export async function startEchoServer(ns: Netns, ports: number[]): Promise<NetnsProcess> {
  const p = ns.spawn('node', ['-e', ECHO_SERVER, ...ports.map(String)]);
  await p.waitForOutput(/listening/, 30_000);
  return p;
}

/** Makes `ns` a DR real server for `vip` (VIP on lo, no ARP for it) and starts the echo server. */
export async function startDrRealServer(ns: Netns, address: string, vip: string, ports: number[]): Promise<NetnsProcess> {
  ns.addr('eth0', `${address}/24`);
  ns.ip('addr', 'add', `${vip}/32`, 'dev', 'lo');
  ns.sysctl('net.ipv4.conf.all.arp_ignore', '1');
  ns.sysctl('net.ipv4.conf.all.arp_announce', '2');
  return startEchoServer(ns, ports);
}

export async function startHeldClient(ns: Netns, vip: string, port: number, timeoutMs = 30_000): Promise<NetnsProcess> {
  const p = ns.spawn('node', ['-e', heldClient(vip, port)]);
  await p.waitForOutput(/echo ping 3\b/, timeoutMs);
  return p;
}

export const echoCount = (p: NetnsProcess): number => (p.output.match(/echo ping \d+/g) ?? []).length;

/** `lvsd run` in `ns`; `args` e.g. --node NAME for a file with nodes:. Two starting at once under TCG take about a minute. */
export async function startDaemon(ns: Netns, configPath: string, args: readonly string[] = [], timeoutMs = 60_000): Promise<NetnsProcess> {
  const p = ns.spawn('node', [cli, 'run', '-c', configPath, ...args]);
  try {
    await p.waitForOutput(/lvsd running/, timeoutMs);
  } catch (err) {
    p.killNow();
    throw new Error(`${(err as Error).message}; its output: ${p.output.slice(-3000)}`);
  }
  return p;
}

/** `ipvsadm -Sn` of a namespace as sorted lines (the kernel lists services in hash order). */
export const ipvsRules = (ns: Netns): string[] => ns.exec('ipvsadm', ['-Sn']).trim().split('\n').filter(Boolean).sort();

/** afterAll of a daemon lab: processes by PID, then the namespaces, then the config directory. */
export async function tearDown(procs: readonly NetnsProcess[], lab: NetnsLab, dir: string | undefined): Promise<void> {
  await Promise.all(procs.map((p) => p.stop(5_000)));
  await lab.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
