import { describe, expect, it } from 'vitest';
import { ProbeTimeout, Scheduler, type ScheduledJob } from '../../../src/health/schedule.js';
import type { ProbeResult } from '../../../src/health/types.js';
import { FakeClock } from '../../support/fake-clock.js';

const pass: ProbeResult = { ok: true, reason: 'connected', durationMs: 0 };

/** A job whose probes the test settles by hand; records start times, signals and results. */
function manualJob(id: string, clock: FakeClock, extra: Partial<ScheduledJob> = {}) {
  const starts: number[] = [];
  const signals: AbortSignal[] = [];
  const results: ProbeResult[] = [];
  const pending: Array<(r: ProbeResult) => void> = [];
  const job: ScheduledJob = {
    id,
    interval: 1000,
    timeout: 300,
    warmup: 0,
    run: (signal) => {
      starts.push(clock.now());
      signals.push(signal);
      return new Promise((resolve) => pending.push(resolve));
    },
    report: (r) => results.push(r),
    ...extra,
  };
  return { job, starts, signals, results, settle: () => pending.shift()?.(pass) };
}

/** A job whose probes pass at once. */
function instantJob(id: string, clock: FakeClock, extra: Partial<ScheduledJob> = {}) {
  const starts: number[] = [];
  const job: ScheduledJob = {
    id,
    interval: 1000,
    timeout: 300,
    warmup: 0,
    run: async () => {
      starts.push(clock.now());
      return pass;
    },
    report: () => undefined,
    ...extra,
  };
  return { job, starts };
}

