import { describe, expect, it } from 'vitest';
import { type HealthChange, HealthMonitor, type MonitoredRealServer } from '../../../src/health/monitor.js';
import type { CheckSpec, ProbeResult, ProbeTarget, TcpCheck } from '../../../src/health/types.js';
import { FakeClock } from '../../support/fake-clock.js';

const tcp: TcpCheck = { type: 'tcp', interval: 1000, timeout: 200, rise: 2, fall: 3, warmup: 0 };
const rs = (address: string, extra: Partial<MonitoredRealServer> = {}): MonitoredRealServer => ({ service: 'web', address, port: 80, check: tcp, ...extra });

/** A monitor whose checker answers from a table the test edits. */
function lab() {
  const clock = new FakeClock();
  const answers = new Map<string, ProbeResult>();
  const probed: string[] = [];
  const logged: string[] = [];
  const monitor = new HealthMonitor({
    clock,
    random: () => 0,
    jitter: 0,
    checker: async (target: ProbeTarget, spec: CheckSpec) => {
      probed.push(`${target.address} ${spec.type}`);
      return answers.get(target.address) ?? { ok: false, reason: 'refused', durationMs: 1 };
    },
    logger: { info: (_obj, msg) => logged.push(msg) },
  });
  const changes: HealthChange[] = [];
  monitor.onChange((c) => changes.push(c));
  return { clock, answers, probed, logged, monitor, changes };
}

const pass = (weight?: number): ProbeResult => ({ ok: true, reason: 'connected', durationMs: 1, ...(weight === undefined ? {} : { weight }) });

describe('HealthMonitor', () => {
  it('brings a passing new real server up once, and logs the transition once', async () => {
    const { clock, answers, monitor, changes, logged } = lab();
    answers.set('198.18.1.10', pass());
    monitor.update([rs('198.18.1.10')]);
    monitor.start();
    expect(monitor.statesFor('web').get('198.18.1.10:80')).toMatchObject({ up: false, pending: true });
    await clock.advance(5000);
    expect(changes).toEqual([{ service: 'web', realServer: '198.18.1.10:80', up: true, reason: 'passed check', at: 0 }]);
    expect(logged).toEqual(['real server 198.18.1.10:80 of web is up: passed check']);
    expect(monitor.statesFor('web').get('198.18.1.10:80')).toMatchObject({ up: true, probes: 6, consecutiveOk: 6 });
    monitor.stop();
  });

  it('takes an up server down after fall failures and reports the reason', async () => {
    const { clock, answers, monitor, changes } = lab();
    monitor.update([rs('198.18.1.10', { initialUp: true })]);
    monitor.start();
    answers.set('198.18.1.10', { ok: false, reason: 'status 503', durationMs: 1 });
    await clock.advance(2500);
    expect(changes).toEqual([{ service: 'web', realServer: '198.18.1.10:80', up: false, reason: 'status 503', at: 2000 }]);
    expect(monitor.status()).toEqual([
      expect.objectContaining({ service: 'web', realServer: '198.18.1.10:80', check: 'tcp', state: expect.objectContaining({ up: false, since: 2000, reason: 'status 503' }) }),
    ]);
    monitor.stop();
  });

  it('reports dynamic weight changes', async () => {
    const { clock, answers, monitor, changes } = lab();
    answers.set('198.18.1.10', pass(50));
    monitor.update([rs('198.18.1.10')]);
    monitor.start();
    await clock.advance(1500);
    answers.set('198.18.1.10', pass(10));
    await clock.advance(1000);
    expect(changes.map((c) => [c.up, c.weight, c.reason])).toEqual([
      [true, 50, 'passed check'],
      [true, 10, 'weight 10'],
    ]);
    monitor.stop();
  });

  it('update() keeps state for unchanged real servers, drops removed ones, re-schedules changed checks', async () => {
    const { clock, answers, monitor, probed } = lab();
    answers.set('198.18.1.10', pass());
    answers.set('198.18.1.11', pass());
    monitor.update([rs('198.18.1.10'), rs('198.18.1.11')]);
    monitor.start();
    await clock.advance(500);
    monitor.update([rs('198.18.1.10', { check: { ...tcp, interval: 2000 } })]);
    expect([...monitor.statesFor('web').keys()]).toEqual(['198.18.1.10:80']);
    expect(monitor.statesFor('web').get('198.18.1.10:80')?.up).toBe(true);
    probed.length = 0;
    // Re-scheduled at 500 with the new 2 s interval: probes at 500 and 2500 by 4400.
    await clock.advance(3900);
    expect(probed).toEqual(['198.18.1.10 tcp', '198.18.1.10 tcp']);
    expect(monitor.stats().jobs).toBe(1);
    monitor.stop();
  });

  it('probes a real server shared by two services once, and keeps a state per service', async () => {
    const { clock, answers, monitor, probed, changes } = lab();
    answers.set('198.18.1.10', pass());
    monitor.update([
      rs('198.18.1.10'),
      rs('198.18.1.10', { service: 'web-tls', port: 443, check: { ...tcp, port: 80, rise: 5 } }),
      rs('198.18.1.10', { service: 'exec-a', check: { type: 'exec', command: ['/bin/true'], interval: 1000, timeout: 200, rise: 1, fall: 1, warmup: 0 } }),
      rs('198.18.1.10', { service: 'exec-b', check: { type: 'exec', command: ['/bin/true'], interval: 1000, timeout: 200, rise: 1, fall: 1, warmup: 0 } }),
    ]);
    expect(monitor.stats().jobs).toBe(3);
    monitor.start();
    await clock.advance(2500);
    expect(probed.filter((p) => p.endsWith('tcp'))).toHaveLength(3);
    expect(changes.map((c) => `${c.service} ${c.realServer} ${c.up}`).sort()).toEqual([
      'exec-a 198.18.1.10:80 true',
      'exec-b 198.18.1.10:80 true',
      'web 198.18.1.10:80 true',
      'web-tls 198.18.1.10:443 true',
    ]);
    // Removing one service keeps the shared probe for the other.
    monitor.update([rs('198.18.1.10', { service: 'web-tls', port: 443, check: { ...tcp, port: 80, rise: 5 } })]);
    expect(monitor.stats().jobs).toBe(1);
    expect(monitor.statesFor('web-tls').get('198.18.1.10:443')?.up).toBe(true);
    monitor.stop();
  });
});

