// How the kernel schedules the calling thread: the VRRP worker thread asks for SCHED_RR so that
// an advert timer that fires while both cores are busy runs at once instead of waiting in the
// CFS run queue (measured: at nice -10 on 2 busy cores, adverts waited up to 95 ms for a core).
// src/kernel/thread-scheduling.ts wraps these and decides when.
#pragma once

#include <napi.h>

namespace lvsd {

// setThreadRealtime(priority, cpuLimitUs): number — first sets RLIMIT_RTTIME (soft cpuLimitUs,
// hard twice that), the safety net against a runaway real-time thread, then puts the calling
// thread under SCHED_RR at `priority` with SCHED_RESET_ON_FORK (processes it starts run under
// SCHED_OTHER at nice 0). Returns the thread's id. Throws the failing call and errno.
Napi::Value SetThreadRealtime(const Napi::CallbackInfo& info);

// setThreadNormal(nice): number — puts the calling thread under SCHED_OTHER (with
// SCHED_RESET_ON_FORK) at nice value `nice`. Returns the thread's id. Throws like the above.
Napi::Value SetThreadNormal(const Napi::CallbackInfo& info);

}  // namespace lvsd
