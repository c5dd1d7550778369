import { describe, expect, it } from 'vitest';
import { applyProbeResult, type HealthState, initialHealthState } from '../../../src/health/state.js';
import type { ProbeResult } from '../../../src/health/types.js';
import { type CheckHealth, checkLabels, combineChecks } from '../../../src/health/verdict.js';

const ok: ProbeResult = { ok: true, reason: 'connected', durationMs: 1 };
const bad = (reason: string): ProbeResult => ({ ok: false, reason, durationMs: 1 });

/** A server with named checks, fed results one at a time as the monitor does. */
function server(labels: string[], counts: { rise: number; fall: number }, initialUp = false) {
  let state = initialHealthState(initialUp, 0);
  const checks: CheckHealth[] = labels.map((label) => ({ label, state }));
  const transitions: string[] = [];
  return {
    feed(i: number, result: ProbeResult, now: number): void {
      const c = checks[i] as CheckHealth;
      c.state = applyProbeResult(c.state, result, counts, now).state;
      const out = combineChecks(state, checks, now);
      state = out.state;
      if (out.transition) transitions.push(`${now} ${out.transition.up ? 'up' : 'down'}: ${out.transition.reason}`);
    },
    get state(): HealthState {
      return state;
    },
    checks,
    transitions,
  };
}

describe('several checks on one real server', () => {
  it('is up only once every check is up, and down as soon as one is, naming it', () => {
    const s = server(['tcp', 'http /ready'], { rise: 1, fall: 1 });
    s.feed(0, ok, 1000);
    expect(s.state).toMatchObject({ up: false, pending: true, reason: 'http /ready: not checked yet' });
    s.feed(1, ok, 1100);
    expect(s.state).toMatchObject({ up: true, since: 1100, reason: 'all 2 checks passed' });
    s.feed(1, bad('status 503'), 2100);
    expect(s.state).toMatchObject({ up: false, since: 2100, reason: 'http /ready: status 503' });
    s.feed(0, ok, 3000);
    expect(s.state.up).toBe(false);
    s.feed(1, ok, 3100);
    expect(s.transitions).toEqual(['1100 up: all 2 checks passed', '2100 down: http /ready: status 503', '3100 up: all 2 checks passed']);
  });

  it('keeps rise/fall per check: a fast check passing does not count towards a slow one', () => {
    // rise 2 / fall 2: the slow check fails twice while the fast one passes every time in between.
    const s = server(['ping', 'http'], { rise: 2, fall: 2 }, true);
    for (let t = 1; t <= 6; t++) s.feed(0, ok, t * 100);
    s.feed(1, bad('timeout'), 700);
    expect(s.state.up).toBe(true);
    for (let t = 8; t <= 12; t++) s.feed(0, ok, t * 100);
    s.feed(1, bad('timeout'), 1300);
    expect(s.state).toMatchObject({ up: false, reason: 'http: timeout', consecutiveFail: 2 });
    // Coming back: ten fast passes do not make up the slow check's second success.
    s.feed(1, ok, 1400);
    for (let t = 15; t <= 25; t++) s.feed(0, ok, t * 100);
    expect(s.state.up).toBe(false);
    s.feed(1, ok, 2600);
    expect(s.state.up).toBe(true);
    expect(s.transitions).toEqual(['1300 down: http: timeout', '2600 up: all 2 checks passed']);
  });

  it('reports a new server whose first answer is a failure once, as one check would', () => {
    const s = server(['tcp', 'ping'], { rise: 1, fall: 1 });
    s.feed(1, bad('no echo reply (timeout)'), 500);
    s.feed(0, bad('refused'), 600);
    s.feed(1, bad('no echo reply (timeout)'), 1500);
    expect(s.transitions).toEqual(['500 down: ping: no echo reply (timeout)']);
    expect(s.state).toMatchObject({ up: false, reason: 'tcp: refused' });
  });

  it('takes the smallest weight any check reports', () => {
    const s = server(['exec', 'exec#2'], { rise: 1, fall: 1 });
    s.feed(0, { ...ok, weight: 7 }, 100);
    s.feed(1, { ...ok, weight: 3 }, 200);
    expect(s.state.weight).toBe(3);
    s.feed(1, { ...ok, weight: 9 }, 300);
    expect(s.state.weight).toBe(7);
    expect(s.transitions).toEqual(['200 up: all 2 checks passed', '300 up: weight 7']);
  });

  it('with one check the server state is exactly the check state (as before lists)', () => {
    const s = server(['tcp'], { rise: 2, fall: 3 });
    const alone = applyProbeResult(initialHealthState(false, 0), bad('refused'), { rise: 2, fall: 3 }, 100).state;
    s.feed(0, bad('refused'), 100);
    expect(s.state).toEqual(alone);
  });

  it('names checks by type, port and path, numbering equal ones', () => {
    expect(checkLabels([{ type: 'tcp' }, { type: 'tcp', port: 8080 }, { type: 'http', path: '/a' }, { type: 'http', path: '/', urls: [] }, { type: 'ping' }, { type: 'ping' }])).toEqual(
      ['tcp', 'tcp:8080', 'http /a', 'http', 'ping', 'ping#2'],
    );
  });
});
