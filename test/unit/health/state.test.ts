import { describe, expect, it } from 'vitest';
import { applyProbeResult, type HealthState, initialHealthState } from '../../../src/health/state.js';
import type { ProbeResult } from '../../../src/health/types.js';

const ok: ProbeResult = { ok: true, reason: 'connected', durationMs: 1 };
const refused: ProbeResult = { ok: false, reason: 'refused', durationMs: 1 };
const counts = { rise: 2, fall: 3 };

function run(state: HealthState, results: ProbeResult[], start = 1000) {
  const transitions = [];
  let s = state;
  let t = start;
  for (const r of results) {
    const out = applyProbeResult(s, r, counts, (t += 1000));
    s = out.state;
    if (out.transition) transitions.push({ at: t, ...out.transition });
  }
  return { state: s, transitions };
}

describe('health state', () => {
  it('a new real server starts down and comes up after its first passed check', () => {
    const s0 = initialHealthState(false, 0);
    expect(s0).toMatchObject({ up: false, pending: true, reason: 'not checked yet' });
    const { state, transitions } = run(s0, [ok]);
    expect(state.up).toBe(true);
    expect(transitions).toEqual([{ at: 2000, up: true, reason: 'passed check' }]);
  });

  it('a new real server that fails reports down once, then stays down quietly', () => {
    const { state, transitions } = run(initialHealthState(false, 0), [refused, refused, { ...refused, reason: 'timeout' }]);
    expect(state).toMatchObject({ up: false, pending: false, reason: 'timeout', since: 2000, consecutiveFail: 3 });
    expect(transitions).toEqual([{ at: 2000, up: false, reason: 'refused' }]);
  });

  it('an assumed-up real server (lvsd restart) needs fall failures to go down', () => {
    const { state, transitions } = run(initialHealthState(true, 0), [refused, refused, refused, refused]);
    expect(state.up).toBe(false);
    expect(state.since).toBe(4000);
    expect(transitions).toEqual([{ at: 4000, up: false, reason: 'refused' }]);
  });

  it('after a real failure it needs rise consecutive successes, and a failure resets the count', () => {
    const down = run(initialHealthState(true, 0), [refused, refused, refused]).state;
    const { state, transitions } = run(down, [ok, refused, ok, ok], 10_000);
    expect(transitions).toEqual([{ at: 14_000, up: true, reason: 'passed 2 checks' }]);
    expect(state).toMatchObject({ up: true, consecutiveOk: 2, consecutiveFail: 0, probes: 7 });
  });

  it('failures below fall do not take the server down; one success resets the count', () => {
    const { state, transitions } = run(initialHealthState(true, 0), [refused, refused, ok, refused, refused]);
    expect(state.up).toBe(true);
    expect(state.consecutiveFail).toBe(2);
    expect(state.lastResult).toMatchObject({ ok: false, reason: 'refused', at: 6000 });
    expect(transitions).toEqual([]);
  });

  it('reports a dynamic weight when it comes up and each time it changes, not on every probe', () => {
    const w = (weight: number): ProbeResult => ({ ok: true, reason: 'exit 0', weight, durationMs: 1 });
    const { state, transitions } = run(initialHealthState(false, 0), [w(5), w(5), w(7), w(7)]);
    expect(transitions).toEqual([
      { at: 2000, up: true, reason: 'passed check', weight: 5 },
      { at: 4000, up: true, reason: 'weight 7', weight: 7 },
    ]);
    expect(state.weight).toBe(7);
  });

  it('treats rise/fall of 0 as 1', () => {
    const out = applyProbeResult(initialHealthState(true, 0), refused, { rise: 0, fall: 0 }, 1);
    expect(out.transition).toEqual({ up: false, reason: 'refused' });
  });
});
