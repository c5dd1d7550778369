// IpvsManager on the in-memory IPVS kernel (test/support/ipvs-harness.ts): adoption, batching,
// scoped reconciles, operator overrides, quorum and the sorry server, reloads, and kernel
// failures (logged and retried, never thrown). Until now this ran only in the QEMU suite.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { diffServices } from '../../../src/daemon/reload-decision.js';
import { destinationFromConfig, serviceFromConfig, serviceIdFromConfig } from '../../../src/ipvs/desired.js';
import type { Config } from '../../../src/config/types.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { check, servicesConfig, setOverride, startManager, type Harness } from '../../support/ipvs-harness.js';

const WARN = 40;
const ERROR = 50;

const web = (more = '', servers = '{ address: 198.18.1.11, weight: 100 }, { address: 198.18.1.12, weight: 50 }'): string =>
  `  - { name: web, vip: 198.18.0.100, port: 80, protocol: tcp, check: ${check}${more}, real_servers: [${servers}] }\n`;
const api = (more = ''): string =>
  `  - { name: api, vip: 198.18.0.101, port: 443, protocol: tcp, check: ${check}${more}, real_servers: [{ address: 198.18.1.21, weight: 10 }, { address: 198.18.1.22, weight: 10 }] }\n`;

const WEB = { protocol: 'tcp' as const, address: '198.18.0.100', port: 80 };
const API = { protocol: 'tcp' as const, address: '198.18.0.101', port: 443 };
const rs = (last: number, port = 80) => ({ address: `198.18.1.${last}`, port });

const running: Harness[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const h of running.splice(0)) await h.manager.stop();
});

/** Starts the manager and runs the first check round, so every answering real server is in. */
async function serving(config: Config, opts: Parameters<typeof startManager>[1] = {}): Promise<Harness> {
  const h = await startManager(config, opts);
  running.push(h);
  await h.round();
  h.kernel.clearCalls();
  return h;
}

/** A kernel holding `config` as lvsd would program it with every real server up. */
async function programmed(config: Config): Promise<FakeIpvsKernel> {
  const kernel = new FakeIpvsKernel();
  for (const s of config.services) {
    await kernel.addService(serviceFromConfig(s));
    for (const r of s.real_servers) await kernel.addDestination(serviceIdFromConfig(s), destinationFromConfig(r, r.weight));
  }
  kernel.clearCalls();
  return kernel;
}

describe('IpvsManager adoption', () => {
  it('adopts a kernel that already matches with one read and no write, its serving real servers counted as up', async () => {
    const config = servicesConfig(web() + api());
    const kernel = await programmed(config);
    const h = await startManager(config, { kernel });
    running.push(h);
    expect(kernel.calls.map((c) => c.method)).toEqual(['read']);
    expect(h.health.status().every((s) => s.state.up)).toBe(true);
    // The first checks pass: still nothing to write.
    await h.round();
    expect(kernel.writes()).toEqual([]);
  });

  it('on an empty kernel adds the services first and each real server once it passed its first check', async () => {
    const h = await startManager(servicesConfig(web()));
    running.push(h);
    expect(h.kernel.writes()).toEqual(['addService tcp 198.18.0.100:80']);
    await h.round();
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w50']);
  });
});

