// The daemon in BGP mode, on the in-memory IPVS kernel and an in-memory VIP route table, through
// its real front doors (control socket, metrics): a VIP is announced while its service is up
// (quorum met, not disabled) and withdrawn otherwise, leftovers are removed at start, a reload
// can add the section or move it to another table, and stop withdraws everything. The
// flow-takeover sysctls are set and read back on a fake /proc/sys.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callControl } from '../../../src/cli/control-client.js';
import type { BgpStatus } from '../../../src/bgp/types.js';
import { Daemon } from '../../../src/daemon/daemon.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { inProcessVrrp, logSink, until } from '../daemon/vrrp-fakes.js';
import { FakeRoutes } from './fake-routes.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const VIP = '198.18.0.100';
// quorum 120: both real servers (100 + 50) are needed; draining one loses it.
const services = `services:\n  - { name: web, vip: ${VIP}, port: 80, scheduler: mh, scheduler_flags: [mh-port], on_failure: drain, quorum: 120, real_servers: [{ address: 198.18.1.11, weight: 100 }, { address: 198.18.1.12, weight: 50 }] }\n`;
const bgp = (dir: string, table = 100) => `bgp:\n  local_as: 65001\n  router_id: 198.18.0.1\n  table: ${table}\n  bird_socket: ${dir}/no-bird.ctl\n  peers: [{ name: edge, address: 198.18.0.254, as: 65000 }]\n`;

async function start(withBgp: boolean, leftovers: string[] = [], sysctls: Record<string, string> = { 'net/ipv4/vs/sloppy_tcp': '0', 'net/ipv4/vs/sloppy_sctp': '0' }) {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-daemon-bgp-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'lvsd.sock');
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const configPath = join(dir, 'lvsd.yaml');
  const write = (section: string): void =>
    writeFileSync(configPath, `node: { name: lb1 }\ncontrol: { socket: ${socket} }\nmetrics: { listen: 127.0.0.1:${port} }\nipvs: { state_dir: ${dir}/state }\n${services}${section}`);
  write(withBgp ? bgp(dir) : '');
  const tables = new Map<number, FakeRoutes>();
  const openBgpRoutes = (table: number): FakeRoutes => {
    const routes = tables.get(table) ?? new FakeRoutes();
    routes.closed = false;
    tables.set(table, routes);
    return routes;
  };
  for (const vip of leftovers) openBgpRoutes(100).table.add(vip);
  const proc = new Map(Object.entries(sysctls));
  const bgpKernel = {
    openRoutes: openBgpRoutes,
    readSysctl: (key: string) => proc.get(key),
    writeSysctl: (key: string, value: string) => {
      if (!proc.has(key)) throw new Error(`no such sysctl ${key}`);
      proc.set(key, value);
    },
  };
  const { logger, lines } = logSink();
  const daemon = await Daemon.start({ configPath, log: logger, openIpvs: async () => new FakeIpvsKernel().open(), startVrrp: inProcessVrrp(), bgpKernel });
  cleanups.push(() => daemon.stop());
  const call = (method: string, params: Record<string, unknown> = {}) => callControl(socket, method, params, 5_000);
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const announced = (table = 100) => [...(tables.get(table)?.table ?? [])].sort();
  return { dir, daemon, call, scrape, write, tables, announced, proc, lines };
}

