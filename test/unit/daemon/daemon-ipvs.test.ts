// The Daemon's IPVS wiring on the in-memory kernel, through its real front doors: the control
// socket (drain, enable, plan, status) and the metrics endpoint.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callDaemon } from '../../../src/cli/control-client.js';
import { Daemon } from '../../../src/daemon/daemon.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { inProcessVrrp, logSink } from './vrrp-fakes.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(services: string, ipvs = '') {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-daemon-ipvs-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const socket = join(dir, 'lvsd.sock');
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const configPath = join(dir, 'lvsd.yaml');
  writeFileSync(configPath, `node: { name: lb1 }\ncontrol: { socket: ${socket} }\nmetrics: { listen: 127.0.0.1:${port} }\nipvs: { state_dir: ${dir}/state${ipvs} }\nservices:\n${services}`);
  const kernel = new FakeIpvsKernel();
  const { logger } = logSink();
  const daemon = await Daemon.start({ configPath, log: logger, openIpvs: async () => kernel.open(), startVrrp: inProcessVrrp() });
  cleanups.push(() => daemon.stop());
  const call = (method: string, params: Record<string, unknown> = {}) => callDaemon(socket, method, params, 5_000);
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return { kernel, daemon, call, scrape };
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
});
