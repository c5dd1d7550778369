// The one place that loads the C++ addon (native/*.cc, built by binding.gyp into
// build/Release/lvsd_native.node) and gives it types. Loading is lazy so that importing a module
// which merely references the addon does not fail on a machine where it has not been built.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { IpFamily } from '../net/address.js';

/** Arguments of every received datagram, straight from recvmsg(2) and its control messages. */
export type NativePacketHandler = (
  /** IPv4: the whole datagram including the IP header. IPv6: the payload only. */
  datagram: Buffer,
  /** Source address (msg_name). */
  src: string,
  /** Destination address from IP_PKTINFO / IPV6_PKTINFO. */
  dst: string,
  /** TTL / hop limit from IP_TTL / IPV6_HOPLIMIT, or -1 when the kernel gave none. */
  ttl: number,
  /** Arrival interface from IP_PKTINFO / IPV6_PKTINFO, or 0 when the kernel gave none. */
  ifindex: number,
) => void;

/** The native raw socket for IP protocol 112 (see native/vrrp_socket.cc). */
export interface NativeVrrpSocket {
  readonly ifindex: number;
  send(payload: Buffer, dst: string): void;
  close(): void;
}

/** Every reply message (header included, in request order) of a list of dumps, and where each request's end. */
export interface NativeDumpReply {
  messages: Buffer;
  /** ends[i]: offset in `messages` after request i's messages (request i starts at ends[i - 1], or 0). */
  ends: Uint32Array;
  /** errnos[i]: the errno of request i's error or DONE reply, 0 when it succeeded. */
  errnos: Int32Array;
}

export interface NativeGenlDumpSocket {
  /** Runs one dump request per entry of `lengths` (its attributes are the next `lengths[i]` bytes of `attrs`), one after another. */
  dump(family: number, cmd: number, version: number, attrs: Buffer, lengths: Uint32Array): Promise<NativeDumpReply>;
  close(): void;
}

/**
 * The addon's exports. Failing system calls throw an Error whose message names the call and the
 * errno ("sendmsg(to 198.18.0.2): ENETUNREACH (Network is unreachable)") and which carries
 * `syscall`, `errno` and `code`; errors.ts `fromSyscallError` adds context for the operator.
 */
export interface NativeAddon {
  abiVersion(): number;
  /** setns(2) this thread into the namespace at `path`; returns an fd for `leaveNetns`. */
  enterNetns(path: string): number;
  /** Returns this thread to the namespace `fd` refers to and closes it. */
  leaveNetns(fd: number): void;
  VrrpSocket: new (family: IpFamily, ifname: string, source: string, multicast: boolean, onPacket: NativePacketHandler, mode?: 'echo') => NativeVrrpSocket;
  /** SIOCGIFHWADDR: the interface's 6-byte MAC address. */
  hardwareAddress(ifname: string): Buffer;
  /** Sends one complete Ethernet frame (destination MAC first) on `ifname` over AF_PACKET. */
  sendFrame(ifname: string, frame: Buffer): void;
  /** Sends one ICMPv6 message (checksum filled by the kernel) with hop limit 255 from `src`. */
  sendIcmp6(ifname: string, src: string, dst: string, message: Buffer): void;
  /** Sets NETLINK_NO_ENOBUFS on this process's netlink socket bound to `port` (see native/netlink_options.cc). */
  netlinkNoEnobufs(port: number): void;
  /** Messages the kernel dropped for this process's netlink socket bound to `port` (SK_MEMINFO_DROPS). */
  netlinkDrops(port: number): number;
  /** A generic netlink socket for lists of dumps run off the JS thread (native/genl_dump.cc); see genl-dump.ts. */
  GenlDumpSocket: new (timeoutMs: number) => NativeGenlDumpSocket;
  /** One sd_notify(3) datagram to `socket` (an absolute path or "@abstract"); see sd-notify.ts. */
  sdNotify(socket: string, message: string): void;
  /** RLIMIT_RTTIME (soft `cpuLimitUs`, hard twice that), then SCHED_RR at `priority` for the calling thread; returns its id (see native/thread_scheduling.cc). */
  setThreadRealtime(priority: number, cpuLimitUs: number): number;
  /** SCHED_OTHER at nice `nice` for the calling thread; returns its id. */
  setThreadNormal(nice: number): number;
}

const ABI_VERSION = 6;
let addon: NativeAddon | undefined;

/** The loaded addon; throws a sentence telling the operator how to build it if it is missing. */
export function native(): NativeAddon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  // src/kernel/native.ts and dist/kernel/native.js both sit two levels below the package root.
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const file = path.join(root, 'build', 'Release', 'lvsd_native.node');
  let loaded: NativeAddon;
  try {
    loaded = require(file) as NativeAddon;
  } catch (err) {
    throw new Error(`cannot load the lvsd native addon from ${file} (build it with \`npm run install\`): ${(err as Error).message}`);
  }
  if (loaded.abiVersion() !== ABI_VERSION) {
    throw new Error(`the lvsd native addon at ${file} is stale (ABI ${loaded.abiVersion()}, want ${ABI_VERSION}); rebuild it with \`npm run install\``);
  }
  addon = loaded;
  return addon;
}

/**
 * Runs `fn` with the calling thread inside the network namespace at `nsPath` (e.g.
 * /run/netns/blue), the way keepalived's `net_namespace` does for the whole process. Sockets that
 * `fn` opens belong to that namespace for their whole life; only synchronous work inside `fn` sees it.
 */
export function inNetns<T>(nsPath: string, fn: () => T): T {
  const n = native();
  const previous = n.enterNetns(nsPath);
  try {
    return fn();
  } finally {
    n.leaveNetns(previous);
  }
}
