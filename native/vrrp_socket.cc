#include "vrrp_socket.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ip_address.h"
#include "syscall_error.h"
#include "unique_fd.h"

namespace lvsd {
namespace {

constexpr int kIpProtoVrrp = 112;  // IANA protocol number, RFC 5798 section 5.1.1.3
constexpr int kTtl = 255;          // RFC 5798 section 5.1.1.3: sent with TTL / hop limit 255
// Datagrams read per readable event before yielding to the loop; the poll is level-triggered,
// so anything left is read on the next turn and one busy socket cannot starve timers.
constexpr int kMaxDatagramsPerWake = 64;
// An IPv4 datagram cannot exceed 65535 bytes, so nothing is ever truncated.
constexpr size_t kReceiveBufferSize = 65536;

void SetIntOption(Napi::Env env, int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0) {
    ThrowErrno(env, std::string("setsockopt(") + what + ")");
  }
}

// IP_MULTICAST_ALL / IPV6_MULTICAST_ALL default to 1, which delivers multicast for groups that
// *any* socket joined. Turning them off keeps a unicast-mode socket from seeing multicast adverts.
// Kernels without the option (before 4.20 for IPv6) answer ENOPROTOOPT, which changes nothing.
void DisableMulticastAll(Napi::Env env, int fd, int level, int name, const char* what) {
  int off = 0;
  if (setsockopt(fd, level, name, &off, sizeof off) != 0 && errno != ENOPROTOOPT) {
    ThrowErrno(env, std::string("setsockopt(") + what + ")");
  }
}

void BindToDevice(Napi::Env env, int fd, const std::string& ifname) {
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), ifname.size()) != 0) {
    ThrowErrno(env, "setsockopt(SO_BINDTODEVICE " + ifname + ")");
  }
}

// ICMP_FILTER (linux/icmp.h, not in the libc headers): a bit set per ICMP type the raw socket
// must NOT receive.
constexpr int kIcmpFilter = 1;
struct IcmpFilter {
  uint32_t data;
};

// An echo socket sees every echo reply that reaches the host (also those of ping(8)); the
// kernel filter keeps everything else away from it, so a busy host's other ICMP costs nothing.
void ConfigureEcho(Napi::Env env, int fd, int family) {
  if (family == 4) {
    IcmpFilter filter{~(1u << ICMP_ECHOREPLY)};
    if (setsockopt(fd, SOL_RAW, kIcmpFilter, &filter, sizeof filter) != 0) ThrowErrno(env, "setsockopt(ICMP_FILTER)");
    SetIntOption(env, fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
    SetIntOption(env, fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL");
  } else {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
    if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0) ThrowErrno(env, "setsockopt(ICMP6_FILTER)");
    // The kernel always computes and verifies ICMPv6 checksums (RFC 3542 3.1), nothing to set.
    SetIntOption(env, fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
    SetIntOption(env, fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
  }
}

bool IsLinkScoped(const in6_addr& a) {
  return IN6_IS_ADDR_LINKLOCAL(&a) || IN6_IS_ADDR_MC_LINKLOCAL(&a);
}

}  // namespace

Napi::Function VrrpSocket::Define(Napi::Env env) {
  return DefineClass(env, "VrrpSocket",
                     {
                         InstanceMethod<&VrrpSocket::Send>("send"),
                         InstanceMethod<&VrrpSocket::Close>("close"),
                         InstanceAccessor<&VrrpSocket::Ifindex>("ifindex"),
                     });
}

VrrpSocket::VrrpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VrrpSocket>(info) {
  Napi::Env env = info.Env();
  family_ = info[0].As<Napi::Number>().Int32Value();
  std::string ifname = info[1].As<Napi::String>();
  std::string source = info[2].As<Napi::String>();
  bool multicast = info[3].As<Napi::Boolean>();
  if (family_ != 4 && family_ != 6) throw Napi::TypeError::New(env, "family must be 4 or 6");
  if (!info[4].IsFunction()) throw Napi::TypeError::New(env, "onPacket must be a function");
  // The same socket, unbound and without multicast, also carries ICMP echo for the health
  // checks' ping: protocol 1 (ICMP) or 58 (ICMPv6) instead of VRRP's 112.
  const bool echo = info.Length() > 5 && info[5].IsString() && info[5].As<Napi::String>().Utf8Value() == "echo";
  const int protocol = echo ? (family_ == 4 ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6)) : kIpProtoVrrp;

  if (!echo) ifindex_ = InterfaceIndex(env, ifname);
  if (echo && source.empty()) {
    // The kernel picks the source from the route, as for any unbound socket.
  } else if (family_ == 4) {
    source4_ = ParseIpv4(env, source, "source");
  } else {
    source6_ = ParseIpv6(env, source, "source");
  }

  int domain = family_ == 4 ? AF_INET : AF_INET6;
  UniqueFd fd(socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
  if (fd.get() < 0) ThrowErrno(env, std::string(family_ == 4 ? "socket(AF_INET, SOCK_RAW, " : "socket(AF_INET6, SOCK_RAW, ") + std::to_string(protocol) + ")");
  if (echo) {
    ConfigureEcho(env, fd.get(), family_);
  } else if (family_ == 4) {
    Configure4(env, fd.get(), ifname, multicast);
  } else {
    Configure6(env, fd.get(), ifname, multicast);
  }

  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    throw Napi::Error::New(env, "napi_get_uv_event_loop failed");
  }
  auto handle = std::make_unique<PollHandle>();
  int rc = uv_poll_init(loop, &handle->poll, fd.get());
  if (rc != 0) throw SyscallError(env, "uv_poll_init", -rc);
  handle->owner = this;
  handle->fd = fd.release();
  handle->poll.data = handle.get();
  handle_ = handle.release();
  rc = uv_poll_start(&handle_->poll, UV_READABLE, OnReadable);
  if (rc != 0) {
    // The object is about to be discarded; the close callback must not reach back into it.
    StopPolling();
    handle_->owner = nullptr;
    throw SyscallError(env, "uv_poll_start", -rc);
  }

  onPacket_ = Napi::Persistent(info[4].As<Napi::Function>());
  asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "lvsd.VrrpSocket");
  buffer_.resize(kReceiveBufferSize);
  // Until the close callback has run, the poll handle points at this object: keep it alive, and
  // hear about the environment going away (worker termination) while it does.
  Ref();
  napi_add_env_cleanup_hook(env, OnEnvCleanup, this);
}

