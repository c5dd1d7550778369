// The Daemon's IPVS wiring on the in-memory kernel, through its real front doors: the control
// socket (drain, enable, plan, status) and the metrics endpoint.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callControl } from '../../../src/cli/control-client.js';
import { Daemon } from '../../../src/daemon/daemon.js';
import type { IpFamily } from '../../../src/net/address.js';
import type { NameLookup } from '../../../src/resolve/lookup.js';
import type { FamilyAnswer } from '../../../src/resolve/types.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { inProcessVrrp, logSink, until, web as vrrpWeb } from './vrrp-fakes.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** app.lab.test answers 198.18.1.21 (ttl 300 s): the daemon's DNS for real servers given by name. */
const labDns = (): NameLookup => ({
  lookup: async (name: string, family: IpFamily): Promise<FamilyAnswer> =>
    name === 'app.lab.test' && family === 4 ? { family, outcome: 'ok', records: [{ address: '198.18.1.21', ttl: 300 }] } : { family, outcome: 'nxdomain', records: [], detail: 'ENOTFOUND' },
  cancel: () => undefined,
});

async function start(services: string, ipvs = '', vrrp = '') {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-daemon-ipvs-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'lvsd.sock');
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const configPath = join(dir, 'lvsd.yaml');
  const write = (services: string, ipvs = ''): void =>
    writeFileSync(configPath, `node: { name: lb1 }\ncontrol: { socket: ${socket} }\nmetrics: { listen: 127.0.0.1:${port} }\nipvs: { state_dir: ${dir}/state${ipvs} }\n${vrrp ? `vrrp:\n  instances:\n${vrrp}` : ''}services:\n${services}`);
  write(services, ipvs);
  const kernel = new FakeIpvsKernel();
  const { logger } = logSink();
  const daemon = await Daemon.start({ configPath, log: logger, openIpvs: async () => kernel.open(), startVrrp: inProcessVrrp(), lookup: labDns });
  cleanups.push(() => daemon.stop());
  const call = (method: string, params: Record<string, unknown> = {}) => callControl(socket, method, params, 5_000);
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return { kernel, daemon, call, scrape, write };
}

const web = `  - { name: web, vip: 198.18.0.100, port: 80, real_servers: [{ address: 198.18.1.11, weight: 100 }, { address: 198.18.1.12, weight: 50 }] }\n`;
const WEB = { protocol: 'tcp' as const, address: '198.18.0.100', port: 80 };

