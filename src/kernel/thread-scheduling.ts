// Scheduling of the calling thread, for the VRRP worker thread (daemon/vrrp-worker.ts): SCHED_RR
// so an advert whose timer is due runs at once, however busy the cores are. Measured on this
// 2-core host at load 8 with the thread at nice -10 (CFS): adverts at 100 ms intervals went out
// up to 48 ms late, and in every late one the thread had spent most of the delay runnable but
// waiting for a core (/proc/thread-self/schedstat). A SCHED_RR thread preempts every CFS thread,
// the daemon's main thread and stress-ng alike. keepalived offers the same (vrrp_rt_priority).
//
// A real-time thread that never blocks would starve everything else on its core, so
// RLIMIT_RTTIME is set first: after REALTIME_CPU_LIMIT_US of CPU without blocking the kernel
// sends SIGXCPU, which ends lvsd (systemd restarts it), and SIGKILL at twice that. The VRRP
// thread blocks in epoll between adverts and uses well under a millisecond per advert.
// Both policies carry SCHED_RESET_ON_FORK: hooks and scripts started from the thread run under
// SCHED_OTHER at nice 0.
import { native } from './native.js';

/** CPU time a real-time thread may use without blocking before the kernel ends the process. */
export const REALTIME_CPU_LIMIT_US = 1_000_000;

export type ThreadScheduling =
  | { policy: 'realtime'; priority: number }
  | { policy: 'normal'; nice: number };

/** What was applied to the calling thread, or why not. Never throws. */
export type SchedulingResult = { ok: true; tid: number } | { ok: false; error: Error };

/** Applies `scheduling` to the calling thread (Linux: per thread, not the whole process). */
export function scheduleThisThread(scheduling: ThreadScheduling): SchedulingResult {
  try {
    const n = native();
    const tid = scheduling.policy === 'realtime' ? n.setThreadRealtime(scheduling.priority, REALTIME_CPU_LIMIT_US) : n.setThreadNormal(scheduling.nice);
    return { ok: true, tid };
  } catch (err) {
    return { ok: false, error: err as Error };
  }
}
