#include "thread_scheduling.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>

#include "syscall_error.h"

namespace lvsd {

namespace {

// 0 names the calling thread for sched_setscheduler(2) and, on Linux, a thread id names one
// thread for setpriority(PRIO_PROCESS): neither touches the process's other threads.
constexpr pid_t kCallingThread = 0;

void SetPolicy(Napi::Env env, int policy, int priority, const char* what) {
  sched_param param{};
  param.sched_priority = priority;
  if (sched_setscheduler(kCallingThread, policy | SCHED_RESET_ON_FORK, &param) != 0) {
    ThrowErrno(env, std::string("sched_setscheduler(") + what + ")");
  }
}

}  // namespace

Napi::Value SetThreadRealtime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int priority = info[0].As<Napi::Number>().Int32Value();
  int64_t cpu_limit_us = info[1].As<Napi::Number>().Int64Value();
  int lowest = sched_get_priority_min(SCHED_RR);
  int highest = sched_get_priority_max(SCHED_RR);
  if (priority < lowest || priority > highest || cpu_limit_us <= 0) {
    throw Napi::RangeError::New(env, "SCHED_RR priority must be " + std::to_string(lowest) + "-" + std::to_string(highest) +
                                         " and the CPU limit positive");
  }
  // The limit first: a thread must never be real-time without it. RLIMIT_RTTIME counts the CPU
  // time a real-time thread uses without blocking; at the soft limit the kernel sends SIGXCPU
  // (which ends the process), at the hard limit SIGKILL.
  rlimit limit{};
  limit.rlim_cur = static_cast<rlim_t>(cpu_limit_us);
  limit.rlim_max = static_cast<rlim_t>(cpu_limit_us) * 2;
  if (setrlimit(RLIMIT_RTTIME, &limit) != 0) ThrowErrno(env, "setrlimit(RLIMIT_RTTIME)");
  SetPolicy(env, SCHED_RR, priority, "SCHED_RR");
  return Napi::Number::New(env, gettid());
}

Napi::Value SetThreadNormal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int nice = info[0].As<Napi::Number>().Int32Value();
  SetPolicy(env, SCHED_OTHER, 0, "SCHED_OTHER");
  pid_t tid = gettid();
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) != 0) ThrowErrno(env, "setpriority(" + std::to_string(nice) + ")");
  return Napi::Number::New(env, tid);
}

}  // namespace lvsd
