// The VRRP manager against a fake kernel: start-up cleanup, reload without flaps, graceful stop,
// sync groups that start faulty, and refusals. Real timers with 10 ms adverts keep it quick.
import { afterEach, describe, expect, it } from 'vitest';
import { VrrpManager } from '../../../src/daemon/vrrp-manager.js';
import { api, config, FakeKernel, logSink, until, web } from './vrrp-fakes.js';

describe('VrrpManager', () => {
  let manager: VrrpManager | undefined;
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
  });

  it('removes VIPs a previous run left behind, then wins the election alone', async () => {
    const kernel = new FakeKernel();
    kernel.vips.add('eth0 198.18.0.100');
    const { logger, lines } = logSink();
    manager = await VrrpManager.start(config(web()), { log: logger, kernel });
    expect(lines.some((l) => l.includes('removed a VIP left behind'))).toBe(true);
    expect(manager.status()[0]?.state).toBe('backup');
    await until('mastership', () => manager?.status()[0]?.state === 'master');
    await until('the VIP', () => kernel.vips.has('eth0 198.18.0.100'));
    expect(kernel.opened).toEqual([{ family: 4, ifname: 'eth0', source: '198.18.0.2', multicast: true }]);
    const view = manager.status()[0];
    expect(view?.currentMaster).toEqual({ address: '198.18.0.2', priority: 100 });
    expect(view?.lastTransition).toMatchObject({ from: 'backup', to: 'master', reason: 'master-down' });
  });

  it('reload keeps unchanged instances running and restarts changed ones', async () => {
    const kernel = new FakeKernel();
    const { logger } = logSink();
    const changes: string[] = [];
    manager = await VrrpManager.start(config(web() + api), { log: logger, kernel });
    manager.onStateChange((name, state) => changes.push(`${name}:${state}`));
    await until('both masters', () => manager?.status().every((s) => s.state === 'master') === true);
    changes.length = 0;
    await manager.reload(config(web() + api));
    expect(changes).toEqual([]);
    await manager.reload(config(web(120) + api));
    // web went down (priority 0, VIP removed) and came back; api never moved.
    expect(changes.slice(0, 2)).toEqual(['web:initialize', 'web:backup']);
    expect(kernel.sent.some((s) => s.vrid === 51 && s.priority === 0)).toBe(true);
    expect(kernel.sent.some((s) => s.vrid === 52 && s.priority === 0)).toBe(false);
    await until('web master again', () => manager?.status().find((s) => s.name === 'web')?.state === 'master');
    expect(changes.filter((c) => c.startsWith('api'))).toEqual([]);
    // Removing an instance stops it gracefully.
    await manager.reload(config(web(120)));
    expect(kernel.vips.has('eth0 198.18.0.101')).toBe(false);
    expect(manager.status().map((s) => s.name)).toEqual(['web']);
  });

  it('stop sends priority 0 from every master, removes every VIP and closes the sockets', async () => {
    const kernel = new FakeKernel();
    manager = await VrrpManager.start(config(web() + api), { log: logSink().logger, kernel });
    await until('both masters', () => manager?.status().every((s) => s.state === 'master') === true);
    await manager.stop();
    manager = undefined;
    expect(kernel.vips.size).toBe(0);
    expect(kernel.sent.filter((s) => s.priority === 0).map((s) => s.vrid).sort()).toEqual([51, 52]);
    expect(kernel.closedSockets).toBe(1);
    expect(kernel.linkListener).toBeUndefined();
  });

  it('a sync group whose member starts with a dead tracked link starts wholly in FAULT, and recovers', async () => {
    const kernel = new FakeKernel();
    kernel.links.set('eth1', false);
    manager = await VrrpManager.start(config(web() + api, '  sync_groups: [{ name: g, instances: [web, api] }]\n'), { log: logSink().logger, kernel });
    expect(manager.status().map((s) => s.state)).toEqual(['fault', 'fault']);
    expect(manager.status().find((s) => s.name === 'api')?.faultItems).toEqual(['interface eth1']);
    expect(manager.syncGroups()).toEqual([{ name: 'g', state: 'fault', members: ['web', 'api'], faultyMembers: ['api'] }]);
    kernel.linkListener?.('eth1', true);
    await until('both masters', () => manager?.status().every((s) => s.state === 'master') === true);
    expect(kernel.vips.size).toBe(2);
  });

  it('an address owner is master before start() returns, and the deps listener hears it', async () => {
    const kernel = new FakeKernel();
    const heard: string[] = [];
    manager = await VrrpManager.start(config(web(255)), { log: logSink().logger, kernel, onStateChange: (name, state, reason) => heard.push(`${name}:${state}:${reason}`) });
    expect(heard).toEqual(['web:master:owner']);
    await until('the VIP', () => kernel.vips.has('eth0 198.18.0.100'));
  });

  it('refuses a config it cannot run, leaving nothing behind, and unknown failover targets', async () => {
    const kernel = new FakeKernel();
    const missing = config(web().replace('interface: eth0', 'interface: eth9'));
    await expect(VrrpManager.start(missing, { log: logSink().logger, kernel })).rejects.toThrow('vrrp instance web: no interface eth9');
    expect(kernel.opened).toEqual([]);
    manager = await VrrpManager.start(config(web()), { log: logSink().logger, kernel });
    await expect(manager.reload(missing)).rejects.toThrow('no interface eth9');
    expect(manager.status().map((s) => s.name)).toEqual(['web']);
    expect(manager.failover('nope', 'step-down')).toEqual([{ instance: 'nope', ok: false, reason: 'no VRRP instance named nope' }]);
    // Just started: backup, so there is no master to step down.
    expect(manager.failover(undefined, 'step-down')).toEqual([]);
  });
});