describe('IpvsManager batching and scoped reconciles', () => {
  it('real servers of two services failing in one check round are one reconcile, one burst of writes, and reads of those two services only', async () => {
    const h = await serving(servicesConfig(web() + api()));
    const before = h.reports.length;
    for (const s of ['198.18.1.11:80', '198.18.1.21:443', '198.18.1.22:443']) h.answers.set(s, { ok: false });
    await h.round();
    expect(h.reports.length - before).toBe(1);
    expect(h.reports.at(-1)?.scope).toEqual(['web', 'api']);
    expect(h.kernel.writes().sort()).toEqual([
      'deleteDestination tcp 198.18.0.100:80 198.18.1.11:80',
      'deleteDestination tcp 198.18.0.101:443 198.18.1.21:443',
      'deleteDestination tcp 198.18.0.101:443 198.18.1.22:443',
    ]);
    const writeTurns = new Set(h.kernel.calls.filter((c) => c.method === 'deleteDestination').map((c) => c.turn));
    expect(writeTurns.size).toBe(1);
    expect(h.kernel.count('read')).toBe(0);
    expect(h.kernel.calls.filter((c) => c.method === 'service').map((c) => c.target)).toEqual(['tcp 198.18.0.100:80', 'tcp 198.18.0.101:443']);
  });

  it('a health change leaves drift in other services alone; the periodic full resync repairs it', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const h = await serving(servicesConfig(web() + api()));
    await h.kernel.updateDestination(API, { ...rs(21, 443), forwarding: 'dr', weight: 999, upperThreshold: 0, lowerThreshold: 0 });
    h.answers.set('198.18.1.12:80', { ok: false });
    await h.round();
    expect(h.kernel.weight(API, rs(21, 443))).toBe(999);
    vi.advanceTimersByTime(60_000);
    await h.manager.settled();
    expect(h.reports.at(-1)?.scope).toBe('all');
    expect(h.kernel.weight(API, rs(21, 443))).toBe(10);
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100', 'tcp/198.18.0.101/443 wlc 198.18.1.21:443w10,198.18.1.22:443w10']);
  });

  it('resyncs every ipvs.resync_interval, and at the new interval after a reload changes it', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const c1 = servicesConfig(web(), '{ resync_interval: 10s }');
    const h = await serving(c1);
    const fullReconciles = () => h.reports.filter((r) => r.scope === 'all').length;
    const before = fullReconciles();
    vi.advanceTimersByTime(10_000);
    await h.manager.settled();
    expect(fullReconciles()).toBe(before + 1);
    const c2 = servicesConfig(web(), '{ resync_interval: 5m }');
    await h.manager.reload(c2, diffServices(c1, c2));
    const afterReload = fullReconciles();
    vi.advanceTimersByTime(4 * 60_000);
    await h.manager.settled();
    expect(fullReconciles()).toBe(afterReload);
    vi.advanceTimersByTime(60_000);
    await h.manager.settled();
    expect(fullReconciles()).toBe(afterReload + 1);
  });

  it('follows the weight a check reports, and back to the configured one', async () => {
    const h = await serving(servicesConfig(web()));
    h.answers.set('198.18.1.11:80', { ok: true, weight: 30 });
    await h.round();
    expect(h.kernel.writes()).toEqual(['updateDestination tcp 198.18.0.100:80 198.18.1.11:80 w30']);
  });

  it('plan() shows what a reconcile would change without changing it', async () => {
    const h = await serving(servicesConfig(web()));
    await h.kernel.deleteDestination(WEB, rs(12));
    h.kernel.clearCalls();
    const plan = await h.manager.plan();
    expect(plan.operations.map((o) => o.kind)).toEqual(['add-dest']);
    expect(h.kernel.writes()).toEqual([]);
  });
});

