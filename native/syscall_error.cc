#include "syscall_error.h"

#include <cerrno>
#include <cstring>

namespace lvsd {

namespace {

// The symbolic name ("ENODEV"). strerrorname_np exists from glibc 2.32; elsewhere, and for
// numbers it does not know, the number stands in and TypeScript's errnoName fills the gap.
std::string ErrnoCode(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* name = strerrorname_np(err)) return name;
#endif
  return "errno " + std::to_string(err);
}

}  // namespace

Napi::Error SyscallError(Napi::Env env, const std::string& syscall, int err) {
  std::string code = ErrnoCode(err);
  Napi::Error e = Napi::Error::New(env, syscall + ": " + code + " (" + std::strerror(err) + ")");
  e.Set("syscall", Napi::String::New(env, syscall));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, code));
  return e;
}

void ThrowErrno(Napi::Env env, const std::string& syscall) {
  throw SyscallError(env, syscall, errno);
}

}  // namespace lvsd
