// Services that follow VRRP mastership (active_on: master) on the in-memory IPVS kernel: absent
// on a backup while their checks run, added at once on becoming master with the health already
// known, deleted at once (no drain) on leaving master; every other service is left alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callDaemon } from '../../../src/cli/control-client.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { diffServices } from '../../../src/daemon/reload-decision.js';
import { statusReport } from '../../../src/daemon/status.js';
import { formatStatus } from '../../../src/cli/format-status.js';
import type { RunnerStatus } from '../../../src/vrrp/runner.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { daemonIn } from '../../support/daemon-harness.js';
import { check, startManager, type Harness } from '../../support/ipvs-harness.js';
import { until, web as vrrpWeb } from './vrrp-fakes.js';

const vrrp = `vrrp:
  instances:
    - { name: gw, interface: eth0, vrid: 51, vips: [198.18.0.100/24] }
    - { name: other, interface: eth0, vrid: 52, vips: [198.18.0.101/24] }
`;
const servers = '[{ address: 198.18.1.11, weight: 100 }, { address: 198.18.1.12, weight: 50 }]';
/** nat: follows gw through its vip; mark: a fwmark service naming gw; web: on every node. */
const services = (natMore = ', active_on: master') => `services:
  - { name: nat, vip: 198.18.0.100, port: 80, drain_timeout: 5m, check: ${check}${natMore}, real_servers: ${servers} }
  - { name: mark, fwmark: 7, family: ipv4, active_on: master, vrrp_instance: gw, check: ${check.replace(' }', ', port: 80 }')}, real_servers: ${servers} }
  - { name: web, vip: 198.18.0.101, port: 80, check: ${check}, real_servers: ${servers} }
`;

function config(natMore?: string): Config {
  const r = parseConfigText(`node: { name: lb1 }\n${vrrp}${services(natMore)}`, 'test.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'));
  return r.config;
}

const WEB = 'tcp/198.18.0.101/80 wlc 198.18.1.11:80w100,198.18.1.12:80w50';
const NAT = 'tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w50';
const MARK = 'fwmark/ipv4/7 wlc 198.18.1.11:0w100,198.18.1.12:0w50';

const running: Harness[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const h of running.splice(0)) await h.manager.stop();
});

async function backup(opts: Parameters<typeof startManager>[1] = {}): Promise<Harness> {
  const h = await startManager(config(), opts);
  running.push(h);
  await h.round();
  h.kernel.clearCalls();
  return h;
}

