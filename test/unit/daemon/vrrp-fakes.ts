// Test doubles for the VRRP side of the daemon, shared by the manager and thread tests: a kernel
// in memory that decodes every advert it is asked to send, configs with 10 ms adverts, a log
// sink, a bounded wait, and the VRRP thread served in the test's own thread (the worker runs
// from dist/, which unit tests do not use).
import { MessageChannel } from 'node:worker_threads';
import { parseConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import type { Logger } from '../../../src/daemon/log.js';
import type { VmacLink, VrrpKernel, VrrpSocketHandle } from '../../../src/daemon/vrrp-kernel.js';
import { relayedLogger, VrrpThreadHost } from '../../../src/daemon/vrrp-thread-host.js';
import { VrrpThread } from '../../../src/daemon/vrrp-thread.js';
import type { VrrpPacketHandler, VrrpSocketOptions } from '../../../src/kernel/vrrp-socket.js';
import type { InterfaceAddress } from '../../../src/vrrp/from-config.js';
import { decodeAdvert } from '../../../src/vrrp/packet.js';
import type { VipSpec } from '../../../src/vrrp/settings.js';

export class FakeKernel implements VrrpKernel {
  readonly vips = new Set<string>();
  readonly sent: Array<{ dst: string; priority: number; vrid: number; ifname: string }> = [];
  readonly opened: VrrpSocketOptions[] = [];
  closedSockets = 0;
  readonly links = new Map<string, boolean>([['eth0', true], ['eth1', true]]);
  linkListener: ((ifname: string, running: boolean) => void) | undefined;

  async addresses(ifname: string): Promise<InterfaceAddress[] | undefined> {
    if (!this.links.has(ifname)) return undefined;
    return [{ family: 4, address: '198.18.0.2', tentative: false }];
  }

  async linkRunning(ifname: string): Promise<boolean | undefined> {
    return this.links.get(ifname);
  }

  /** What each socket delivers to, by interface (the latest opened). */
  readonly handlers = new Map<string, VrrpPacketHandler>();

  openSocket(opts: VrrpSocketOptions, onPacket: VrrpPacketHandler): VrrpSocketHandle {
    this.opened.push(opts);
    this.handlers.set(opts.ifname, onPacket);
    return {
      send: (payload, dst) => {
        const d = decodeAdvert(payload, { family: opts.family, src: opts.source, dst });
        if (!d.ok) throw new Error(`sent an undecodable advert: ${d.reason}`);
        this.sent.push({ dst, priority: d.advert.priority, vrid: d.advert.vrid, ifname: opts.ifname });
      },
      close: () => this.closedSockets++,
    };
  }

  async addVip(ifname: string, vip: VipSpec): Promise<boolean> {
    const key = `${ifname} ${vip.address}`;
    const added = !this.vips.has(key);
    this.vips.add(key);
    return added;
  }

  async removeVip(ifname: string, vip: VipSpec): Promise<boolean> {
    return this.vips.delete(`${ifname} ${vip.address}`);
  }

  announce(ifname: string, address: string): void {
    this.announced.push(`${ifname} ${address}`);
  }

  /** use_vmac macvlans by name: up or down; `vmacLog` records every step in order. */
  readonly vmacs = new Map<string, boolean>();
  readonly vmacLog: string[] = [];
  readonly announced: string[] = [];

  async createVmac(link: VmacLink): Promise<string[]> {
    this.vmacs.set(link.name, false);
    this.vmacLog.push(`create ${link.name} ${link.mac} on ${link.parent}`);
    return [];
  }

  async setVmacUp(link: VmacLink, up: boolean): Promise<void> {
    this.vmacs.set(link.name, up);
    this.vmacLog.push(`${up ? 'up' : 'down'} ${link.name}`);
  }

  async removeVmac(link: VmacLink): Promise<boolean> {
    this.vmacLog.push(`remove ${link.name}`);
    return this.vmacs.delete(link.name);
  }

  watchLinks(onChange: (ifname: string, running: boolean) => void): { close(): void } {
    this.linkListener = onChange;
    return { close: () => (this.linkListener = undefined) };
  }

  close(): void {}
}

export function config(instances: string, groups = ''): Config {
  const loaded = parseConfigText(`node: { name: t }\nvrrp:\n  instances:\n${instances}${groups}`, 'test.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  return loaded.config;
}

export const web = (priority = 100, vrid = 51) => `
    - name: web
      interface: eth0
      vrid: ${vrid}
      priority: ${priority}
      advert_interval: 10ms
      garp: { delay: 0s }
      vips: [198.18.0.100/24]
`;
export const api = `
    - name: api
      interface: eth0
      vrid: 52
      advert_interval: 10ms
      garp: { delay: 0s }
      vips: [198.18.0.101/24]
      track: { interfaces: [{ name: eth1, weight: 0 }] }
`;

export { logSink } from '../../support/log-sink.js';

export const until = async (what: string, probe: () => boolean, timeoutMs = 2_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** Daemon's startVrrp for unit tests: the VRRP thread's host on a MessageChannel, in this thread. */
export function inProcessVrrp(kernel: VrrpKernel = new FakeKernel()): (log: Logger) => VrrpThread {
  return (log) => {
    const { port1, port2 } = new MessageChannel();
    new VrrpThreadHost(port2, { log: relayedLogger(port2, log.level), kernel, exit: () => port2.close() });
    return VrrpThread.connect(port1, log);
  };
}
