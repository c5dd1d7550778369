// The main thread's handle on the VRRP thread and the thread's host, over a real MessageChannel
// in one thread (the worker itself is exercised by the netns tests): requests and replies, state
// events, refusals, log relay and level changes, what crosses to the thread, and the stop.
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { relayedLogger, VrrpThreadHost } from '../../../src/daemon/vrrp-thread-host.js';
import type { VrrpRequestMessage, VrrpThreadMessage } from '../../../src/daemon/vrrp-thread-protocol.js';
import { VrrpThread } from '../../../src/daemon/vrrp-thread.js';
import { api, config, FakeKernel, logSink, until, web } from './vrrp-fakes.js';

interface Connected {
  thread: VrrpThread;
  kernel: FakeKernel;
  /** Log lines as the main thread's logger wrote them. */
  lines: string[];
  logger: ReturnType<typeof logSink>['logger'];
  /** Requests as the thread received them. */
  requests: VrrpRequestMessage[];
  /** Messages as the main thread received them. */
  events: VrrpThreadMessage[];
  /** Exit codes the host asked for. */
  exits: number[];
}

const open: Array<() => void> = [];

function connect(kernel = new FakeKernel()): Connected {
  const { port1, port2 } = new MessageChannel();
  const { logger, lines } = logSink();
  const requests: VrrpRequestMessage[] = [];
  const events: VrrpThreadMessage[] = [];
  const exits: number[] = [];
  port2.on('message', (m: VrrpRequestMessage) => requests.push(m));
  port1.on('message', (m: VrrpThreadMessage) => events.push(m));
  new VrrpThreadHost(port2, { log: relayedLogger(port2, logger.level), kernel, exit: (code) => exits.push(code) });
  const thread = VrrpThread.connect(port1, logger);
  open.push(() => {
    void thread.stop().catch(() => undefined);
    setTimeout(() => {
      port1.close();
      port2.close();
    }, 50);
  });
  return { thread, kernel, lines, logger, requests, events, exits };
}

describe('VrrpThread and VrrpThreadHost', () => {
  afterEach(() => {
    for (const close of open.splice(0)) close();
  });

  it('starts, reports state changes, answers status and failover, and stops with priority 0 and no VIPs left', async () => {
    const c = connect();
    const changes: string[] = [];
    c.thread.onStateChange((instance, state, reason) => changes.push(`${instance}:${state}:${reason}`));
    await c.thread.start(config(web() + api));
    await until('both masters', () => changes.filter((x) => x.includes(':master:')).length === 2);
    expect(c.thread.isMaster()).toBe(true);
    expect((await c.thread.status()).map((s) => [s.name, s.state])).toEqual([
      ['web', 'master'],
      ['api', 'master'],
    ]);
    expect(await c.thread.syncGroups()).toEqual([]);
    expect((await c.thread.sockets()).map((s) => s.interface)).toEqual(['eth0']);
    expect(await c.thread.failover('web', 'step-down', 60_000)).toEqual([{ instance: 'web', ok: true }]);
    await until('web steps down', () => changes.includes('web:backup:step-down'));
    expect(await c.thread.failover('nope', 'take-over')).toEqual([{ instance: 'nope', ok: false, reason: 'no VRRP instance named nope' }]);

    const before = c.kernel.sent.length;
    await c.thread.stop();
    // api was still master; web (backup after its step-down) has nothing to hand over.
    expect(c.kernel.sent.slice(before).filter((s) => s.priority === 0).map((s) => s.vrid)).toEqual([52]);
    expect(c.kernel.vips.size).toBe(0);
    expect(c.kernel.closedSockets).toBe(1);
    expect(c.exits).toEqual([0]);
    await expect(c.thread.status()).rejects.toThrow('the VRRP thread ended');
    await c.thread.stop();
  });

  it('sends the thread only the vrrp part of the config', async () => {
    const c = connect();
    const withServices = { ...config(web()), services: [] };
    await c.thread.clearLeftovers(withServices);
    await c.thread.start(withServices);
    await c.thread.reload(withServices);
    const sent = c.requests.filter((r) => r.op === 'clear-leftovers' || r.op === 'start' || r.op === 'reload');
    expect(sent.map((r) => r.op)).toEqual(['clear-leftovers', 'start', 'reload']);
    for (const r of sent) expect('config' in r && Object.keys(r.config)).toEqual(['vrrp']);
  });

  it('removes leftover VIPs on request without starting anything', async () => {
    const c = connect();
    c.kernel.vips.add('eth0 198.18.0.100');
    await c.thread.clearLeftovers(config(web()));
    expect(c.kernel.vips.size).toBe(0);
    expect(c.kernel.opened).toEqual([]);
    expect(c.lines.some((l) => l.includes('removed a VIP left behind'))).toBe(true);
  });

  it('a request the thread refuses rejects with its reason, and what runs keeps running', async () => {
    const c = connect();
    await c.thread.start(config(web()));
    await expect(c.thread.reload(config(web().replace('interface: eth0', 'interface: eth9')))).rejects.toThrow('vrrp instance web: no interface eth9');
    await expect(c.thread.start(config(web()))).rejects.toThrow('VRRP is already started');
    expect((await c.thread.status()).map((s) => s.name)).toEqual(['web']);
  });

  it("writes the thread's log lines through the main logger with their level and fields, and follows level changes", async () => {
    const c = connect();
    await c.thread.start(config(web()));
    const started = c.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'VRRP instance started');
    expect(started).toMatchObject({ level: 30, thread: 'vrrp', subsystem: 'vrrp', instance: 'web', vrid: 51 });
    c.logger.level = 'warn';
    await c.thread.reload(config(web()));
    // The thread filters at the new level itself: the info line of the reload is not even sent.
    const relayed = c.events.flatMap((e) => (e.type === 'log' ? [JSON.parse(e.line) as { msg: string }] : []));
    expect(relayed.map((l) => l.msg)).not.toContain('VRRP configuration reloaded');
    expect(relayed.map((l) => l.msg)).toContain('VRRP instance started');
  });

  it("reports the thread's event-loop delay, windowed by the reader", async () => {
    const c = connect();
    const first = await c.thread.snapshot(true);
    expect(first.loopDelay).toEqual({ p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number), windowSeconds: expect.any(Number) });
    await new Promise((r) => setTimeout(r, 60));
    const second = await c.thread.snapshot(false);
    expect(second.loopDelay.windowSeconds).toBeGreaterThanOrEqual(0.05);
    expect(second.loopDelay.windowSeconds).toBeLessThan(first.loopDelay.windowSeconds + 10);
  });
});
