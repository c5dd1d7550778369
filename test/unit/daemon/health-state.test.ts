// health.json: the checks' verdicts outlive a restart. A real server that was down stays out of
// the kernel from the first reconcile (and needs `rise` passes to return), one that was up is
// in service before its first check; the agent's last word is kept; entries of servers no longer
// configured are ignored; a corrupt or foreign file is reported and ignored, never fatal.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatHealthState, HEALTH_FILE, parseHealthState, type StoredHealth } from '../../../src/daemon/health-state.js';
import { destinationFromConfig, serviceFromConfig, serviceIdFromConfig } from '../../../src/ipvs/desired.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { servicesConfig, startManager, type Harness } from '../../support/ipvs-harness.js';
import { daemonIn as startDaemonIn } from '../../support/daemon-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const WEB = { protocol: 'tcp' as const, address: '198.18.0.100', port: 80 };
const check = '{ type: tcp, interval: 1000ms, timeout: 500ms, rise: 3, fall: 1 }';
/** For the daemon, whose checks are real: fails here without sending anything anywhere. */
const failingCheck = '{ type: exec, interval: 200ms, timeout: 100ms, rise: 2, fall: 1, command: [/bin/false] }';
const web = (extra = ''): string =>
  `  - { name: web, vip: 198.18.0.100, port: 80, check: ${check}${extra}, real_servers: [{ address: 198.18.1.11, weight: 100 }, { address: 198.18.1.12, weight: 50 }] }\n`;
const saved = (realServer: string, up: boolean, more: Partial<StoredHealth['health']> = {}): StoredHealth => ({
  service: 'web',
  realServer,
  health: { up, since: 1_000, reason: up ? 'passed 2 checks' : 'refused', consecutiveOk: up ? 5 : 0, consecutiveFail: up ? 0 : 3, ...more },
});

describe('health.json', () => {
  it('round-trips, and refuses a corrupt or foreign file with the reason', () => {
    const servers = [saved('198.18.1.12:80', true, { weight: 7, agent: { admin: 'drain', up: true, percent: 100, reason: 'drain' } }), saved('198.18.1.11:80', false)];
    expect(parseHealthState(formatHealthState(servers))).toEqual([servers[1], servers[0]]);
    expect(() => parseHealthState('{"version":1,"servers":[')).toThrow();
    expect(() => parseHealthState('{"version":1,"overrides":[]}')).toThrow(/not an lvsd health file/);
    expect(() => parseHealthState('{"version":1,"servers":[{"service":"web","realServer":"x","health":{"up":"yes"}}]}')).toThrow(/servers\[0\]/);
  });
});

describe('IpvsManager started from saved verdicts', () => {
  const start = async (restoredHealth: StoredHealth[], extra = '', programmed = true): Promise<Harness> => {
    const config = servicesConfig(web(extra));
    const kernel = new FakeIpvsKernel();
    if (programmed) {
      for (const s of config.services) {
        await kernel.addService(serviceFromConfig(s));
        for (const r of s.real_servers) await kernel.addDestination(serviceIdFromConfig(s), destinationFromConfig(r, r.weight));
      }
    }
    const h = await startManager(config, { kernel, restored: { drains: [], overrides: [], health: restoredHealth } });
    cleanups.push(() => h.manager.stop());
    return h;
  };

  it('keeps a server saved as down out from the first reconcile, though the kernel had it serving; it returns after rise (3) passes', async () => {
    const h = await start([saved('198.18.1.11:80', false), saved('198.18.1.12:80', true)]);
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.12:80w50']);
    await h.round();
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.12:80w50']);
    await h.round();
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w50']);
  });

  it('puts a server saved as up in service before its first check, also on an empty kernel', async () => {
    const h = await start([saved('198.18.1.11:80', true)], '', false);
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100']);
    expect(h.health.statesFor('web').get('198.18.1.12:80')).toMatchObject({ up: false, pending: true });
  });

  it("keeps the agent's last word while the agent is configured, and ignores servers no longer in the config", async () => {
    const agent = { admin: 'ready' as const, up: true, percent: 50, reason: '50%' };
    const h = await start([saved('198.18.1.11:80', true, { agent }), saved('198.18.1.99:80', false)], ', agent: { port: 9999, interval: 1h, timeout: 1s }');
    expect(h.kernel.weight(WEB, { address: '198.18.1.11', port: 80 })).toBe(50);
    expect(h.health.status().map((s) => s.realServer).sort()).toEqual(['198.18.1.11:80', '198.18.1.12:80']);
    const without = await start([saved('198.18.1.11:80', true, { agent })]);
    expect(without.kernel.weight(WEB, { address: '198.18.1.11', port: 80 })).toBe(100);
  });
});

describe('Daemon health.json', () => {
  async function daemonIn(dir: string, services: string) {
    const started = await startDaemonIn(dir, services);
    cleanups.push(() => started.daemon.stop());
    return started;
  }

  it('is written at stop and taken up at the next start; a corrupt one is reported and ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-health-state-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const stateFile = join(dir, 'state', HEALTH_FILE);
    const failing = web().replace(check, failingCheck);
    // The first probes fail and that is saved.
    const first = await daemonIn(dir, failing);
    const bothDown = async (): Promise<boolean> =>
      (await first.daemon.status()).services.flatMap((svc) => svc.realServers).filter((rs) => rs.health === 'down').length === 2;
    for (let i = 0; i < 200 && !(await bothDown()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await bothDown()).toBe(true);
    await first.daemon.stop();
    const written = parseHealthState(readFileSync(stateFile, 'utf8'));
    expect(written.map((s) => [s.realServer, s.health.up])).toEqual([['198.18.1.11:80', false], ['198.18.1.12:80', false]]);

    // Saved as up: in the kernel at once, before any check could pass. (A check that needs three
    // failures an hour apart cannot take it out while the test looks.)
    const slow = web().replace(check, '{ type: exec, interval: 1h, timeout: 1s, rise: 2, fall: 3, command: [/bin/false] }');
    writeFileSync(stateFile, formatHealthState([saved('198.18.1.11:80', true)]));
    const second = await daemonIn(dir, slow);
    expect(second.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100']);
    await second.daemon.stop();

    writeFileSync(stateFile, 'not json');
    const third = await daemonIn(dir, slow);
    expect(third.lines.some((l) => l.includes('cannot read the saved health state'))).toBe(true);
    expect(third.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc ']);
  });
});
