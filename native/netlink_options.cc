// When the kernel drops a message for a netlink socket whose receive buffer is full (a burst of
// link notifications, ACKs of a bulk apply while the event loop is busy), it sets the socket's
// error to ENOBUFS and epoll reports EPOLLERR. libuv hands that to netlink@0.3.0's poll handler
// as a poll error, and that handler builds its JS error with a NULL syscall name, which throws a
// C++ exception inside a libuv callback: the process aborts ("terminate called after throwing an
// instance of 'Napi::Error'") with no JS handler ever called; the socket would be closed anyway.
// NETLINK_NO_ENOBUFS (netlink(7)) makes the kernel drop without setting the error; it still
// counts the drops, which SO_MEMINFO reports, so lvsd can notice them and re-sync
// (src/kernel/rt-socket.ts, genl.ts).
#include "netlink_options.h"

#include <dirent.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>

#include "syscall_error.h"

namespace lvsd {
namespace {

bool IsNetlinkPort(int fd, uint32_t port) {
  sockaddr_nl addr{};
  socklen_t len = sizeof(addr);
  return getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && addr.nl_family == AF_NETLINK && addr.nl_pid == port;
}

// Where each port was last found. The drop count is read every second (from the VRRP thread too),
// and scanning every descriptor of a process with thousands of health-check sockets each time
// would cost that thread; a cached descriptor is checked with one getsockname before it is used.
std::mutex cache_mutex;
std::unordered_map<uint32_t, int> fd_of_port;

// The descriptor of this process's AF_NETLINK socket bound to `port`, or -1. netlink@0.3.0 keeps
// its descriptor to itself; its port ids are unique within the process (pid in the low bits).
int FindNetlinkSocket(uint32_t port) {
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    auto cached = fd_of_port.find(port);
    if (cached != fd_of_port.end() && IsNetlinkPort(cached->second, port)) return cached->second;
  }
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    if (IsNetlinkPort(static_cast<int>(fd), port)) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
  if (found >= 0) {
    std::lock_guard<std::mutex> lock(cache_mutex);
    fd_of_port[port] = found;
  }
  return found;
}

int SocketOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "expected a netlink port id");
  uint32_t port = info[0].As<Napi::Number>().Uint32Value();
  int fd = FindNetlinkSocket(port);
  if (fd < 0) throw Napi::Error::New(env, "no netlink socket of this process is bound to port " + std::to_string(port));
  return fd;
}

}  // namespace

Napi::Value NetlinkNoEnobufs(const Napi::CallbackInfo& info) {
  int fd = SocketOf(info);
  int on = 1;
  if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof(on)) < 0) ThrowErrno(info.Env(), "setsockopt(NETLINK_NO_ENOBUFS)");
  return info.Env().Undefined();
}

Napi::Value NetlinkDrops(const Napi::CallbackInfo& info) {
  int fd = SocketOf(info);
  uint32_t meminfo[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof(meminfo);
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &len) < 0) ThrowErrno(info.Env(), "getsockopt(SO_MEMINFO)");
  return Napi::Number::New(info.Env(), meminfo[SK_MEMINFO_DROPS]);
}

}  // namespace lvsd
