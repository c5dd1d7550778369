// The systemd readiness protocol (sd_notify(3)) without linking libsystemd: one datagram to the
// AF_UNIX socket systemd names in $NOTIFY_SOCKET. Node has no unix datagram sockets, so the
// addon sends it; src/kernel/sd-notify.ts reads the environment and decides when.
#pragma once

#include <napi.h>

namespace lvsd {

// sdNotify(socket, message): void — `socket` is an absolute path, or "@name" for an abstract
// socket (Linux: a leading NUL byte, no terminating one). Throws the failing call and errno.
Napi::Value SdNotify(const Napi::CallbackInfo& info);

}  // namespace lvsd
