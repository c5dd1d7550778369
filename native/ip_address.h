// Text <-> socket address conversions shared by the socket kinds.
#pragma once

#include <napi.h>
#include <netinet/in.h>

#include <string>

namespace lvsd {

// Parses an IPv4 address; throws a TypeError naming `what` if it is not one.
in_addr ParseIpv4(Napi::Env env, const std::string& text, const char* what);

// Parses an IPv6 address (no scope suffix); throws a TypeError naming `what` if it is not one.
in6_addr ParseIpv6(Napi::Env env, const std::string& text, const char* what);

std::string FormatIpv4(const in_addr& addr);
std::string FormatIpv6(const in6_addr& addr);

// if_nametoindex, throwing a SyscallError that names the interface when it does not exist.
unsigned InterfaceIndex(Napi::Env env, const std::string& ifname);

}  // namespace lvsd
