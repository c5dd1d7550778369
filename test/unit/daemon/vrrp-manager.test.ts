// The VRRP manager against a fake kernel: start-up cleanup, reload without flaps, graceful stop,
// sync groups that start faulty, refusals, and notify hooks in transition order. Real timers with 10 ms adverts keep it quick.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/types.js';
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

describe('VrrpManager notify hooks', () => {
  let manager: VrrpManager | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-manager-notify-'));
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const withNotify = (notify: Config['vrrp']['instances'][number]['notify']): Config => {
    const c = config(web());
    const instance = c.vrrp.instances[0];
    if (!instance) throw new Error('no instance');
    instance.notify = notify;
    return c;
  };

  it('runs the hooks of a backup -> master -> backup flip within 50 ms in transition order', async () => {
    const record = join(dir, 'record');
    // The master hook is the slow one: run side by side, it would write last.
    const script = `case "$LVSD_VRRP_STATE" in master) sleep 0.3;; esac; echo "$LVSD_VRRP_STATE" >> ${record}`;
    const kernel = new FakeKernel();
    const states: string[] = [];
    manager = await VrrpManager.start(withNotify({ any: ['/bin/sh', '-c', script, 'hook'] }), { log: logSink().logger, kernel, onStateChange: (_n, s) => states.push(s) });
    await until('master', () => states.includes('master'));
    expect(manager.failover('web', 'step-down')).toEqual([{ instance: 'web', ok: true }]);
    expect(states).toEqual(['backup', 'master', 'backup']);
    await until('three hooks', () => existsSync(record) && readFileSync(record, 'utf8').split('\n').length > 3, 5_000);
    expect(readFileSync(record, 'utf8')).toBe('backup\nmaster\nbackup\n');
  });

  it('a hook that cannot be spawned is logged as failed, and the instance carries on', async () => {
    const kernel = new FakeKernel();
    const { logger, lines } = logSink();
    // Node refuses both synchronously: an argument above execve's 128 KiB (E2BIG) and a NUL byte.
    manager = await VrrpManager.start(withNotify({ master: ['/bin/true', 'x'.repeat(200_000)], backup: ['/bin/true', 'a\0b'] }), { log: logger, kernel });
    await until('master', () => manager?.status()[0]?.state === 'master');
    await until('the VIP', () => kernel.vips.has('eth0 198.18.0.100'));
    await until('two failures logged', () => lines.filter((l) => l.includes('notify hook failed')).length === 2);
    expect(lines.filter((l) => l.includes('notify hook failed')).map((l) => (JSON.parse(l) as { error: string }).error)).toEqual(['ERR_INVALID_ARG_VALUE', 'E2BIG']);
    expect(manager.status()[0]?.notifyHooks).toEqual({ ok: 0, failed: 2 });
  });
});
