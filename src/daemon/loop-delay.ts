// Event-loop delay of one thread (perf_hooks.monitorEventLoopDelay): how late a timer fires
// because the thread was busy. For the VRRP thread it is how late an advert can go out; the main
// thread's is reported beside it, so a scrape shows what the split buys.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Delays in milliseconds over one window. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  /** Seconds the window covered. */
  windowSeconds: number;
}

/** Sampling step: finer costs a wake-up per step; 10 ms resolves what matters at 100 ms adverts. */
const RESOLUTION_MS = 10;

export class LoopDelayMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private windowStart = performance.now();

  constructor() {
    this.histogram.enable();
  }

  /** The delays since the last reset; `reset` starts a new window. */
  read(reset: boolean): LoopDelay {
    const h = this.histogram;
    // The histogram holds the time between samples, the resolution included.
    const ms = (ns: number): number => (h.count === 0 ? 0 : Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS));
    const now = performance.now();
    const out: LoopDelay = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), windowSeconds: Math.round(now - this.windowStart) / 1000 };
    if (reset) {
      h.reset();
      this.windowStart = now;
    }
    return out;
  }

  stop(): void {
    this.histogram.disable();
  }
}
