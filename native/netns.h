// Switching the calling thread between network namespaces (setns(2)), so sockets can be opened in
// a namespace other than the daemon's (keepalived's `net_namespace`; the netns test suite).
#pragma once

#include <napi.h>

namespace lvsd {

// enterNetns(path): number — enters the namespace, returns an fd for the one we left.
Napi::Value EnterNetns(const Napi::CallbackInfo& info);
// leaveNetns(fd): void — returns to the namespace `fd` names and closes it.
Napi::Value LeaveNetns(const Napi::CallbackInfo& info);

}  // namespace lvsd
