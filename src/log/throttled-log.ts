// At most one log line per reason per window (one second): a flood of forged adverts or a link
// that refuses every send must cost a counter increment each, not a log line each. The first
// occurrence of a reason is reported at once; what follows within the window is counted and
// reported as one summary when the window ends (which opens a new window only if there was
// something to say). Counting everything is the callers' job (the VRRP instance counters, the
// peer link's); this only decides when to speak. A ground-floor module: VRRP and the peer
// protocol both use it.

/** One report: `count` occurrences of `reason` since the last report, `sample` the latest. */
export type ThrottledReport<T> = (reason: string, count: number, sample: T) => void;

export const LOG_WINDOW_MS = 1000;

interface Window<T> {
  count: number;
  sample: T;
  timer: NodeJS.Timeout;
}

export class ThrottledLog<T> {
  private readonly windows = new Map<string, Window<T>>();

  constructor(
    private readonly report: ThrottledReport<T>,
    private readonly windowMs = LOG_WINDOW_MS,
  ) {}

  record(reason: string, sample: T): void {
    const open = this.windows.get(reason);
    if (open) {
      open.count++;
      open.sample = sample;
      return;
    }
    this.report(reason, 1, sample);
    this.open(reason, sample);
  }

  /** Drops what is pending without reporting it and stops every timer. */
  stop(): void {
    for (const w of this.windows.values()) clearTimeout(w.timer);
    this.windows.clear();
  }

  private open(reason: string, sample: T): void {
    const timer = setTimeout(() => this.close(reason), this.windowMs);
    // A pending summary never keeps the process alive.
    timer.unref();
    this.windows.set(reason, { count: 0, sample, timer });
  }

  private close(reason: string): void {
    const w = this.windows.get(reason);
    this.windows.delete(reason);
    if (!w || w.count === 0) return;
    this.report(reason, w.count, w.sample);
    this.open(reason, w.sample);
  }
}