VrrpSocket::~VrrpSocket() {
  // Normally the close callback or the cleanup hook has detached the handle already; if not,
  // never leave libuv holding a pointer to freed memory.
  if (handle_ != nullptr) {
    handle_->owner = nullptr;
    if (!closed_) StopPolling();
  }
}

void VrrpSocket::Configure4(Napi::Env env, int fd, const std::string& ifname, bool multicast) {
  BindToDevice(env, fd, ifname);
  SetIntOption(env, fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
  SetIntOption(env, fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL");
  SetIntOption(env, fd, IPPROTO_IP, IP_TTL, kTtl, "IP_TTL");
  SetIntOption(env, fd, IPPROTO_IP, IP_MULTICAST_TTL, kTtl, "IP_MULTICAST_TTL");
  // Our own adverts must not come back to us as if a peer had sent them.
  SetIntOption(env, fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP");
  DisableMulticastAll(env, fd, IPPROTO_IP, IP_MULTICAST_ALL, "IP_MULTICAST_ALL");

  ip_mreqn mreq{};
  mreq.imr_multiaddr = ParseIpv4(env, "224.0.0.18", "group");
  mreq.imr_address = source4_;
  mreq.imr_ifindex = static_cast<int>(ifindex_);
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) != 0) {
    ThrowErrno(env, "setsockopt(IP_MULTICAST_IF " + ifname + ")");
  }
  // Leaving is implicit: the kernel drops a socket's memberships when it is closed.
  if (multicast && setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
    ThrowErrno(env, "setsockopt(IP_ADD_MEMBERSHIP 224.0.0.18 " + ifname + ")");
  }
}

void VrrpSocket::Configure6(Napi::Env env, int fd, const std::string& ifname, bool multicast) {
  BindToDevice(env, fd, ifname);
  // For raw IPv6 sockets other than ICMPv6 the kernel neither computes nor verifies a checksum
  // unless IPV6_CHECKSUM names an offset (default -1, RFC 3542 section 3.1). VRRPv3's checksum
  // covers the IPv6 pseudo-header and is computed and verified by the VRRP codec, so we state
  // the default explicitly rather than let the kernel drop packets it judges bad.
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_CHECKSUM, -1, "IPV6_CHECKSUM");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, kTtl, "IPV6_UNICAST_HOPS");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, kTtl, "IPV6_MULTICAST_HOPS");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");
  SetIntOption(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(ifindex_), "IPV6_MULTICAST_IF");
  DisableMulticastAll(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, "IPV6_MULTICAST_ALL");
  if (multicast) {
    ipv6_mreq mreq{};
    mreq.ipv6mr_multiaddr = ParseIpv6(env, "ff02::12", "group");
    mreq.ipv6mr_interface = ifindex_;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) != 0) {
      ThrowErrno(env, "setsockopt(IPV6_JOIN_GROUP ff02::12 " + ifname + ")");
    }
  }
}