describe('Daemon in BGP mode', () => {
  it('announces the VIP once its service is up and removes what a crashed run left in the table', async () => {
    const { announced, call, scrape } = await start(true, ['198.18.0.199']);
    expect(announced()).toEqual([VIP]);
    const status = (await call('status')) as { bgp: BgpStatus };
    expect(status.bgp).toMatchObject({ table: 100, vips: [VIP], announced: [VIP], pending: [], sessions: [] });
    expect(status.bgp.sessionsError).toMatch(/^birdc -s .*no-bird\.ctl: exit \d/);
    const text = await scrape();
    expect(text).toContain(`lvsd_bgp_announced{vip="${VIP}"} 1`);
    expect(text).not.toContain('lvsd_bgp_session_up{');
  });

  it('withdraws the VIP when quorum is lost or the service is disabled, announces it again when it is back', async () => {
    const { announced, call, scrape } = await start(true);
    await call('drain', { service: 'web', realServer: '198.18.1.12:80' });
    await until('the VIP withdrawn after quorum is lost', () => announced().length === 0);
    expect(await scrape()).toContain(`lvsd_bgp_announced{vip="${VIP}"} 0`);
    await call('enable', { service: 'web', realServer: '198.18.1.12:80' });
    await until('the VIP announced again', () => announced().length === 1);
    await call('disable', { service: 'web' });
    await until('the VIP withdrawn while the service is disabled', () => announced().length === 0);
    await call('enable', { service: 'web' });
    await until('the VIP announced again', () => announced().length === 1);
  });

  it('drain-node withdraws every VIP and leaves the services in IPVS; --undo announces them again; without bgp it is refused', async () => {
    const { announced, call, daemon } = await start(true);
    expect(announced()).toEqual([VIP]);
    expect(await call('drain-node', {})).toEqual({ maintenance: true, announced: [] });
    expect(announced()).toEqual([]);
    const status = (await call('status')) as { bgp: BgpStatus; services: Array<{ name: string; inKernel: boolean }> };
    expect(status.bgp).toMatchObject({ maintenance: true, announced: [] });
    // The services keep serving what still arrives while the router moves the flows away.
    expect(status.services).toMatchObject([{ name: 'web', inKernel: true }]);
    // A reconcile (a server flapping, a reload) must not announce a drained node again.
    await call('drain', { service: 'web', realServer: '198.18.1.12:80' });
    await call('enable', { service: 'web', realServer: '198.18.1.12:80' });
    expect(await daemon.reload()).toMatchObject({ ok: true });
    expect(announced()).toEqual([]);
    expect(await call('drain-node', { undo: true })).toEqual({ maintenance: false, announced: [VIP] });
    expect(announced()).toEqual([VIP]);
    const plain = await start(false);
    await expect(plain.call('drain-node', {})).rejects.toThrow(/no bgp section/);
  });

  it('stop withdraws every VIP and closes the table', async () => {
    const { announced, daemon, tables } = await start(true);
    expect(announced()).toEqual([VIP]);
    await daemon.stop();
    expect(announced()).toEqual([]);
    expect(tables.get(100)?.closed).toBe(true);
  });

  it('a reload adds the bgp section, moves it to another table (the old one emptied), or removes it', async () => {
    const { announced, daemon, write, dir, tables } = await start(false);
    expect(tables.size).toBe(0);
    write(bgp(dir));
    expect(await daemon.reload()).toMatchObject({ ok: true, changed: true });
    expect(announced()).toEqual([VIP]);
    write(bgp(dir, 200));
    expect(await daemon.reload()).toMatchObject({ ok: true, changed: true });
    expect([announced(100), announced(200), tables.get(100)?.closed]).toEqual([[], [VIP], true]);
    write('');
    expect(await daemon.reload()).toMatchObject({ ok: true, changed: true });
    expect([announced(200), tables.get(200)?.closed]).toEqual([[], true]);
  });

  it('flow takeover: sets sloppy_tcp and sloppy_sctp, leaves a conntrack that is not loaded alone, reports a key it cannot set', async () => {
    const { proc, call } = await start(true);
    expect([proc.get('net/ipv4/vs/sloppy_tcp'), proc.get('net/ipv4/vs/sloppy_sctp')]).toEqual(['1', '1']);
    const { bgp } = (await call('status')) as { bgp: BgpStatus };
    expect(bgp.sysctls).toEqual([
      { key: 'net/ipv4/vs/sloppy_tcp', want: '1', have: '1', ok: true, problem: null },
      { key: 'net/ipv4/vs/sloppy_sctp', want: '1', have: '1', ok: true, problem: null },
      { key: 'net/netfilter/nf_conntrack_tcp_loose', want: '1', have: null, ok: true, problem: null },
    ]);
    const other = await start(true, [], { 'net/ipv4/vs/sloppy_tcp': '0', 'net/netfilter/nf_conntrack_tcp_loose': '0' });
    expect(other.proc.get('net/netfilter/nf_conntrack_tcp_loose')).toBe('1');
    const status = (await other.call('status')) as { bgp: BgpStatus };
    expect(status.bgp.sysctls.filter((c) => !c.ok)).toEqual([{ key: 'net/ipv4/vs/sloppy_sctp', want: '1', have: null, ok: false, problem: 'no such key (is the ip_vs module loaded?)' }]);
    expect(other.lines.join('\n')).toContain('BGP flow takeover: net/ipv4/vs/sloppy_sctp is not 1: no such key (is the ip_vs module loaded?)');
  });
});
