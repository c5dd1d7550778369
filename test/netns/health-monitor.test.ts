// The HealthMonitor with real checkers against real listeners: every check type comes up,
// goes down when its real server fails (link down: timeouts; listeners stopped: refusals) within
// fall × interval + timeout (measured and printed), recovers within (rise + 1) × interval + timeout, exec
// checks set dynamic weights, and a hung exec check is killed at its timeout.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HealthChange, HealthMonitor, type MonitoredRealServer } from '../../src/health/monitor.js';
import { systemClock } from '../../src/health/schedule.js';
import type { CheckCommon } from '../../src/health/types.js';
import { type NetnsProcess, waitFor } from '../support/netns.mjs';
import { describeWith } from '../support/needs.js';
import { type HealthLab, cpuWaitMs, createHealthLab, setHttpAnswer, startDnsmasq, startServers } from './health-lab.js';

const timing: CheckCommon = { interval: 200, timeout: 100, rise: 2, fall: 3, warmup: 0 };
/** Event-loop and timer slack; time spent waiting for a CPU is measured and added separately. */
const margin = 150;
const detectionBound = timing.fall * timing.interval + timing.timeout + margin;
/** The probe in flight when the link returns may already have lost its packet: one round more. */
const recoveryBound = (timing.rise + 1) * timing.interval + timing.timeout + margin;