describe('IpvsManager operator overrides', () => {
  it('drain keeps a real server at weight 0, disable removes it, enable forces a failed one in, clear hands it back to its checks', async () => {
    const h = await serving(servicesConfig(web()));
    const step = async (override: 'drain' | 'disable' | 'enable' | 'clear'): Promise<string[]> => {
      h.kernel.clearCalls();
      setOverride(h.manager, 'web', '198.18.1.11:80', override);
      await h.manager.settled();
      return h.kernel.writes();
    };
    expect(await step('drain')).toEqual(['updateDestination tcp 198.18.0.100:80 198.18.1.11:80 w0']);
    expect(h.manager.overridesList()).toMatchObject([{ service: 'web', realServer: '198.18.1.11:80', override: 'drain', source: 'cli' }]);
    // Checks do not undo an override.
    await h.round();
    expect(h.kernel.weight(WEB, rs(11))).toBe(0);
    expect(await step('disable')).toEqual(['deleteDestination tcp 198.18.0.100:80 198.18.1.11:80']);
    h.answers.set('198.18.1.11:80', { ok: false });
    await h.round();
    expect(await step('enable')).toEqual(['addDestination tcp 198.18.0.100:80 198.18.1.11:80 w100']);
    await h.round();
    expect(h.kernel.weight(WEB, rs(11))).toBe(100);
    expect(await step('clear')).toEqual(['deleteDestination tcp 198.18.0.100:80 198.18.1.11:80']);
    expect(h.manager.overridesList()).toEqual([]);
  });

  it('a service drained as a whole keeps its real servers at weight 0 until enabled', async () => {
    const h = await serving(servicesConfig(web() + api()));
    setOverride(h.manager, 'web', undefined, 'drain');
    await h.manager.settled();
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w0,198.18.1.12:80w0', 'tcp/198.18.0.101/443 wlc 198.18.1.21:443w10,198.18.1.22:443w10']);
    setOverride(h.manager, 'web', undefined, 'clear');
    await h.manager.settled();
    expect(h.kernel.summary()[0]).toBe('tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w50');
  });

  it('overrides outlive a reload; prune() forgets those of services the config dropped', async () => {
    const c1 = servicesConfig(web() + api());
    const h = await serving(c1);
    setOverride(h.manager, 'web', '198.18.1.11:80', 'drain');
    setOverride(h.manager, 'api', '198.18.1.21:443', 'drain');
    await h.manager.settled();
    const c2 = servicesConfig(web('', '{ address: 198.18.1.11, weight: 100 }, { address: 198.18.1.12, weight: 60 }'));
    await h.manager.reload(c2, diffServices(c1, c2));
    h.manager.prune();
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w0,198.18.1.12:80w60']);
    expect(h.manager.overridesList()).toMatchObject([{ service: 'web', realServer: '198.18.1.11:80', override: 'drain', source: 'cli' }]);
  });
});

describe('IpvsManager quorum and sorry server', () => {
  const sorry = ', quorum: 150, sorry_server: { address: 198.18.1.99 }';

  it('below quorum sends traffic to the sorry server only, added before the real servers leave, and back when quorum returns', async () => {
    const h = await serving(servicesConfig(web(sorry)));
    expect(h.manager.quorumState('web')).toBe(true);
    h.answers.set('198.18.1.12:80', { ok: false });
    await h.round();
    expect(h.manager.quorumState('web')).toBe(false);
    expect(h.kernel.writes()).toEqual([
      'addDestination tcp 198.18.0.100:80 198.18.1.99:80 w1',
      'deleteDestination tcp 198.18.0.100:80 198.18.1.11:80',
      'deleteDestination tcp 198.18.0.100:80 198.18.1.12:80',
    ]);
    expect(h.messages(WARN)).toContain('quorum lost');
    expect(['198.18.1.11:80', '198.18.1.99:80'].map((s) => h.manager.programmedWeight('web', s))).toEqual([0, 1]);
    h.kernel.clearCalls();
    h.answers.delete('198.18.1.12:80');
    await h.round();
    expect(h.manager.quorumState('web')).toBe(true);
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w50']);
    expect(h.kernel.writes().at(-1)).toBe('deleteDestination tcp 198.18.0.100:80 198.18.1.99:80');
    expect(h.messages(WARN)).toContain('quorum regained');
    expect(['198.18.1.11:80', '198.18.1.12:80', '198.18.1.99:80'].map((s) => h.manager.programmedWeight('web', s))).toEqual([100, 50, 0]);
  });

  it('with hysteresis a farm at the edge does not flap', async () => {
    // 150 in total; lost below 120 - 20, regained at 120 + 20.
    const h = await serving(servicesConfig(web(', quorum: 120, quorum_hysteresis: 20, sorry_server: { address: 198.18.1.99 }')));
    h.answers.set('198.18.1.12:80', { ok: false });
    await h.round();
    expect([h.manager.quorumState('web'), h.kernel.weight(WEB, rs(99))]).toEqual([true, undefined]);
    h.answers.set('198.18.1.11:80', { ok: false });
    h.answers.delete('198.18.1.12:80');
    await h.round();
    expect([h.manager.quorumState('web'), h.kernel.weight(WEB, rs(99))]).toEqual([false, 1]);
    h.answers.delete('198.18.1.11:80');
    h.answers.set('198.18.1.12:80', { ok: false });
    await h.round();
    expect(h.manager.quorumState('web')).toBe(false);
    h.answers.delete('198.18.1.12:80');
    await h.round();
    expect([h.manager.quorumState('web'), h.kernel.weight(WEB, rs(99))]).toEqual([true, undefined]);
  });

  it('without a sorry server the healthy remainder keeps serving and the lost quorum is reported', async () => {
    const h = await serving(servicesConfig(web(', quorum: 150')));
    h.answers.set('198.18.1.12:80', { ok: false });
    await h.round();
    expect(h.manager.quorumState('web')).toBe(false);
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100']);
  });

  it('on_failure: drain keeps a failed real server at weight 0', async () => {
    const h = await serving(servicesConfig(web(', on_failure: drain')));
    h.answers.set('198.18.1.12:80', { ok: false });
    await h.round();
    expect(h.kernel.writes()).toEqual(['updateDestination tcp 198.18.0.100:80 198.18.1.12:80 w0']);
  });
});

