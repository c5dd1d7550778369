// A raw IP socket for VRRP (IP protocol 112) on one interface, IPv4 or IPv6, polled on the Node
// event loop with libuv. JS sees: new VrrpSocket(family, ifname, source, multicast, onPacket),
// .send(payload, dst), .close(), .ifindex. With a sixth argument "echo" it is instead an
// unbound ICMP / ICMPv6 socket that receives only echo replies (the health checks' ping;
// ifname is then ignored, source may be "" for the kernel's choice).
#pragma once

#include <napi.h>
#include <netinet/in.h>
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

namespace lvsd {

class VrrpSocket : public Napi::ObjectWrap<VrrpSocket> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit VrrpSocket(const Napi::CallbackInfo& info);
  ~VrrpSocket() override;

 private:
  // The libuv handle lives apart from the object: libuv may only free it after uv_close's
  // callback, which can run after the environment (and with it this object) is torn down.
  struct PollHandle {
    uv_poll_t poll;
    VrrpSocket* owner;
    int fd;
  };

  void Configure4(Napi::Env env, int fd, const std::string& ifname, bool multicast);
  void Configure6(Napi::Env env, int fd, const std::string& ifname, bool multicast);

  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Ifindex(const Napi::CallbackInfo& info);

  static void OnReadable(uv_poll_t* poll, int status, int events);
  static void OnHandleClosed(uv_handle_t* handle);
  static void OnEnvCleanup(void* arg);

  // Reads every queued datagram (bounded per wake-up) and hands each to JS.
  void Drain();
  // Stops polling and starts closing the handle; the fd is closed once libuv lets go of it.
  void StopPolling();

  int family_;
  unsigned ifindex_ = 0;
  in_addr source4_{};
  in6_addr source6_{};
  // Set from construction until the close callback (or environment teardown) detaches it.
  PollHandle* handle_ = nullptr;
  bool closed_ = false;
  Napi::FunctionReference onPacket_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  std::vector<unsigned char> buffer_;
};

}  // namespace lvsd
