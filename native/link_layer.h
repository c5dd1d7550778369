// One-shot link-layer sends for taking over an address: gratuitous ARP frames over AF_PACKET and
// ICMPv6 neighbour advertisements over a raw ICMPv6 socket. The messages themselves are built in
// TypeScript (src/kernel/neighbour-announce.ts); this only puts them on the wire.
#pragma once

#include <napi.h>

namespace lvsd {

// hardwareAddress(ifname): Buffer — the interface's 6-byte MAC (SIOCGIFHWADDR).
Napi::Value HardwareAddress(const Napi::CallbackInfo& info);
// sendFrame(ifname, frame): void — frame starts with the Ethernet header.
Napi::Value SendFrame(const Napi::CallbackInfo& info);
// sendIcmp6(ifname, src, dst, message): void — hop limit 255, kernel fills the checksum.
Napi::Value SendIcmp6(const Napi::CallbackInfo& info);

}  // namespace lvsd