/** Lets the reconcile a state change started run, without any timer firing. */
async function turns(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('active_on: master in the IPVS manager', () => {
  it('on a backup the following services are not in the kernel, while their checks run', async () => {
    const h = await backup();
    expect(h.kernel.summary()).toEqual([WEB]);
    expect(h.health.status().filter((s) => s.service === 'nat').map((s) => s.state.up)).toEqual([true, true]);
    expect(h.manager.isActive('nat')).toBe(false);
    expect(h.manager.isActive('web')).toBe(true);
  });

  it('becoming master adds them at once (no batching timer), with the health the checks already found: a server that is down stays out', async () => {
    const h = await backup();
    h.answers.set('198.18.1.12:80', { ok: false });
    await h.round();
    h.kernel.clearCalls();
    // Only the batching timer is faked: a change that waited for it would never reach the kernel.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    h.manager.vrrpState('gw', true);
    await turns();
    expect(h.kernel.summary()).toEqual([MARK.replace(',198.18.1.12:0w50', ''), NAT.replace(',198.18.1.12:80w50', ''), WEB.replace(',198.18.1.12:80w50', '')]);
    // Services first, then their real servers; the down one never goes in.
    expect(h.kernel.writes()).toEqual([
      'addService tcp 198.18.0.100:80',
      'addService fwmark 7 ipv4',
      'addDestination tcp 198.18.0.100:80 198.18.1.11:80 w100',
      'addDestination fwmark 7 ipv4 198.18.1.11:0 w100',
    ]);
  });

  it('leaving master deletes them at once, without the drain their drain_timeout asks for a removal', async () => {
    const h = await backup({ masters: ['gw'] });
    expect(h.kernel.summary()).toEqual([MARK, NAT, WEB]);
    h.kernel.clearCalls();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    h.manager.vrrpState('gw', false);
    await turns();
    expect(h.kernel.writes().sort()).toEqual(['deleteService fwmark 7 ipv4', 'deleteService tcp 198.18.0.100:80']);
    expect(h.kernel.summary()).toEqual([WEB]);
    expect(h.manager.drainsList()).toEqual([]);
  });

  it('a change of another instance, or the same state again, writes nothing', async () => {
    const h = await backup({ masters: ['gw'] });
    h.kernel.clearCalls();
    h.manager.vrrpState('other', true);
    h.manager.vrrpState('gw', true);
    await h.manager.settled();
    expect(h.kernel.writes()).toEqual([]);
  });

  it('a start on a backup deletes what a previous run left while it was master', async () => {
    const kernel = new FakeIpvsKernel();
    const first = await startManager(config(), { kernel, masters: ['gw'] });
    await first.round();
    await first.manager.stop();
    expect(kernel.summary()).toEqual([MARK, NAT, WEB]);
    kernel.clearCalls();
    const h = await startManager(config(), { kernel });
    running.push(h);
    expect(kernel.writes().sort()).toEqual(['deleteService fwmark 7 ipv4', 'deleteService tcp 198.18.0.100:80']);
  });

  it('a reload that makes a service follow mastership removes it from a backup; back to always adds it again', async () => {
    const h = await backup();
    const following = config();
    const always = config('');
    await h.manager.reload(always, diffServices(following, always));
    await h.round();
    expect(h.kernel.summary()).toEqual([NAT, WEB]);
    await h.manager.reload(following, diffServices(always, following));
    expect(h.kernel.summary()).toEqual([WEB]);
  });

  it('a quorum change of an inactive service is still followed (its hooks run on both nodes)', async () => {
    const h = await backup();
    expect(h.manager.quorumState('nat')).toBe(true);
  });
});

describe('active_on: master in lvsd status', () => {
  const runner = (name: string, state: RunnerStatus['state']): RunnerStatus => ({ name, state } as RunnerStatus);

  it('shows a following service as "inactive (backup)" on a backup, and without the flag on the master', async () => {
    const h = await backup();
    const report = async (state: RunnerStatus['state']) =>
      statusReport({
        config: config(),
        configHash: 'x',
        vrrp: [runner('gw', state), runner('other', 'backup')],
        health: h.health.status(),
        overrides: [],
        drains: [],
        quorum: () => true,
        kernel: () => h.kernel.read(),
      });
    const onBackup = await report('backup');
    expect(onBackup.services.map((s) => [s.name, s.inKernel, s.activeOn])).toEqual([
      ['nat', false, { instance: 'gw', state: 'backup', active: false }],
      ['mark', false, { instance: 'gw', state: 'backup', active: false }],
      ['web', true, null],
    ]);
    const text = formatStatus({ ...onBackup, vrrp: [] });
    expect(text).toContain('tcp 198.18.0.100:80 wlc  (nat)  [inactive (backup)]');
    expect(text).not.toContain('NOT IN KERNEL');
    h.manager.vrrpState('gw', true);
    await h.manager.settled();
    const onMaster = await report('master');
    expect(onMaster.services.map((s) => [s.name, s.inKernel, s.activeOn?.active ?? null])).toEqual([
      ['nat', true, true],
      ['mark', true, true],
      ['web', true, null],
    ]);
    expect(formatStatus({ ...onMaster, vrrp: [] })).not.toContain('inactive');
  });
});

describe('active_on: master in the daemon', () => {
  it('follows the VRRP thread: in the kernel once this node is master (before the sync daemon switches to master), gone after a step-down, shown as inactive (backup) in lvsd status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-mastership-'));
    const follow = `  - { name: nat, vip: 198.18.0.100, port: 80, active_on: master, real_servers: [{ address: 198.18.1.11, weight: 100 }] }\n`;
    const { kernel, daemon } = await daemonIn(dir, follow, `vrrp:\n  instances:\n${vrrpWeb(150)}`, ', sync_daemon: { enabled: true, interface: eth1 }');
    try {
      // No peer: master after Master_Down_Interval (about 40 ms at 10 ms adverts).
      await until('the service on the master', () => kernel.summary().length === 1, 10_000);
      expect(kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100']);
      // The service went in before the sync daemon's switch to master, which waits for it.
      await until('the sync daemon as master', () => [...kernel.syncDaemons.keys()].includes('master'), 10_000);
      const order = kernel.calls.filter((c) => c.method === 'addService' || (c.method === 'startSyncDaemon' && c.target.startsWith('master'))).map((c) => c.method);
      expect(order).toEqual(['addService', 'startSyncDaemon']);
      await callDaemon(join(dir, 'lvsd.sock'), 'failover', { instance: 'web' }, 5_000);
      await until('the service gone on the backup', () => kernel.summary().length === 0, 10_000);
      const status = await daemon.status();
      expect(status.services[0]?.activeOn).toEqual({ instance: 'web', state: 'backup', active: false });
    } finally {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
