#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <string>

#include "syscall_error.h"

namespace lvsd {

Napi::Value EnterNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>();
  // thread-self, not self: setns changes only this thread, so "where we were" is this thread's.
  int previous = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (previous < 0) ThrowErrno(env, "open(/proc/thread-self/ns/net)");
  int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int err = errno;
    close(previous);
    throw SyscallError(env, "open(" + path + ")", err);
  }
  int rc = setns(target, CLONE_NEWNET);
  int err = errno;
  close(target);
  if (rc != 0) {
    close(previous);
    throw SyscallError(env, "setns(" + path + ")", err);
  }
  return Napi::Number::New(env, previous);
}

Napi::Value LeaveNetns(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int rc = setns(fd, CLONE_NEWNET);
  close(fd);
  // Carrying on in the wrong namespace would silently put every later socket and address in the
  // wrong place; there is no safe way to continue.
  if (rc != 0) Napi::Error::Fatal("lvsd::LeaveNetns", "setns back to the original network namespace failed");
  return info.Env().Undefined();
}

}  // namespace lvsd
