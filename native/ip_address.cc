#include "ip_address.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cerrno>

#include "syscall_error.h"

namespace lvsd {

in_addr ParseIpv4(Napi::Env env, const std::string& text, const char* what) {
  in_addr addr{};
  if (inet_pton(AF_INET, text.c_str(), &addr) != 1) {
    throw Napi::TypeError::New(env, std::string(what) + ": not an IPv4 address: " + text);
  }
  return addr;
}

in6_addr ParseIpv6(Napi::Env env, const std::string& text, const char* what) {
  in6_addr addr{};
  if (inet_pton(AF_INET6, text.c_str(), &addr) != 1) {
    throw Napi::TypeError::New(env, std::string(what) + ": not an IPv6 address: " + text);
  }
  return addr;
}

std::string FormatIpv4(const in_addr& addr) {
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &addr, buf, sizeof buf) != nullptr ? buf : "";
}

std::string FormatIpv6(const in6_addr& addr) {
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, &addr, buf, sizeof buf) != nullptr ? buf : "";
}

unsigned InterfaceIndex(Napi::Env env, const std::string& ifname) {
  unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) ThrowErrno(env, "if_nametoindex(" + ifname + ")");
  return index;
}

}  // namespace lvsd
