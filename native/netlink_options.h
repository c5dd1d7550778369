// Options of netlink@0.3.0's sockets that its API does not reach, found by their netlink port id
// (what the socket's address() reports). See netlink_options.cc for why lvsd needs them.
#pragma once

#include <napi.h>

namespace lvsd {

// netlinkNoEnobufs(port): void — sets NETLINK_NO_ENOBUFS on this process's netlink socket bound
// to `port`.
Napi::Value NetlinkNoEnobufs(const Napi::CallbackInfo& info);
// netlinkDrops(port): number — messages the kernel dropped for that socket (SK_MEMINFO_DROPS).
Napi::Value NetlinkDrops(const Napi::CallbackInfo& info);

}  // namespace lvsd