Napi::Value VrrpSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw Napi::Error::New(env, "send on a closed VRRP socket");
  auto payload = info[0].As<Napi::Buffer<unsigned char>>();
  std::string dst = info[1].As<Napi::String>();

  iovec iov{payload.Data(), payload.Length()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  // Big enough and aligned for either family's single PKTINFO control message.
  alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  msg.msg_control = control;

  sockaddr_in to4{};
  sockaddr_in6 to6{};
  if (family_ == 4) {
    to4.sin_family = AF_INET;
    to4.sin_addr = ParseIpv4(env, dst, "destination");
    msg.msg_name = &to4;
    msg.msg_namelen = sizeof to4;
    // The source is chosen per packet with IP_PKTINFO rather than bind(): a raw socket bound to
    // an address only receives datagrams addressed to it, which would lose multicast adverts.
    msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo pi{};
    pi.ipi_ifindex = static_cast<int>(ifindex_);
    pi.ipi_spec_dst = source4_;
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  } else {
    to6.sin6_family = AF_INET6;
    to6.sin6_addr = ParseIpv6(env, dst, "destination");
    // fe80::/10 and ff02::/16 mean nothing without the link they are on.
    if (IsLinkScoped(to6.sin6_addr) && ifindex_ != 0) to6.sin6_scope_id = ifindex_;
    msg.msg_name = &to6;
    msg.msg_namelen = sizeof to6;
    msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo pi{};
    pi.ipi6_addr = source6_;
    pi.ipi6_ifindex = ifindex_;
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  }

  ssize_t n;
  do {
    n = sendmsg(handle_->fd, &msg, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) ThrowErrno(env, "sendmsg(to " + dst + ")");
  return env.Undefined();
}

Napi::Value VrrpSocket::Close(const Napi::CallbackInfo& info) {
  if (!closed_) StopPolling();
  return info.Env().Undefined();
}

Napi::Value VrrpSocket::Ifindex(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ifindex_);
}

void VrrpSocket::StopPolling() {
  closed_ = true;
  onPacket_.Reset();
  uv_poll_stop(&handle_->poll);
  // Closing may be requested from inside onPacket, i.e. from inside Drain() on this very
  // handle. uv_close only schedules the close; the fd is closed and the memory freed in
  // OnHandleClosed on a later loop turn, and Drain() stops at the closed_ check.
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->poll), OnHandleClosed);
}

void VrrpSocket::OnHandleClosed(uv_handle_t* h) {
  auto* handle = static_cast<PollHandle*>(h->data);
  close(handle->fd);
  VrrpSocket* self = handle->owner;
  delete handle;
  if (self == nullptr) return;
  self->handle_ = nullptr;
  Napi::Env env = self->Env();
  napi_remove_env_cleanup_hook(env, OnEnvCleanup, self);
  Napi::HandleScope scope(env);
  // Released only now, never during a callback that is still running on this object.
  self->asyncContext_.reset();
  self->Unref();
}

void VrrpSocket::OnEnvCleanup(void* arg) {
  // The environment is being torn down (worker termination, process exit) with the socket open
  // or its close still pending. The close callback may run after the environment, and with it
  // this object, is gone, so detach the handle: it will only close the fd and free itself.
  auto* self = static_cast<VrrpSocket*>(arg);
  if (self->handle_ == nullptr) return;
  if (!self->closed_) self->StopPolling();
  self->handle_->owner = nullptr;
  self->handle_ = nullptr;
  self->asyncContext_.reset();
}

void VrrpSocket::OnReadable(uv_poll_t* poll, int /*status*/, int /*events*/) {
  // A poll error status (e.g. EBADF) still leaves recvmsg as the authority on what is wrong;
  // Drain reads until it would block.
  auto* handle = static_cast<PollHandle*>(poll->data);
  if (handle->owner != nullptr) handle->owner->Drain();
}

void VrrpSocket::Drain() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  const int fd = handle_->fd;
  for (int i = 0; i < kMaxDatagramsPerWake && !closed_; ++i) {
    sockaddr_storage from{};
    iovec iov{buffer_.data(), buffer_.size()};
    alignas(cmsghdr) unsigned char control[256];
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd, &msg, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // Anything else is a pending asynchronous error (an ICMP error for an earlier send, a
      // device going down); reading it clears it and it says nothing about received adverts.
      continue;
    }

    std::string src;
    std::string dst;
    int ttl = -1;
    unsigned ifindex = 0;
    if (family_ == 4) {
      src = FormatIpv4(reinterpret_cast<sockaddr_in*>(&from)->sin_addr);
    } else {
      src = FormatIpv6(reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr);
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo pi;
        std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
        dst = FormatIpv4(pi.ipi_addr);
        ifindex = static_cast<unsigned>(pi.ipi_ifindex);
      } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
        std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo pi;
        std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
        dst = FormatIpv6(pi.ipi6_addr);
        ifindex = pi.ipi6_ifindex;
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
        std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      }
    }

    Napi::HandleScope packetScope(env);
    try {
      onPacket_.MakeCallback(Value(),
                             {Napi::Buffer<unsigned char>::Copy(env, buffer_.data(), static_cast<size_t>(n)),
                              Napi::String::New(env, src), Napi::String::New(env, dst), Napi::Number::New(env, ttl),
                              Napi::Number::New(env, ifindex)},
                             *asyncContext_);
    } catch (const Napi::Error& e) {
      // We are called from libuv, not from JS: nobody up the stack could catch this. Hand it to
      // the process's normal handling ('uncaughtException', or exit with the stack printed).
      napi_fatal_exception(env, e.Value());
    }
  }
}

}  // namespace lvsd
