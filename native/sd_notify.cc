#include "sd_notify.h"

#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <string>

#include "syscall_error.h"
#include "unique_fd.h"

namespace lvsd {

Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string socket_name = info[0].As<Napi::String>();
  std::string message = info[1].As<Napi::String>();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // An abstract name may use every byte of sun_path; a path needs room for its NUL.
  bool abstract = !socket_name.empty() && socket_name[0] == '@';
  size_t room = abstract ? sizeof(addr.sun_path) : sizeof(addr.sun_path) - 1;
  if (socket_name.size() < 2 || socket_name.size() > room || (!abstract && socket_name[0] != '/')) {
    throw Napi::TypeError::New(env, "NOTIFY_SOCKET must be an absolute path or @abstract-name of at most 107 bytes: " + socket_name);
  }
  memcpy(addr.sun_path, socket_name.data(), socket_name.size());
  if (abstract) addr.sun_path[0] = '\0';
  // Abstract names are exactly as long as given (trailing NULs would be part of the name).
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_name.size() + (abstract ? 0 : 1));
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) ThrowErrno(env, "socket(AF_UNIX, SOCK_DGRAM)");
  ssize_t sent = sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), len);
  if (sent < 0) ThrowErrno(env, "sendto(" + socket_name + ")");
  return env.Undefined();
}

}  // namespace lvsd
