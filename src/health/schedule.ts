// The probe scheduler. Pending probes sit in one bucket per millisecond, and a min-heap orders
// the bucket times (ten thousand checks a second over a 1 s interval fill about a thousand
// buckets, so the heap does one operation per millisecond, not one per probe). Probe deadlines
// sit in a FIFO per timeout value (deadlines of equal timeouts expire in start order, so such a
// queue is already sorted). One timer serves both, so ten thousand checks cost one timer, not
// ten thousand. It enforces: a random first delay (up to `warmup`, or up to one interval without
// one) and optional per-round jitter so checks do not fire in the same millisecond, at most one
// probe in flight per job, a global concurrency cap and per-pool caps (exec checks get their
// own, smaller pool), and each probe's timeout via AbortSignal. The clock is injected so unit
// tests drive time by hand.
import { MinHeap } from './heap.js';
import type { ProbeResult } from './types.js';

export interface SchedulerClock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimer(fn: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Monotonic milliseconds on the wall-clock scale (performance.timeOrigin-based). */
export const systemClock: SchedulerClock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ScheduledJob {
  id: string;
  interval: number;
  timeout: number;
  /** The first probe runs after a random delay up to this; 0: up to one interval. */
  warmup: number;
  /** Concurrency pool with its own cap (see SchedulerOptions.poolLimits); default "default". */
  pool?: string;
  /**
   * Runs one probe. The signal aborts at the deadline or when the job is removed. While it has
   * not aborted it is reused for the job's next probe, so remove any listener added to it when
   * the probe settles.
   */
  run(signal: AbortSignal): Promise<ProbeResult>;
  /** Receives every result, including the scheduler's own "timeout" verdict. */
  report(result: ProbeResult): void;
}

export interface SchedulerOptions {
  clock?: SchedulerClock;
  /** Probes in flight across all jobs. */
  maxInFlight?: number;
  /** Probes in flight per pool, e.g. `{ exec: 16 }`. */
  poolLimits?: Record<string, number>;
  /** Per-round jitter as a fraction of the interval (0.1 = ±10%). The first probe is always at a random delay. */
  jitter?: number;
  random?: () => number;
  /**
   * Extra time past a job's timeout before the scheduler aborts it and records "timeout".
   * Checkers enforce the timeout themselves and report the precise reason (a UDP check even
   * counts silence until its timeout as success); this deadline is the backstop for one that
   * does not settle.
   */
  timeoutGrace?: number;
  /** Called with how late (ms) each probe started relative to its plan. */
  onLateness?: (ms: number) => void;
}

export interface SchedulerStats {
  jobs: number;
  running: number;
  queued: number;
  started: number;
  completed: number;
  /** Probes the scheduler itself had to abort: still running at timeout + grace. (Probes whose
   * checker noticed its own timeout complete normally with reason "timeout".) */
  timedOut: number;
  /** Rounds skipped because the previous probe of the same job was still queued or running. */
  skippedBusy: number;
}

/** The reason a probe's signal carries when its timeout expires. */
export class ProbeTimeout extends Error {
  override readonly name = 'ProbeTimeout';
}

interface Slot {
  job: ScheduledJob;
  pool: string;
  removed: boolean;
  phase: 'idle' | 'queued' | 'running';
  plannedAt: number;
  round: number;
  /** Round whose result was already reported as a timeout. */
  timedOutRound: number;
  startedAt: number;
  controller?: AbortController;
}

/** A running probe's deadline. */
interface Deadline {
  at: number;
  slot: Slot;
  round: number;
}

export class Scheduler {
  private readonly clock: SchedulerClock;
  private readonly maxInFlight: number;
  private readonly poolLimits: Record<string, number>;
  private readonly jitter: number;
  private readonly timeoutGrace: number;
  private readonly random: () => number;
  private readonly onLateness: ((ms: number) => void) | undefined;
  /** Jobs due, by whole millisecond; within a bucket in the order they were scheduled. */
  private readonly buckets = new Map<number, Slot[]>();
  /** The bucket times, earliest first. */
  private readonly times = new MinHeap<number>((a, b) => a < b);
  /** Deadline queues keyed by timeout + grace. */
  private readonly deadlines = new Map<number, Fifo<Deadline>>();
  /**
   * Deadlines that passed, judged one timer turn later. A stalled event loop fires timers before
   * it polls sockets, so a connect that completed during the stall would otherwise lose to its
   * own deadline: the turn in between lets pending I/O settle first, and only probes still
   * running after it are timed out. Without this a CPU-starved lvsd declares a healthy farm down.
   */
  private expiring: Deadline[] = [];
  private readonly slots = new Map<string, Slot>();
  private readonly ready = new Map<string, Fifo<Slot>>();
  private readonly runningPerPool = new Map<string, number>();
  private running = 0;
  private timer: unknown;
  private timerAt = Infinity;
  private started = false;
  private readonly counters = { started: 0, completed: 0, timedOut: 0, skippedBusy: 0 };

  constructor(options: SchedulerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxInFlight = options.maxInFlight ?? 4096;
    this.poolLimits = options.poolLimits ?? {};
    this.jitter = options.jitter ?? 0;
    this.timeoutGrace = options.timeoutGrace ?? 100;
    this.random = options.random ?? Math.random;
    this.onLateness = options.onLateness;
  }

  /** Adds a job; its first probe runs after a random delay up to its warm-up (or interval). */
  add(job: ScheduledJob): void {
    if (this.slots.has(job.id)) throw new Error(`health scheduler: job ${job.id} already exists`);
    const slot: Slot = {
      job,
      pool: job.pool ?? 'default',
      removed: false,
      phase: 'idle',
      plannedAt: 0,
      round: 0,
      timedOutRound: -1,
      startedAt: 0,
    };
    this.slots.set(job.id, slot);
    // Whole milliseconds: timers have that resolution, and probes due in the same millisecond
    // then share one timer firing.
    const spread = job.warmup > 0 ? job.warmup : job.interval;
    const first = Math.floor(this.clock.now() + this.random() * spread);
    this.schedule(slot, first);
    if (this.started) this.arm();
  }

  /** Removes a job; a probe in flight is aborted and its result dropped. */
  remove(id: string): void {
    const slot = this.slots.get(id);
    if (!slot) return;
    this.slots.delete(id);
    slot.removed = true;
    slot.controller?.abort(new Error('check removed'));
  }

  start(): void {
    this.started = true;
    this.arm();
  }

  /** Stops firing and aborts every probe in flight. Jobs stay registered. */
  stop(): void {
    this.started = false;
    this.disarm();
    for (const slot of this.slots.values()) if (slot.phase === 'running') slot.controller?.abort(new Error('health checks stopped'));
  }

  stats(): SchedulerStats {
    let queued = 0;
    for (const q of this.ready.values()) queued += q.size;
    return { jobs: this.slots.size, running: this.running, queued, ...this.counters };
  }

  private schedule(slot: Slot, at: number): void {
    const bucket = this.buckets.get(at);
    if (bucket) {
      bucket.push(slot);
      return;
    }
    this.buckets.set(at, [slot]);
    this.times.push(at);
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (!this.started) return;
    const now = this.clock.now();
    const expired = this.expiring;
    this.expiring = [];
    for (const d of expired) this.deadline(d.slot, d.round);
    for (const q of this.deadlines.values()) {
      for (let head = q.peek(); head && head.at <= now; head = q.peek()) {
        q.shift();
        if (head.slot.phase === 'running' && head.slot.round === head.round) this.expiring.push(head);
      }
    }
    for (let at = this.times.peek(); at !== undefined && at <= now; at = this.times.peek()) {
      this.times.pop();
      const bucket = this.buckets.get(at) ?? [];
      this.buckets.delete(at);
      for (const slot of bucket) if (!slot.removed) this.due(slot, at, now);
    }
    this.drain();
    this.arm();
  }

  private due(slot: Slot, plannedAt: number, now: number): void {
    const { interval } = slot.job;
    const spread = this.jitter > 0 ? (this.random() * 2 - 1) * this.jitter * interval : 0;
    // Whole milliseconds, and always a later bucket than this one.
    this.schedule(slot, Math.max(Math.ceil(now), Math.round(plannedAt + interval + spread), plannedAt + 1));
    if (slot.phase !== 'idle') {
      this.counters.skippedBusy++;
      return;
    }
    slot.phase = 'queued';
    slot.plannedAt = plannedAt;
    let q = this.ready.get(slot.pool);
    if (!q) this.ready.set(slot.pool, (q = new Fifo()));
    q.push(slot);
  }

  private deadline(slot: Slot, round: number): void {
    if (slot.removed || slot.phase !== 'running' || slot.round !== round) return;
    slot.timedOutRound = round;
    this.counters.timedOut++;
    slot.controller?.abort(new ProbeTimeout(`timed out after ${slot.job.timeout} ms`));
    slot.job.report({ ok: false, reason: 'timeout', durationMs: this.clock.now() - slot.startedAt });
  }

  /** Starts queued probes while the global and per-pool caps allow, taking pools in turn. */
  private drain(): void {
    let progressed = true;
    while (progressed && this.running < this.maxInFlight) {
      progressed = false;
      for (const [pool, q] of this.ready) {
        if (this.running >= this.maxInFlight) return;
        const limit = this.poolLimits[pool] ?? Infinity;
        if ((this.runningPerPool.get(pool) ?? 0) >= limit) continue;
        const slot = q.shift();
        if (q.size === 0) this.ready.delete(pool);
        if (!slot) continue;
        progressed = true;
        if (slot.removed) continue;
        this.launch(slot);
      }
    }
  }

  private launch(slot: Slot): void {
    const now = this.clock.now();
    this.onLateness?.(now - slot.plannedAt);
    slot.phase = 'running';
    slot.round++;
    slot.startedAt = now;
    const round = slot.round;
    // A signal that never aborted is reused for the job's next probe: one AbortController per
    // probe is a measurable share of the cost at ten thousand probes a second.
    if (!slot.controller || slot.controller.signal.aborted) slot.controller = new AbortController();
    const controller = slot.controller;
    this.running++;
    this.runningPerPool.set(slot.pool, (this.runningPerPool.get(slot.pool) ?? 0) + 1);
    this.counters.started++;
    const budget = slot.job.timeout + this.timeoutGrace;
    let q = this.deadlines.get(budget);
    if (!q) this.deadlines.set(budget, (q = new Fifo()));
    q.push({ at: now + budget, slot, round });
    let probe: Promise<ProbeResult>;
    try {
      probe = slot.job.run(controller.signal);
    } catch (err) {
      probe = Promise.reject(err);
    }
    probe.then(
      (result) => this.settle(slot, round, result),
      (err: unknown) =>
        this.settle(slot, round, {
          ok: false,
          reason: `checker error: ${err instanceof Error ? err.message : String(err)}`,
          durationMs: this.clock.now() - now,
        }),
    );
  }

  private settle(slot: Slot, round: number, result: ProbeResult): void {
    this.running--;
    this.runningPerPool.set(slot.pool, (this.runningPerPool.get(slot.pool) ?? 1) - 1);
    slot.phase = 'idle';
    this.counters.completed++;
    if (!slot.removed && slot.timedOutRound !== round && this.started) slot.job.report(result);
    if (!this.started) return;
    this.drain();
    this.arm();
  }

  private arm(): void {
    if (!this.started) return;
    let at = this.expiring.length > 0 ? this.clock.now() : (this.times.peek() ?? Infinity);
    for (const [budget, q] of this.deadlines) {
      const head = q.peek();
      if (head) at = Math.min(at, head.at);
      else this.deadlines.delete(budget);
    }
    if (at === Infinity) return this.disarm();
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.disarm();
    this.timerAt = at;
    this.timer = this.clock.setTimer(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}

/** Array-backed queue with O(1) shift; compacts once the consumed head dominates. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