describeWith(['root', 'netns', 'dnsmasq', 'openssl'], 'health monitor end to end', () => {
  let lab: HealthLab;
  let servers: NetnsProcess;
  let monitor: HealthMonitor;
  const changes: HealthChange[] = [];
  let weightFile: string;
  let pidFile: string;
  const wired = ['tcp', 'http', 'dns', 'udp'];

  const upNow = (service: string): boolean | undefined => monitor.status().find((s) => s.service === service)?.state.up;
  const changeAfter = (service: string, up: boolean, since: number) =>
    waitFor(`${service} ${up ? 'up' : 'down'}`, () => changes.find((c) => c.service === service && c.up === up && c.at >= since), { timeoutMs: 5000, intervalMs: 10 });

  beforeAll(async () => {
    lab = createHealthLab();
    const stateFile = join(lab.tmp, 'http.json');
    setHttpAnswer(stateFile, 200, 'healthy');
    weightFile = join(lab.tmp, 'weight');
    writeFileSync(weightFile, 'weight=30\n');
    pidFile = join(lab.tmp, 'hung.pid');
    servers = await startServers(lab, { tcp: 8001, http: 8080, udp: 5353, stateFile });
    await startDnsmasq(lab);

    const rs = (service: string, port: number, check: MonitoredRealServer['check'], extra: Partial<MonitoredRealServer> = {}): MonitoredRealServer => ({
      service,
      address: lab.rsAddr,
      port,
      check,
      ...extra,
    });
    monitor = new HealthMonitor({ maxInFlight: 64, execConcurrency: 4 });
    monitor.onChange((c) => changes.push(c));
    monitor.update([
      rs('tcp', 8001, { ...timing, type: 'tcp' }),
      rs('http', 8080, { ...timing, type: 'http', method: 'GET', path: '/', expect_status: [200], expect_body: 'healthy' }),
      rs('dns', 53, { ...timing, type: 'dns', query_name: 'www.svc.test', query_type: 'A', expect_rcode: 'NOERROR', expect_answer: '198.18.2.53' }),
      rs('udp', 5353, { ...timing, type: 'udp', send: 'ping', expect: 'echo:ping' }),
      rs('exec', 8001, { ...timing, timeout: 1000, type: 'exec', command: ['/bin/cat', weightFile] }),
      rs('hung', 8001, { ...timing, interval: 1000, timeout: 300, fall: 1, type: 'exec', command: ['/bin/sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`] }, { initialUp: true }),
    ]);
    monitor.start();
  });
  afterAll(async () => {
    monitor?.stop();
    await lab?.cleanup();
  });

  it('brings every check type up, exec with its dynamic weight', async () => {
    await waitFor('all checks up', () => [...wired, 'exec'].every((s) => upNow(s) === true), { timeoutMs: 5000 });
    expect(changes.find((c) => c.service === 'exec' && c.up)).toMatchObject({ weight: 30 });
    expect(monitor.statesFor('exec').get(`${lab.rsAddr}:8001`)).toMatchObject({ up: true, weight: 30 });
  });

  it('follows a dynamic weight change reported by the exec check', async () => {
    const since = systemClock.now();
    writeFileSync(weightFile, 'weight=7\n');
    const change = await waitFor('weight 7', () => changes.find((c) => c.service === 'exec' && c.weight === 7 && c.at >= since), { timeoutMs: 3000 });
    expect(change).toMatchObject({ up: true, reason: 'weight 7' });
  });

  it('kills a hung exec check at its timeout and takes the real server down', async () => {
    const down = await changeAfter('hung', false, 0);
    expect(down.reason).toBe('killed at timeout');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    const gone = () => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
      } catch {
        return true;
      }
    };
    await waitFor(`hung check process ${pid} gone`, gone, { timeoutMs: 2000 });
    const last = monitor.statesFor('hung').get(`${lab.rsAddr}:8001`)?.lastResult;
    expect(last?.durationMs).toBeGreaterThanOrEqual(290);
    expect(last?.durationMs).toBeLessThan(700);
  });

  it('detects a dead link by timeouts within fall × interval + timeout', async () => {
    const w0 = cpuWaitMs();
    const t0 = systemClock.now();
    lab.ns.ip('link', 'set', 'eth0', 'down');
    let downs: HealthChange[];
    try {
      downs = await Promise.all(wired.map((s) => changeAfter(s, false, t0)));
    } finally {
      lab.ns.ip('link', 'set', 'eth0', 'up'); // the next test needs the link whatever happens here
    }
    const w1 = cpuWaitMs();
    const t1 = systemClock.now();
    const ups = await Promise.all(wired.map((s) => changeAfter(s, true, t1)));
    const starvedDown = Math.round(w1 - w0);
    const starvedUp = Math.round(cpuWaitMs() - w1);

    const times = downs.map((c) => Math.round(c.at - t0));
    console.log(`link down -> down (ms), bound ${detectionBound} + ${starvedDown} waiting for a CPU: ${wired.map((s, i) => `${s}=${times[i]} (${downs[i]?.reason})`).join(', ')}`);
    const back = ups.map((c) => Math.round(c.at - t1));
    console.log(`link up -> up (ms), bound ${recoveryBound} + ${starvedUp} waiting for a CPU: ${wired.map((s, i) => `${s}=${back[i]}`).join(', ')}`);
    for (const t of times) expect(t).toBeLessThanOrEqual(detectionBound + starvedDown);
    for (const c of downs) expect(['timeout', 'no reply', 'host unreachable']).toContain(c.reason);
    for (const t of back) expect(t).toBeLessThanOrEqual(recoveryBound + starvedUp);
  });

  it('detects stopped listeners by refusals within fall × interval', async () => {
    const w0 = cpuWaitMs();
    const t0 = systemClock.now();
    await servers.stop();
    const stopped = ['tcp', 'http', 'udp'];
    const downs = await Promise.all(stopped.map((s) => changeAfter(s, false, t0)));
    const times = downs.map((c) => Math.round(c.at - t0));
    const refusalBound = timing.fall * timing.interval + margin;
    const starved = Math.round(cpuWaitMs() - w0);
    console.log(`listeners stopped -> down (ms), bound ${refusalBound} + ${starved} waiting for a CPU: ${stopped.map((s, i) => `${s}=${times[i]} (${downs[i]?.reason})`).join(', ')}`);
    for (const t of times) expect(t).toBeLessThanOrEqual(refusalBound + starved);
    for (const c of downs) expect(c.reason).toBe('refused');
    // Logged once: exactly one down transition per service for this outage.
    for (const s of stopped) expect(changes.filter((c) => c.service === s && !c.up && c.at >= t0)).toHaveLength(1);
    expect(upNow('dns')).toBe(true);
  });
});
