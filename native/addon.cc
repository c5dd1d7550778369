// lvsd native addon: entry point. Each socket kind registers itself here; src/kernel/native.ts
// is the only TypeScript that loads this and declares its types.
#include <napi.h>

#include "genl_dump.h"
#include "link_layer.h"
#include "netlink_options.h"
#include "netns.h"
#include "sd_notify.h"
#include "thread_scheduling.h"
#include "vrrp_socket.h"

namespace {

// Bumped whenever the exports below change shape, so a stale build is reported, not misused.
constexpr int kAbiVersion = 6;

Napi::Value AbiVersion(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), kAbiVersion);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Function::New(env, AbiVersion));
  exports.Set("enterNetns", Napi::Function::New(env, lvsd::EnterNetns));
  exports.Set("leaveNetns", Napi::Function::New(env, lvsd::LeaveNetns));
  exports.Set("VrrpSocket", lvsd::VrrpSocket::Define(env));
  exports.Set("hardwareAddress", Napi::Function::New(env, lvsd::HardwareAddress));
  exports.Set("sendFrame", Napi::Function::New(env, lvsd::SendFrame));
  exports.Set("sendIcmp6", Napi::Function::New(env, lvsd::SendIcmp6));
  exports.Set("netlinkNoEnobufs", Napi::Function::New(env, lvsd::NetlinkNoEnobufs));
  exports.Set("netlinkDrops", Napi::Function::New(env, lvsd::NetlinkDrops));
  exports.Set("GenlDumpSocket", lvsd::DefineGenlDumpSocket(env));
  exports.Set("sdNotify", Napi::Function::New(env, lvsd::SdNotify));
  exports.Set("setThreadRealtime", Napi::Function::New(env, lvsd::SetThreadRealtime));
  exports.Set("setThreadNormal", Napi::Function::New(env, lvsd::SetThreadNormal));
  return exports;
}

}  // namespace

NODE_API_MODULE(lvsd_native, Init)