describe('Scheduler', () => {
  it('starts after a random delay up to the warm-up (else the interval), then runs at a fixed rate', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, random: () => 0.25 });
    const a = instantJob('a', clock, { warmup: 8000 });
    const b = instantJob('b', clock);
    s.add(a.job);
    s.add(b.job);
    s.start();
    await clock.advance(4300);
    expect(a.starts).toEqual([2000, 3000, 4000]);
    expect(b.starts).toEqual([250, 1250, 2250, 3250, 4250]);
  });

  it('spreads thousands of checks over the interval using a single timer', async () => {
    const clock = new FakeClock();
    let timersSet = 0;
    let maxPending = 0;
    const setTimer = clock.setTimer.bind(clock);
    clock.setTimer = (fn, ms) => {
      timersSet++;
      const handle = setTimer(fn, ms);
      maxPending = Math.max(maxPending, clock.pending);
      return handle;
    };
    const s = new Scheduler({ clock });
    const jobs = Array.from({ length: 5000 }, (_, i) => instantJob(`j${i}`, clock));
    for (const j of jobs) s.add(j.job);
    s.start();
    await clock.advance(999);
    const perMs = new Map<number, number>();
    for (const j of jobs) for (const t of j.starts) perMs.set(Math.floor(t), (perMs.get(Math.floor(t)) ?? 0) + 1);
    expect(jobs.every((j) => j.starts.length === 1)).toBe(true);
    // 5000 checks over 1000 ms: about 5 per millisecond, never a thundering herd.
    expect(Math.max(...perMs.values())).toBeLessThan(30);
    expect(s.stats()).toMatchObject({ jobs: 5000, started: 5000, completed: 5000 });
    expect(perMs.size).toBeGreaterThan(900);
    // One timer at a time, armed at most once per millisecond of schedule (+1 for the first), never once per job.
    expect(maxPending).toBe(1);
    expect(timersSet).toBeLessThanOrEqual(1001);
  });

  it('reports a timeout at the deadline, aborts the probe, and never runs two probes of a job at once', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, random: () => 0, timeoutGrace: 50 });
    const a = manualJob('a', clock, { interval: 1000, timeout: 300 });
    s.add(a.job);
    s.start();
    await clock.advance(349);
    expect(a.results).toEqual([]);
    await clock.advance(1);
    expect(a.results).toEqual([{ ok: false, reason: 'timeout', durationMs: 350 }]);
    expect(a.signals[0]?.aborted).toBe(true);
    expect(a.signals[0]?.reason).toBeInstanceOf(ProbeTimeout);
    // The probe ignores the abort and is still running at the next round: that round is skipped.
    await clock.advance(1000);
    expect(a.starts).toEqual([0]);
    expect(s.stats()).toMatchObject({ running: 1, skippedBusy: 1, timedOut: 1 });
    // Settling late does not report a second result; the next round runs normally.
    a.settle();
    await clock.advance(700);
    expect(a.results).toHaveLength(1);
    expect(a.starts).toEqual([0, 2000]);
  });

  it('lets a probe whose reply is handled in the same turn as its deadline win (stalled event loop)', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, random: () => 0, timeoutGrace: 50 });
    const a = manualJob('a', clock, { timeout: 300 });
    s.add(a.job);
    s.start();
    await clock.advance(0);
    // The scheduler's deadline timer (350) fires first, then this one settles the probe.
    clock.setTimer(() => a.settle(), 350);
    await clock.advance(400);
    expect(a.results).toEqual([pass]);
    expect(s.stats().timedOut).toBe(0);
  });

  it('holds probes beyond the global cap in a queue and starts them as slots free up', async () => {
    const clock = new FakeClock();
    const lateness: number[] = [];
    const s = new Scheduler({ clock, maxInFlight: 2, random: () => 0, onLateness: (ms) => lateness.push(ms) });
    const jobs = ['a', 'b', 'c', 'd'].map((id) => manualJob(id, clock));
    for (const j of jobs) s.add(j.job);
    s.start();
    await clock.advance(0);
    expect(s.stats()).toMatchObject({ running: 2, queued: 2 });
    await clock.advance(10);
    jobs[0]?.settle();
    await clock.advance(0);
    expect(s.stats()).toMatchObject({ running: 2, queued: 1 });
    expect(jobs[2]?.starts).toEqual([10]);
    expect(lateness).toEqual([0, 0, 10]);
  });

  it('caps a pool separately so exec checks cannot starve the others', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, maxInFlight: 10, poolLimits: { exec: 1 }, random: () => 0 });
    const execs = ['e1', 'e2', 'e3'].map((id) => manualJob(id, clock, { pool: 'exec' }));
    const tcp = manualJob('t', clock);
    for (const j of [...execs, tcp]) s.add(j.job);
    s.start();
    await clock.advance(0);
    expect(execs.map((e) => e.starts.length)).toEqual([1, 0, 0]);
    expect(tcp.starts).toEqual([0]);
    execs[0]?.settle();
    await clock.advance(0);
    expect(execs.map((e) => e.starts.length)).toEqual([1, 1, 0]);
  });

  it('remove() aborts the probe in flight and drops its result', async () => {
    const clock = new FakeClock();
    const s = new Scheduler({ clock, random: () => 0 });
    const a = manualJob('a', clock);
    s.add(a.job);
    s.start();
    await clock.advance(0);
    s.remove('a');
    expect(a.signals[0]?.aborted).toBe(true);
    a.settle();
    await clock.advance(5000);
    expect(a.results).toEqual([]);
    expect(a.starts).toEqual([0]);
    expect(s.stats()).toMatchObject({ jobs: 0, running: 0 });
  });

  it('turns a checker that throws into a failed result', async () => {
    const clock = new FakeClock();
    const results: ProbeResult[] = [];
    const s = new Scheduler({ clock, random: () => 0 });
    s.add({ id: 'x', interval: 1000, timeout: 100, warmup: 0, run: () => { throw new Error('boom'); }, report: (r) => results.push(r) });
    s.start();
    await clock.advance(0);
    expect(results).toEqual([{ ok: false, reason: 'checker error: boom', durationMs: 0 }]);
  });

  it('applies per-round jitter within ±jitter × interval', async () => {
    const clock = new FakeClock();
    const rolls = [0, 1, 0, 0.5];
    const s = new Scheduler({ clock, jitter: 0.1, random: () => rolls.shift() ?? 0.5 });
    const a = instantJob('a', clock);
    s.add(a.job);
    s.start();
    await clock.advance(3000);
    // phase 0; then +1000+100, +1000-100, +1000
    expect(a.starts).toEqual([0, 1100, 2000, 3000]);
  });
});