describe('HealthMonitor agent checks', () => {
  it('asks the agent on its own interval, reports what it asks for once, and keeps it when the agent goes quiet', async () => {
    const clock = new FakeClock();
    const replies: Array<ProbeResult> = [
      { ok: true, reason: 'agent answered', agentReply: { admin: 'drain' }, durationMs: 1 },
      { ok: true, reason: 'agent answered', agentReply: { admin: 'drain' }, durationMs: 1 },
      { ok: false, reason: 'refused', durationMs: 1 },
      { ok: true, reason: 'agent answered', agentReply: { admin: 'ready', percent: 50 }, durationMs: 1 },
    ];
    const asked: number[] = [];
    const monitor = new HealthMonitor({
      clock,
      random: () => 0,
      jitter: 0,
      checker: async () => pass(),
      agentChecker: async (_t, spec) => {
        asked.push(spec.port);
        return replies.shift() ?? { ok: false, reason: 'timeout', durationMs: 1 };
      },
    });
    const changes: HealthChange[] = [];
    monitor.onChange((c) => changes.push(c));
    monitor.update([rs('198.18.1.10', { initialUp: true, agent: { port: 9999, interval: 5000, timeout: 1000 } })]);
    monitor.start();
    await clock.advance(16_000);
    expect(asked.length).toBeGreaterThanOrEqual(4);
    expect(asked.every((p) => p === 9999)).toBe(true);
    const agentChanges = changes.filter((c) => c.agent);
    expect(agentChanges.map((c) => c.reason)).toEqual(['drain', 'ready 50%']);
    expect(monitor.statesFor('web').get('198.18.1.10:80')?.agent).toMatchObject({ admin: 'ready', percent: 50 });

    // The agent leaves the config: its job stops and what it said is forgotten.
    monitor.update([rs('198.18.1.10')]);
    const before = asked.length;
    await clock.advance(20_000);
    expect(asked.length).toBe(before);
    expect(monitor.statesFor('web').get('198.18.1.10:80')?.agent).toBeUndefined();
    monitor.stop();
  });
});

