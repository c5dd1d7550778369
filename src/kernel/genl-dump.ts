// Lists of generic netlink dumps run off the JavaScript thread by the addon (native/genl_dump.cc):
// the IPVS full read is one GET_SERVICE dump and then one GET_DEST dump per service.
//
// Why not netlink@0.3.0 (genl.ts) for these: there every dump part is a libuv wake-up, a peek and
// a read (two recvmsg calls) and a JS callback on the main thread. At 10,000 services x 4 that
// made a full read 1.72x `ipvsadm -Sn` in the lab VM; the addon's pool thread needs one send and
// one recvmmsg per dump, and JS decodes everything from one Buffer afterwards. genl.ts keeps
// every request, write and single dump: those are one round trip each, and its queue lets
// health-driven writes overtake reads (issue 11 §5). A dump list here runs on a socket of its own
// and so never holds back a write either.
import { NetlinkSocketError, errnoName, fromSyscallError } from './errors.js';
import { inNetns, native, type NativeDumpReply, type NativeGenlDumpSocket } from './native.js';

const NLMSG_HDRLEN = 16;
const GENL_HDRLEN = 4;
const ENOBUFS = 105;
const EBUSY = 16;

/** The replies to a list of dump requests, request by request, in the Buffer they arrived in. */
export class GenlDumpReplies {
  readonly messages: Buffer;
  private readonly ends: Uint32Array;
  private readonly errnos: Int32Array;

  constructor(reply: NativeDumpReply) {
    this.messages = reply.messages;
    this.ends = reply.ends;
    this.errnos = reply.errnos;
    if (this.ends.length !== this.errnos.length) throw new Error('generic netlink dump: ends and errnos differ in length');
  }

  /** Number of requests answered. */
  get length(): number {
    return this.ends.length;
  }

  /** The errno of request `i`'s error reply or DONE (ESRCH, ENOENT, ...); 0 when it succeeded. */
  errno(i: number): number {
    return this.errnos[i] ?? 0;
  }

  /**
   * Calls `each` with the range of `messages` holding the attributes (after the netlink and
   * generic netlink headers) of every data message that answered request `i`, in order. Throws on
   * a malformed message rather than reading past it.
   */
  forEach(i: number, each: (start: number, end: number) => void): void {
    const buf = this.messages;
    let off = i === 0 ? 0 : (this.ends[i - 1] ?? 0);
    const end = this.ends[i] ?? off;
    if (end > buf.length || off > end) throw new Error(`generic netlink dump: request ${i} spans ${off}..${end} of ${buf.length} bytes`);
    while (off < end) {
      const len = off + NLMSG_HDRLEN <= end ? buf.readUInt32LE(off) : 0;
      if (len < NLMSG_HDRLEN + GENL_HDRLEN || off + len > end) {
        throw new Error(`generic netlink dump: malformed message at offset ${off}: length ${len}, ${end - off} bytes left`);
      }
      each(off + NLMSG_HDRLEN + GENL_HDRLEN, off + len);
      off += (len + 3) & ~3;
    }
  }
}

/** Runs lists of dump requests; one list at a time per dumper. */
export interface GenlDumper {
  /**
   * Sends one dump request per entry of `requests` (its top-level attributes), one after another,
   * and resolves with all their replies. A request the kernel refuses has its errno in the reply;
   * a socket-level failure rejects: NetlinkSocketError for ENOBUFS and EBUSY (start over on a new
   * dumper), KernelError for the rest (a timeout is ETIMEDOUT).
   */
  dump(family: number, cmd: number, version: number, requests: readonly Buffer[]): Promise<GenlDumpReplies>;
  close(): void;
}

export interface GenlDumperOptions {
  /** Open the socket inside this network namespace (path such as /run/netns/blue). */
  netns?: string;
  /** How long a receive may wait for the kernel, in ms (default 30 s). */
  timeoutMs?: number;
}

/** Opens a dump socket of its own (in `netns` when given). */
export function openGenlDumper(opts: GenlDumperOptions = {}): GenlDumper {
  const open = (): NativeGenlDumpSocket => new (native().GenlDumpSocket)(opts.timeoutMs ?? 30_000);
  let sock: NativeGenlDumpSocket;
  try {
    sock = opts.netns ? inNetns(opts.netns, open) : open();
  } catch (err) {
    throw fromSyscallError(err, 'open generic netlink dump socket');
  }
  return {
    async dump(family, cmd, version, requests) {
      const lengths = Uint32Array.from(requests, (r) => r.length);
      try {
        return new GenlDumpReplies(await sock.dump(family, cmd, version, Buffer.concat(requests as Buffer[]), lengths));
      } catch (err) {
        throw dumpError(err);
      }
    },
    close: () => sock.close(),
  };
}

/** A failed dump list as the callers' retry logic expects it. */
function dumpError(err: unknown): Error {
  const errno = (err as { errno?: unknown }).errno;
  if (errno === ENOBUFS || errno === EBUSY) {
    const e = err as Error;
    return new NetlinkSocketError(Object.assign(new Error(e.message), { code: errnoName(errno) }));
  }
  return fromSyscallError(err, 'generic netlink dump');
}