describe('IpvsManager reloads', () => {
  it('a changed weight reads back that one service and writes one edit', async () => {
    const c1 = servicesConfig(web() + api());
    const h = await serving(c1);
    const c2 = servicesConfig(web('', '{ address: 198.18.1.11, weight: 70 }, { address: 198.18.1.12, weight: 50 }') + api());
    const report = await h.manager.reload(c2, diffServices(c1, c2));
    expect(report.scope).toEqual(['web']);
    expect(h.kernel.calls.map((c) => `${c.method} ${c.target}`)).toEqual([
      'service tcp 198.18.0.100:80',
      'destinations tcp 198.18.0.100:80',
      'updateDestination tcp 198.18.0.100:80 198.18.1.11:80 w70',
    ]);
  });

  const explicitPorts = '{ address: 198.18.1.11, port: 80, weight: 100 }, { address: 198.18.1.12, port: 80, weight: 50 }';

  it('a service whose identity changed is added with its real servers before the old one is deleted', async () => {
    const c1 = servicesConfig(web('', explicitPorts));
    const h = await serving(c1);
    const c2 = servicesConfig(web('', explicitPorts).replace('vip: 198.18.0.100', 'vip: 198.18.0.102'));
    await h.manager.reload(c2, diffServices(c1, c2));
    expect(h.kernel.writes()).toEqual([
      'addService tcp 198.18.0.102:80',
      'addDestination tcp 198.18.0.102:80 198.18.1.11:80 w100',
      'addDestination tcp 198.18.0.102:80 198.18.1.12:80 w50',
      'deleteService tcp 198.18.0.100:80',
    ]);
  });

  it('keeps the old identity when its replacement cannot go in, and reports the failure', async () => {
    const c1 = servicesConfig(web('', explicitPorts));
    const h = await serving(c1);
    const c2 = servicesConfig(web('', explicitPorts).replace('vip: 198.18.0.100', 'vip: 198.18.0.102'));
    h.kernel.inject({ on: 'addService' });
    const report = await h.manager.reload(c2, diffServices(c1, c2));
    expect(report.result.failed.map((f) => f.error.message)).toEqual(['add service tcp 198.18.0.102:80: rejected by the kernel (ENOMEM)']);
    expect(report.result.skipped.map((s) => s.operation.kind).sort()).toEqual(['add-dest', 'add-dest', 'delete-service']);
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w50']);
  });

  it('a scoped reload leaves services lvsd does not manage; a change of the ipvs block is a full reconcile that purges them when asked', async () => {
    const c1 = servicesConfig(web());
    const h = await serving(c1);
    await h.kernel.addService({ ...WEB, port: 81, scheduler: 'rr', schedulerFlags: [], onePacket: false, persistence: 0, persistencePrefix: 32 });
    const c2 = servicesConfig(web(', scheduler: rr'));
    await h.manager.reload(c2, diffServices(c1, c2));
    expect(h.kernel.summary()).toHaveLength(2);
    h.kernel.clearCalls();
    const c3 = servicesConfig(web(', scheduler: rr'), '{ purge_unmanaged: true }');
    const report = await h.manager.reload(c3, diffServices(c2, c3));
    expect(report.scope).toBe('all');
    expect(h.kernel.count('read')).toBe(1);
    expect(h.kernel.writes()).toEqual(['deleteService tcp 198.18.0.100:81']);
  });

  it('a service dropped from the config is deleted', async () => {
    const c1 = servicesConfig(web() + api());
    const h = await serving(c1);
    const c2 = servicesConfig(web());
    await h.manager.reload(c2, diffServices(c1, c2));
    expect(h.kernel.writes()).toEqual(['deleteService tcp 198.18.0.101:443']);
  });
});

