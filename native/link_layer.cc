#include "link_layer.h"

#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "ip_address.h"
#include "syscall_error.h"
#include "unique_fd.h"

namespace lvsd {
namespace {

constexpr size_t kMacLength = 6;
constexpr size_t kEthernetHeaderLength = 14;
// RFC 4861 section 7.1.2: receivers drop neighbour discovery messages whose hop limit is not 255,
// which proves they were not forwarded by a router.
constexpr int kNdHopLimit = 255;

void SendOrThrow(Napi::Env env, int fd, const msghdr& msg, const std::string& what) {
  ssize_t n;
  do {
    n = sendmsg(fd, &msg, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) ThrowErrno(env, what);
}

// Closing an AF_PACKET socket waits for an RCU grace period (synchronize_net): 7-20 ms per
// gratuitous ARP was measured when each frame had its own socket, which delayed the burst that
// follows a takeover. One send-only socket per network namespace is kept for the process's life
// instead (keyed by the namespace, because a thread can switch namespaces and a packet socket
// sends into the namespace it was created in).
int PacketSocketForThisNamespace(Napi::Env env) {
  static std::mutex mutex;
  static std::map<ino_t, int> sockets;
  struct stat ns {};
  if (stat("/proc/thread-self/ns/net", &ns) != 0) ThrowErrno(env, "stat(/proc/thread-self/ns/net)");
  std::lock_guard<std::mutex> lock(mutex);
  auto found = sockets.find(ns.st_ino);
  if (found != sockets.end()) return found->second;
  // Protocol 0: this socket only sends, so it never has received frames queued on it.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) ThrowErrno(env, "socket(AF_PACKET, SOCK_RAW)");
  sockets.emplace(ns.st_ino, fd);
  return fd;
}

}  // namespace

Napi::Value HardwareAddress(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ifname = info[0].As<Napi::String>();
  if (ifname.size() >= IFNAMSIZ) throw Napi::TypeError::New(env, "interface name too long: " + ifname);
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) ThrowErrno(env, "socket(AF_INET, SOCK_DGRAM)");
  ifreq req{};
  std::memcpy(req.ifr_name, ifname.c_str(), ifname.size());
  if (ioctl(fd.get(), SIOCGIFHWADDR, &req) != 0) ThrowErrno(env, "ioctl(SIOCGIFHWADDR " + ifname + ")");
  if (req.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    throw Napi::Error::New(env, ifname + " is not an Ethernet interface (ARPHRD " + std::to_string(req.ifr_hwaddr.sa_family) + ")");
  }
  return Napi::Buffer<unsigned char>::Copy(env, reinterpret_cast<unsigned char*>(req.ifr_hwaddr.sa_data), kMacLength);
}

Napi::Value SendFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ifname = info[0].As<Napi::String>();
  auto frame = info[1].As<Napi::Buffer<unsigned char>>();
  if (frame.Length() < kEthernetHeaderLength) throw Napi::RangeError::New(env, "frame shorter than an Ethernet header");
  unsigned ifindex = InterfaceIndex(env, ifname);

  int fd = PacketSocketForThisNamespace(env);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = static_cast<int>(ifindex);
  std::memcpy(&to.sll_protocol, frame.Data() + 12, 2);  // EtherType, already big-endian
  to.sll_halen = kMacLength;
  std::memcpy(to.sll_addr, frame.Data(), kMacLength);

  iovec iov{frame.Data(), frame.Length()};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  SendOrThrow(env, fd, msg, "sendmsg(AF_PACKET " + ifname + ")");
  return env.Undefined();
}

Napi::Value SendIcmp6(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ifname = info[0].As<Napi::String>();
  in6_addr src = ParseIpv6(env, info[1].As<Napi::String>(), "source");
  std::string dstText = info[2].As<Napi::String>();
  in6_addr dst = ParseIpv6(env, dstText, "destination");
  auto message = info[3].As<Napi::Buffer<unsigned char>>();
  unsigned ifindex = InterfaceIndex(env, ifname);

  // For IPPROTO_ICMPV6 raw sockets the kernel always computes the checksum (RFC 3542 section 3.1).
  UniqueFd fd(socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6));
  if (fd.get() < 0) ThrowErrno(env, "socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)");
  for (int option : {IPV6_MULTICAST_HOPS, IPV6_UNICAST_HOPS}) {
    if (setsockopt(fd.get(), IPPROTO_IPV6, option, &kNdHopLimit, sizeof kNdHopLimit) != 0) {
      ThrowErrno(env, option == IPV6_MULTICAST_HOPS ? "setsockopt(IPV6_MULTICAST_HOPS)" : "setsockopt(IPV6_UNICAST_HOPS)");
    }
  }

  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_addr = dst;
  to.sin6_scope_id = ifindex;
  iovec iov{message.Data(), message.Length()};
  alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
  in6_pktinfo pi{};
  pi.ipi6_addr = src;
  pi.ipi6_ifindex = ifindex;
  std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  SendOrThrow(env, fd.get(), msg, "sendmsg(ICMPv6 to " + dstText + " on " + ifname + ")");
  return env.Undefined();
}

}  // namespace lvsd