describe('Daemon on the in-memory IPVS kernel', () => {
  it('lvsd_realserver_weight is the weight IPVS has: 0 while drained or disabled, the configured one beside it', async () => {
    const { kernel, call, scrape } = await start(web);
    expect(kernel.weight(WEB, { address: '198.18.1.11', port: 80 })).toBe(100);
    expect(await scrape()).toContain('lvsd_realserver_weight{service="web",server="198.18.1.11:80"} 100');
    await call('drain', { service: 'web', realServer: '198.18.1.11:80' });
    expect(kernel.weight(WEB, { address: '198.18.1.11', port: 80 })).toBe(0);
    await call('disable', { service: 'web', realServer: '198.18.1.12:80' });
    const text = await scrape();
    expect(text).toContain('lvsd_realserver_weight{service="web",server="198.18.1.11:80"} 0');
    expect(text).toContain('lvsd_realserver_weight{service="web",server="198.18.1.12:80"} 0');
    expect(text).toContain('lvsd_realserver_configured_weight{service="web",server="198.18.1.11:80"} 100');
    expect(text).toContain('lvsd_realserver_configured_weight{service="web",server="198.18.1.12:80"} 50');
    await call('enable', { service: 'web', realServer: '198.18.1.11:80' });
    expect(await scrape()).toContain('lvsd_realserver_weight{service="web",server="198.18.1.11:80"} 100');
  });

  it('an operator change (drain, add-server) keeps the real servers given by DNS name at their addresses', async () => {
    const named = `  - { name: web, vip: 198.18.0.100, port: 80, real_servers: [{ address: 198.18.1.11, weight: 100 }, { address: app.lab.test, weight: 30 }] }\n`;
    const { kernel, call } = await start(named);
    const app = { address: '198.18.1.21', port: 80 };
    expect(kernel.weight(WEB, app)).toBe(30);
    await call('drain', { service: 'web', realServer: '198.18.1.11:80' });
    expect(kernel.weight(WEB, { address: '198.18.1.11', port: 80 })).toBe(0);
    expect(kernel.weight(WEB, app)).toBe(30);
    await call('add-server', { service: 'web', realServer: '198.18.1.12:80', weight: 5 });
    expect(kernel.weight(WEB, { address: '198.18.1.12', port: 80 })).toBe(5);
    expect(kernel.weight(WEB, app)).toBe(30);
  });

  it('serves the kernel counters as metrics, read once per interval for every family', async () => {
    const { kernel, scrape } = await start(web);
    kernel.setStats(WEB, { conns: 12n, inBytes: 3400n });
    kernel.setDestinationStats(WEB, { address: '198.18.1.11', port: 80 }, { stats: { conns: 9n }, activeConns: 4, inactiveConns: 2 });
    kernel.clearCalls();
    const text = await scrape();
    expect(text).toContain('lvsd_ipvs_connections_total{service="web",server=""} 12');
    expect(text).toContain('lvsd_ipvs_bytes_in_total{service="web",server=""} 3400');
    expect(text).toContain('lvsd_ipvs_connections_total{service="web",server="198.18.1.11:80"} 9');
    expect(text).toContain('lvsd_ipvs_active_connections{service="web",server="198.18.1.11:80"} 4');
    expect(text).toContain('lvsd_ipvs_inactive_connections{service="web",server="198.18.1.11:80"} 2');
    expect(kernel.count('read')).toBe(1);
  });

  it('status, plan, drain and enable over the control socket; a service it does not have is an error naming those it has', async () => {
    const { kernel, call } = await start(web);
    await kernel.addService({ ...WEB, port: 81, scheduler: 'rr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 });
    await kernel.updateDestination(WEB, { address: '198.18.1.12', port: 80, forwarding: 'dr', weight: 7, upperThreshold: 0, lowerThreshold: 0 });
    const plan = (await call('plan')) as { text: string; operations: number };
    expect(plan.operations).toBe(1);
    expect(plan.text).toContain('198.18.1.12:80');
    expect(await call('drain', { service: 'web' })).toEqual({ service: 'web', realServer: null, override: 'drain' });
    const status = (await call('status')) as { services: { name: string; disabled: boolean; realServers: { server: string; weight: number | null; configuredWeight: number }[] }[]; unmanaged: string[] };
    expect(status.unmanaged).toEqual(['tcp 198.18.0.100:81']);
    expect(status.services[0]?.disabled).toBe(true);
    expect(status.services[0]?.realServers.map((r) => [r.server, r.weight, r.configuredWeight])).toEqual([['198.18.1.11:80', 0, 100], ['198.18.1.12:80', 0, 50]]);
    await call('enable', { service: 'web' });
    expect(kernel.summary()).toContain('tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w50');
    await expect(call('drain', { service: 'nope' })).rejects.toThrow('no service named "nope" (services: web)');
  });

  it('sets the configured IPVS timeouts at start, in seconds, and closes its kernel handle at stop', async () => {
    const { kernel, daemon } = await start(web, ', timeouts: { tcp: 1h, udp: 90s }');
    expect(kernel.timeouts).toEqual({ tcp: 3600, tcpFin: 120, udp: 90 });
    expect(kernel.openHandles).toBe(1);
    await daemon.stop();
    expect(kernel.openHandles).toBe(0);
  });

  it('a node started without services opens IPVS on the reload that brings the first ones, with the sync daemon', async () => {
    const { kernel, daemon, write } = await start('  []\n');
    expect(kernel.openHandles).toBe(0);
    write(web, ', sync_daemon: { enabled: true, interface: eth1, sync_id: 3 }');
    expect(await daemon.reload()).toMatchObject({ ok: true, changed: true });
    expect(kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w50']);
    expect([...kernel.syncDaemons.values()].map((d) => `${d.state} ${d.interface} ${d.syncId}`)).toEqual(['backup eth1 3']);
  });

  it('purge_unmanaged removes a service added by hand at start and on reload; without it the service stays', async () => {
    const { kernel, daemon, write } = await start(web);
    const byHand = { ...WEB, port: 81, scheduler: 'rr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 };
    await kernel.addService(byHand);
    write(web.replace('weight: 50', 'weight: 60'));
    expect(await daemon.reload()).toMatchObject({ ok: true, changed: true });
    expect(kernel.summary()).toContain('tcp/198.18.0.100/81 rr ');
    write(web, ', purge_unmanaged: true');
    expect(await daemon.reload()).toMatchObject({ ok: true, changed: true });
    expect(kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w50']);
  });

  it('a VRRP master whose reload brings the first services starts the sync daemon as master', async () => {
    const { kernel, daemon, write } = await start('  []\n', '', vrrpWeb(150));
    let state = '';
    await until('VRRP master', () => {
      void daemon.status().then((s) => (state = s.vrrp[0]?.state ?? ''));
      return state === 'master';
    }, 10_000);
    write(web, ', sync_daemon: { enabled: true, interface: eth1, sync_id: 3 }');
    expect(await daemon.reload()).toMatchObject({ ok: true, changed: true });
    expect([...kernel.syncDaemons.keys()]).toEqual(['master']);
  });
});
