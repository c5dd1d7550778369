// Errors the addon throws name the failing system call and the errno, symbolically and in words,
// e.g. "setsockopt(IP_ADD_MEMBERSHIP): ENODEV (No such device)", and carry `syscall`, `errno`
// (positive) and `code` properties like Node's own system errors.
#pragma once

#include <napi.h>

#include <string>

namespace lvsd {

Napi::Error SyscallError(Napi::Env env, const std::string& syscall, int err);

// Throws SyscallError for the current errno.
[[noreturn]] void ThrowErrno(Napi::Env env, const std::string& syscall);

}  // namespace lvsd
