// The IPVS connection-sync daemon following VRRP (src/daemon/sync-follower.ts) on the in-memory
// kernel: master while VRRP is master, backup otherwise; a changed interface restarts it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SyncFollower } from '../../../src/daemon/sync-follower.js';
import { FakeIpvsKernel } from '../../support/fake-ipvs-kernel.js';
import { servicesConfig } from '../../support/ipvs-harness.js';
import { logSink } from './vrrp-fakes.js';

const settings = (ipvs: string) => servicesConfig('  []\n', ipvs).ipvs.sync_daemon;
const enabled = settings('{ sync_daemon: { enabled: true, interface: eth1, sync_id: 9 } }');

afterEach(() => {
  vi.useRealTimers();
});

const running = (k: FakeIpvsKernel): string[] => [...k.syncDaemons.values()].map((d) => `${d.state} ${d.interface} ${d.syncId}`);

describe('SyncFollower', () => {
  it('runs as backup, switches to master with VRRP and back, one daemon at a time; repeating a role does nothing', async () => {
    const kernel = new FakeIpvsKernel();
    const f = new SyncFollower(kernel, enabled, logSink().logger);
    await f.follow(false);
    expect(running(kernel)).toEqual(['backup eth1 9']);
    kernel.clearCalls();
    await f.follow(false);
    expect(kernel.calls).toEqual([]);
    await f.follow(true);
    expect(running(kernel)).toEqual(['master eth1 9']);
    await f.follow(false);
    expect(running(kernel)).toEqual(['backup eth1 9']);
    await f.stop();
    expect(running(kernel)).toEqual([]);
  });

  it('a reload that changes the interface or sync id restarts it in the current role; an equal one does nothing', async () => {
    const kernel = new FakeIpvsKernel();
    const f = new SyncFollower(kernel, enabled, logSink().logger);
    await f.follow(true);
    kernel.clearCalls();
    await f.reconfigure(settings('{ sync_daemon: { enabled: true, interface: eth1, sync_id: 9 } }'), true);
    expect(kernel.calls).toEqual([]);
    await f.reconfigure(settings('{ sync_daemon: { enabled: true, interface: eth2, sync_id: 10 } }'), true);
    expect(running(kernel)).toEqual(['master eth2 10']);
  });

  it('does nothing when disabled', async () => {
    const kernel = new FakeIpvsKernel();
    const f = new SyncFollower(kernel, settings('{}'), logSink().logger);
    await f.follow(true);
    await f.stop();
    expect(kernel.calls).toEqual([]);
  });

  it('a daemon the kernel refuses is logged, not thrown, and started later in the role VRRP wants by then', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const kernel = new FakeIpvsKernel();
    kernel.interfaces = new Set(['eth0']);
    const { logger, lines } = logSink();
    const f = new SyncFollower(kernel, enabled, logger);
    await f.follow(true);
    expect(running(kernel)).toEqual([]);
    expect(lines.some((l) => l.includes('cannot start the IPVS connection sync daemon') && l.includes('no interface eth1 (ENODEV)'))).toBe(true);
    await f.follow(false);
    expect(running(kernel)).toEqual([]);
    // The interface appears; the retry starts the role VRRP asked for last.
    kernel.interfaces.add('eth1');
    await vi.advanceTimersByTimeAsync(5_000);
    await f.follow(false);
    expect(running(kernel)).toEqual(['backup eth1 9']);
    await f.stop();
  });

  it('stop() cancels a pending retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const kernel = new FakeIpvsKernel();
    kernel.interfaces = new Set(['eth0']);
    const f = new SyncFollower(kernel, enabled, logSink().logger);
    await f.follow(true);
    await f.stop();
    kernel.interfaces.add('eth1');
    kernel.clearCalls();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(kernel.calls.filter((c) => c.method === 'startSyncDaemon')).toEqual([]);
  });
});
