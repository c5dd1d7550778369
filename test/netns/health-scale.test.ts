// Two thousand real servers (listeners on 2,000 ports in one namespace) checked by one monitor:
// all come up within about one interval, probes start on schedule, and when every listener
// dies at once the whole farm is down within fall × interval + timeout. Numbers are printed;
// the bounds leave room for a shared, busy test machine.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HealthChange, HealthMonitor } from '../../src/health/monitor.js';
import { systemClock } from '../../src/health/schedule.js';
import type { TcpCheck } from '../../src/health/types.js';
import { type NetnsProcess, waitFor } from '../support/netns.mjs';
import { describeWith } from '../support/needs.js';
import { type HealthLab, cpuWaitMs, createHealthLab } from './health-lab.js';

const targets = 2000;
const firstPort = 20_000;
const check: TcpCheck = { type: 'tcp', interval: 1000, timeout: 500, rise: 1, fall: 2, warmup: 0 };
/** Room for event-loop lag with 2,000 probes a second; CPU starvation is measured and added. */
const slack = 1000;

describeWith(['root', 'netns', 'dnsmasq', 'openssl'], 'health monitor at scale', () => {
  let lab: HealthLab;
  let servers: NetnsProcess;
  let monitor: HealthMonitor;
  const lateness: number[] = [];
  const downs: HealthChange[] = [];

  beforeAll(async () => {
    lab = createHealthLab();
    servers = lab.ns.spawn(process.execPath, [new URL('../fixtures/health/servers.mjs', import.meta.url).pathname, JSON.stringify({ tcpRange: [firstPort, targets] })]);
    await servers.waitForOutput(/^ready$/m, 20_000);
    monitor = new HealthMonitor({ onLateness: (ms) => lateness.push(ms) });
    monitor.onChange((c) => {
      if (!c.up) downs.push(c);
    });
  });
  afterAll(async () => {
    monitor?.stop();
    await lab?.cleanup();
  });

  const upCount = () => monitor.status().filter((s) => s.state.up).length;

  it(`brings ${targets} real servers up within one interval and keeps probes on schedule`, async () => {
    const w0 = cpuWaitMs();
    const t0 = systemClock.now();
    monitor.update(Array.from({ length: targets }, (_, i) => ({ service: 'farm', address: lab.rsAddr, port: firstPort + i, check })));
    monitor.start();
    await waitFor('all up', () => upCount() === targets, { timeoutMs: 10_000, intervalMs: 20 });
    const allUp = Math.round(systemClock.now() - t0);
    const starved = Math.round(cpuWaitMs() - w0);
    lateness.length = 0;
    const before = monitor.stats();
    await new Promise((r) => setTimeout(r, 3000));
    const after = monitor.stats();
    const sorted = [...lateness].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? NaN;
    const rate = Math.round((after.completed - before.completed) / 3);
    console.log(`${targets} targets: all up after ${allUp} ms (${starved} ms waiting for a CPU); ${rate} probes/s; lateness p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; skipped ${after.skippedBusy - before.skippedBusy}`);
    expect(allUp).toBeLessThanOrEqual(check.interval + slack + starved);
    expect(rate).toBeGreaterThan(targets * 0.8);
    expect(after.timedOut - before.timedOut).toBe(0);
    expect(upCount()).toBe(targets);
    expect(downs).toEqual([]); // no false alarm while the farm is healthy
  });

  it('takes the whole farm down within fall × interval + timeout when every listener dies', async () => {
    // Measured from the listener process's exit: its sockets are closed by then.
    await servers.stop();
    const w0 = cpuWaitMs();
    const t0 = systemClock.now();
    await waitFor('all down', () => upCount() === 0, { timeoutMs: 10_000, intervalMs: 20 });
    const last = Math.max(...downs.map((c) => c.at)) - t0;
    const starved = Math.round(cpuWaitMs() - w0);
    const bound = check.fall * check.interval + check.timeout + slack;
    console.log(`${targets} targets: all down ${Math.round(last)} ms after the listeners died (bound ${bound} + ${starved} waiting for a CPU)`);
    expect(last).toBeLessThanOrEqual(bound + starved);
    expect(downs).toHaveLength(targets);
    expect(new Set(downs.map((c) => c.reason))).toEqual(new Set(['refused']));
  });
});