describe('HealthMonitor with several checks per real server', () => {
  const http: CheckSpec = { type: 'http', method: 'GET', path: '/ready', expect_status: [200], interval: 1000, timeout: 200, rise: 2, fall: 2, warmup: 0 };
  const ping: CheckSpec = { type: 'ping', interval: 500, timeout: 200, rise: 1, fall: 1, warmup: 0 };

  /** A monitor whose checker answers per check type from a table the test edits. */
  function typed() {
    const clock = new FakeClock();
    const answers = new Map<string, ProbeResult>();
    const monitor = new HealthMonitor({
      clock,
      random: () => 0,
      jitter: 0,
      checker: async (_target: ProbeTarget, spec: CheckSpec) => answers.get(spec.type) ?? { ok: false, reason: 'refused', durationMs: 1 },
    });
    const changes: string[] = [];
    monitor.onChange((c) => changes.push(`${c.at} ${c.up ? 'up' : 'down'}: ${c.reason}`));
    return { clock, answers, monitor, changes };
  }

  it('is up while every check passes; one failing check takes it down and status names it', async () => {
    const { clock, answers, monitor, changes } = typed();
    answers.set('tcp', pass());
    answers.set('http', pass());
    answers.set('ping', pass());
    monitor.update([rs('198.18.1.10', { check: [tcp, http, ping] })]);
    monitor.start();
    await clock.advance(1500);
    expect(monitor.stats().jobs).toBe(3);
    answers.set('http', { ok: false, reason: 'status 503', durationMs: 1 });
    await clock.advance(2000);
    expect(changes).toEqual(['0 up: all 3 checks passed', '3000 down: http /ready: status 503']);
    const [status] = monitor.status();
    expect(status).toMatchObject({ check: 'tcp+http+ping', state: { up: false, reason: 'http /ready: status 503' } });
    expect(status?.checks.map((c) => `${c.label} ${c.up} ${c.reason}`)).toEqual(['tcp true passed check', 'http /ready false status 503', 'ping true passed check']);
    monitor.stop();
  });

  it('keeps the state of checks that stay when the list changes, and reports the new verdict', async () => {
    const { clock, answers, monitor, changes } = typed();
    answers.set('tcp', pass());
    monitor.update([rs('198.18.1.10', { check: [tcp, http] })]);
    monitor.start();
    await clock.advance(2500);
    expect(monitor.statesFor('web').get('198.18.1.10:80')).toMatchObject({ up: false, reason: 'http /ready: refused' });
    // The failing http check is dropped: the tcp check, up all along, is all there is.
    monitor.update([rs('198.18.1.10', { check: [tcp] })]);
    expect(monitor.statesFor('web').get('198.18.1.10:80')).toMatchObject({ up: true, consecutiveOk: 3 });
    expect(changes).toEqual(['0 down: http /ready: refused', '2500 up: passed check']);
    monitor.stop();
  });

  it('starts every check from a restored verdict (health.json keeps one per real server)', async () => {
    const { clock, answers, monitor, changes } = typed();
    answers.set('tcp', pass());
    answers.set('ping', pass());
    const restored = { up: false, since: 0, reason: 'http /ready: status 503', consecutiveOk: 0, consecutiveFail: 3 };
    monitor.update([rs('198.18.1.10', { check: [tcp, ping], restored })]);
    monitor.start();
    // Restored down, not pending: each check needs its rise (tcp 2 at 1 s, ping 1) before the server is up.
    await clock.advance(500);
    expect(monitor.statesFor('web').get('198.18.1.10:80')?.up).toBe(false);
    await clock.advance(1000);
    expect(changes).toEqual(['1000 up: all 2 checks passed']);
    expect(monitor.snapshot()[0]?.health).toMatchObject({ up: true, reason: 'all 2 checks passed' });
    monitor.stop();
  });
});
