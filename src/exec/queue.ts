// Ordering and a global cap for commands that must not overtake each other: the notify hooks of
// one VRRP instance (or sync group) run one at a time in the order the transitions happened, so
// a backup -> master -> backup flap ends with the backup hook having run last, as keepalived's
// notify_fifo promises; across keys at most `concurrency` commands run at once, so a flapping
// cluster cannot fork hundreds of hooks. A key whose queue is full drops its oldest waiting
// command (the newest transitions are the ones whose effect must hold), counted and reported.
import { startCommand, type ExecCommand, type ExecOptions, type ExecOutcome } from './run.js';

export interface ExecQueueOptions {
  /** Commands running at once across all keys. */
  concurrency: number;
  /** Commands waiting per key; beyond it the oldest waiting one is dropped. */
  maxWaitingPerKey: number;
  /** Every finished (or dropped) command, for logging and counting. */
  onOutcome?(key: string, command: ExecCommand, outcome: ExecOutcome): void;
}

export interface ExecQueueStats {
  running: number;
  waiting: number;
  finished: number;
  failed: number;
  dropped: number;
}

interface Job {
  key: string;
  command: ExecCommand;
  options: ExecOptions;
}

interface KeyQueue {
  waiting: Job[];
  busy: boolean;
}

export class ExecQueue {
  private readonly keys = new Map<string, KeyQueue>();
  /** Keys with a waiting job and nothing running, in the order they became ready. */
  private readonly ready: string[] = [];
  private readonly running = new Set<{ kill(reason: string): void }>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly counts = { finished: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: ExecQueueOptions) {}

  /** Queues `command` behind everything queued under `key`. */
  push(key: string, command: ExecCommand, options: ExecOptions): void {
    let q = this.keys.get(key);
    if (!q) this.keys.set(key, (q = { waiting: [], busy: false }));
    if (q.waiting.length >= this.options.maxWaitingPerKey) {
      const dropped = q.waiting.shift();
      if (dropped) {
        this.counts.dropped++;
        this.options.onOutcome?.(key, dropped.command, droppedOutcome);
      }
    }
    q.waiting.push({ key, command, options });
    if (!q.busy && q.waiting.length === 1) this.ready.push(key);
    this.pump();
  }

  stats(): ExecQueueStats {
    let waiting = 0;
    for (const q of this.keys.values()) waiting += q.waiting.length;
    return { running: this.running.size, waiting, ...this.counts };
  }

  /** Resolves when nothing runs or waits. */
  idle(): Promise<void> {
    if (this.keys.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Lets what is queued finish for at most `timeoutMs` (the `stop` hooks on shutdown), then clears the rest. */
  async finish(timeoutMs: number, reason: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.clear(reason);
  }

  /** Drops everything waiting and kills what runs (lvsd is going away). */
  clear(reason: string): void {
    for (const q of this.keys.values()) {
      this.counts.dropped += q.waiting.length;
      q.waiting.length = 0;
    }
    this.ready.length = 0;
    for (const command of this.running) command.kill(reason);
    this.settleIdle();
  }

  private pump(): void {
    while (this.running.size < this.options.concurrency) {
      const key = this.ready.shift();
      if (key === undefined) return;
      const q = this.keys.get(key);
      const job = q?.waiting.shift();
      if (!q || !job) continue;
      q.busy = true;
      const running = startCommand(job.command, job.options);
      this.running.add(running);
      void running.done.then((outcome) => {
        this.running.delete(running);
        q.busy = false;
        this.counts.finished++;
        if (!outcome.ok) this.counts.failed++;
        if (q.waiting.length > 0) this.ready.push(key);
        this.pump();
        this.settleIdle();
        this.options.onOutcome?.(key, job.command, outcome);
      });
    }
  }

  private settleIdle(): void {
    for (const [key, q] of this.keys) if (!q.busy && q.waiting.length === 0) this.keys.delete(key);
    if (this.keys.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

const droppedOutcome: ExecOutcome = { ok: false, detail: 'dropped: too many waiting', code: null, signal: null, error: 'EDROPPED', stdout: '', durationMs: 0 };