describe('IpvsManager kernel failures', () => {
  it('a refused write is logged and reported, the rest of the batch goes in, and it is tried again a second later', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const h = await serving(servicesConfig(web()));
    h.kernel.inject({ on: 'deleteDestination' });
    h.answers.set('198.18.1.11:80', { ok: false });
    h.answers.set('198.18.1.12:80', { ok: true, weight: 20 });
    await h.round();
    expect(h.reports.at(-1)?.result.failed).toHaveLength(1);
    expect(h.messages(ERROR)).toEqual(['failed: delete real server 198.18.1.11:80 of tcp 198.18.0.100:80']);
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w20']);
    // A dead server must not keep its traffic until the next full resync (60 s).
    await vi.advanceTimersByTimeAsync(1000);
    await h.manager.settled();
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.12:80w20']);
  });

  it('a change the kernel keeps refusing is tried again with a doubling wait, never more often', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const c1 = servicesConfig(web());
    const h = await serving(c1);
    h.kernel.missingSchedulers.add('nq');
    const c2 = servicesConfig(web(', scheduler: nq'));
    await h.manager.reload(c2, diffServices(c1, c2));
    const tries = async (ms: number): Promise<number> => {
      await vi.advanceTimersByTimeAsync(ms);
      await h.manager.settled();
      return h.kernel.count('updateService');
    };
    expect(await tries(0)).toBe(1);
    expect(await tries(1000)).toBe(2);
    expect(await tries(1000)).toBe(2);
    expect(await tries(1000)).toBe(3);
    expect(await tries(4000)).toBe(4);
    h.kernel.missingSchedulers.clear();
    expect(await tries(8000)).toBe(5);
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 nq 198.18.1.11:80w100,198.18.1.12:80w50']);
  });

  it('a read that fails is logged, never thrown, and retried with a full read-back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const h = await serving(servicesConfig(web()));
    h.kernel.inject({ on: 'read', times: 2 });
    h.answers.set('198.18.1.12:80', { ok: false });
    await h.round();
    expect(h.messages(ERROR)).toEqual(['IPVS reconcile failed; retrying with a full read-back in 1000 ms']);
    expect(h.logs.at(-1)).toContain('get service tcp 198.18.0.100:80: rejected by the kernel (ENOMEM)');
    expect(h.kernel.weight(WEB, rs(12))).toBe(50);
    // The retry's read fails too, then one succeeds.
    await vi.advanceTimersByTimeAsync(1000);
    await h.manager.settled();
    expect(h.messages(ERROR)).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000);
    await h.manager.settled();
    expect(h.reports.at(-1)?.scope).toBe('all');
    expect(h.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100']);
  });

  it('stop() keeps the kernel as it is, unless remove_on_exit, which deletes the managed services and survives refusals', async () => {
    const kept = await serving(servicesConfig(web()));
    await kept.manager.stop();
    expect(kept.kernel.writes()).toEqual([]);
    const removed = await serving(servicesConfig(web() + api(), '{ remove_on_exit: true }'));
    removed.kernel.inject({ on: 'deleteService' });
    await removed.manager.stop();
    expect(removed.kernel.writes()).toEqual(['deleteService tcp 198.18.0.100:80', 'deleteService tcp 198.18.0.101:443']);
    expect(removed.kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w100,198.18.1.12:80w50']);
  });
});
