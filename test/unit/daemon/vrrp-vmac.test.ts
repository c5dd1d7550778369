// use_vmac in the VRRP manager, against the fake kernel: the macvlan is created down, goes up
// before the VIPs go on it and down after they left, adverts and announcements leave through it,
// and it is removed on stop, on a reload that turns use_vmac off, and when a previous run left it.
import { afterEach, describe, expect, it } from 'vitest';
import { configuredVips, removeLeftoverVips } from '../../../src/daemon/vrrp-leftovers.js';
import { VrrpManager } from '../../../src/daemon/vrrp-manager.js';
import { encodeAdvert } from '../../../src/vrrp/packet.js';
import { config, FakeKernel, logSink, until, web } from './vrrp-fakes.js';

const vmacWeb = (priority = 100, useVmac = 'true') => `${web(priority)}      use_vmac: ${useVmac}\n`;

describe('VrrpManager with use_vmac', () => {
  let manager: VrrpManager | undefined;
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
  });

  it('creates the macvlan down, brings it up before the VIP goes on it, and sends adverts and GARPs through it', async () => {
    const kernel = new FakeKernel();
    manager = await VrrpManager.start(config(vmacWeb()), { log: logSink().logger, kernel });
    // A leftover of that name would go first (there is none here).
    expect(kernel.vmacLog).toEqual(['remove vrrp.51', 'create vrrp.51 00:00:5e:00:01:33 on eth0']);
    expect(kernel.vmacs.get('vrrp.51')).toBe(false);
    // Adverts are sent from the macvlan, and heard on it while it is up (vrrp-vmac.ts), on the parent otherwise.
    expect(kernel.opened).toContainEqual({ family: 4, ifname: 'eth0', source: '198.18.0.2', multicast: true });
    expect(kernel.opened).toContainEqual({ family: 4, ifname: 'vrrp.51', source: '198.18.0.2', multicast: true });
    await until('the VIP on the macvlan', () => kernel.vips.has('vrrp.51 198.18.0.100'));
    expect(kernel.vmacLog.slice(1)).toEqual(['create vrrp.51 00:00:5e:00:01:33 on eth0', 'up vrrp.51']);
    expect(kernel.vips.has('eth0 198.18.0.100')).toBe(false);
    await until('adverts', () => kernel.sent.length >= 3);
    // The first advert as master waited for the link instead of being lost; none left elsewhere.
    expect(kernel.sent.every((s) => s.ifname === 'vrrp.51')).toBe(true);
    await until('a gratuitous ARP', () => kernel.announced.length > 0);
    expect(kernel.announced[0]).toBe('vrrp.51 198.18.0.100');
  });

  it('a master that steps down removes the VIP, then takes the link down; stop removes the macvlan', async () => {
    const kernel = new FakeKernel();
    manager = await VrrpManager.start(config(vmacWeb()), { log: logSink().logger, kernel });
    await until('master', () => manager?.status()[0]?.state === 'master' && kernel.vmacs.get('vrrp.51') === true);
    expect(manager.failover('web', 'step-down', 10_000)[0]?.ok).toBe(true);
    await until('link down', () => kernel.vmacs.get('vrrp.51') === false, 3_000);
    expect(kernel.vips.size).toBe(0);
    await manager.stop();
    manager = undefined;
    expect(kernel.vmacLog.slice(-2)).toEqual(['down vrrp.51', 'remove vrrp.51']);
    expect(kernel.vmacs.size).toBe(0);
  });

  it('stop sends priority 0 through the macvlan before it goes', async () => {
    const kernel = new FakeKernel();
    manager = await VrrpManager.start(config(vmacWeb()), { log: logSink().logger, kernel });
    await until('master', () => kernel.vmacs.get('vrrp.51') === true);
    await manager.stop();
    manager = undefined;
    expect(kernel.sent.filter((s) => s.priority === 0).map((s) => s.ifname)).toEqual(['vrrp.51']);
    expect(kernel.vmacs.size).toBe(0);
  });

  it('a reload that turns use_vmac off removes the macvlan and puts the VIP on the interface; a name of one\'s own is used', async () => {
    const kernel = new FakeKernel();
    manager = await VrrpManager.start(config(vmacWeb(100, '{ name: web-vmac }')), { log: logSink().logger, kernel });
    await until('VIP on web-vmac', () => kernel.vips.has('web-vmac 198.18.0.100'));
    await manager.reload(config(web()));
    expect(kernel.vmacLog).toContain('remove web-vmac');
    expect(kernel.vmacs.size).toBe(0);
    await until('VIP on eth0', () => kernel.vips.has('eth0 198.18.0.100'));
    expect(kernel.vips.has('web-vmac 198.18.0.100')).toBe(false);
  });

  it('removes a macvlan a previous run left, before the VIPs', async () => {
    const kernel = new FakeKernel();
    kernel.vmacs.set('vrrp.51', true);
    kernel.vips.add('vrrp.51 198.18.0.100');
    const { logger, lines } = logSink();
    await removeLeftoverVips(kernel, configuredVips(config(vmacWeb())), logger);
    expect(kernel.vmacLog).toEqual(['remove vrrp.51']);
    expect(kernel.vmacs.size).toBe(0);
    expect(lines.some((l) => l.includes('removed a macvlan left behind'))).toBe(true);
  });

  it('hears adverts on the macvlan while it is up and on the parent otherwise, never on both', async () => {
    const kernel = new FakeKernel();
    manager = await VrrpManager.start(config(vmacWeb()), { log: logSink().logger, kernel });
    await until('master', () => kernel.vmacs.get('vrrp.51') === true);
    const peer = '198.18.0.3';
    const advert = encodeAdvert({ version: 3, vrid: 51, priority: 200, maxAdvertIntervalCs: 1, addresses: ['198.18.0.100'] }, 'pseudo-header', { family: 4, src: peer, dst: '224.0.0.18' });
    const deliver = (ifname: string) => kernel.handlers.get(ifname)?.(advert, { family: 4, src: peer, dst: '224.0.0.18', ttl: 255, ifindex: 1 });
    // Up: the parent's copy is not the one the instance listens to.
    deliver('eth0');
    expect(manager.status()[0]?.state).toBe('master');
    // A peer with the same virtual MAC reaches the macvlan only: it is heard.
    deliver('vrrp.51');
    expect(manager.status()[0]?.state).toBe('backup');
    await until('link down', () => kernel.vmacs.get('vrrp.51') === false);
    // Down: the parent hears, the macvlan's copies are ignored.
    const before = manager.status()[0]?.counters.advertsReceived ?? 0;
    deliver('vrrp.51');
    deliver('eth0');
    expect(manager.status()[0]?.counters.advertsReceived).toBe(before + 1);
  });
});
