// How the VRRP thread asks the kernel for CPU time (`vrrp.realtime_priority`). Its own event
// loop keeps the main thread's work off the advert path, but not the CPU: when both cores are
// busy (the main thread parsing 10,000 services and collecting garbage, other processes) a due
// advert timer waits for a core. Measured at nice -10 on this 2-core host at load 8: adverts up
// to 48 ms late at 100 ms intervals, nearly all of it spent runnable, waiting in the CFS run
// queue. Under SCHED_RR the thread preempts every ordinary thread as soon as its timer is due.
// The priority is low by default: it only has to beat ordinary threads, not the kernel's.
//
// Refused (no CAP_SYS_NICE, a container or cgroup without real-time budget) it falls back to
// nice -10 and says so once; every reload applies the configured priority again, quietly.
import type { SchedulingResult, ThreadScheduling } from '../kernel/thread-scheduling.js';
import type { Logger } from './log.js';

/** Nice value when real-time scheduling is off or refused; keepalived's vrrp_priority likewise. */
export const VRRP_THREAD_NICE = -10;

export class VrrpThreadScheduling {
  private applied: number | undefined;
  private readonly warned = new Set<ThreadScheduling['policy']>();

  constructor(
    /** Applies a policy to the VRRP thread (scheduleThisThread; a fake in tests). */
    private readonly apply: (scheduling: ThreadScheduling) => SchedulingResult,
    private readonly log: Logger,
  ) {}

  /** Runs the thread at `realtimePriority` under SCHED_RR, or at nice -10 when 0 or refused. */
  use(realtimePriority: number): void {
    if (realtimePriority === this.applied) return;
    this.applied = realtimePriority;
    if (realtimePriority > 0) {
      const rt = this.apply({ policy: 'realtime', priority: realtimePriority });
      if (rt.ok) {
        this.log.info({ tid: rt.tid, priority: realtimePriority }, 'VRRP thread runs under SCHED_RR');
        return;
      }
      this.warnOnce('realtime', rt.error, `cannot run the VRRP thread under SCHED_RR (vrrp.realtime_priority ${realtimePriority}; needs CAP_SYS_NICE and real-time CPU time in its cgroup); it runs at nice ${VRRP_THREAD_NICE}, and adverts may be late while the CPU is busy`);
    }
    const normal = this.apply({ policy: 'normal', nice: VRRP_THREAD_NICE });
    if (!normal.ok) this.warnOnce('normal', normal.error, `cannot raise the VRRP thread's priority (nice ${VRRP_THREAD_NICE}; needs CAP_SYS_NICE): adverts may be late while the CPU is busy`);
  }

  private warnOnce(policy: ThreadScheduling['policy'], err: Error, msg: string): void {
    if (this.warned.has(policy)) return;
    this.warned.add(policy);
    this.log.warn({ err }, msg);
  }
}
