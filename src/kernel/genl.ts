// Generic netlink (include/uapi/linux/genetlink.h) over netlink@0.3.0's raw socket.
//
// netlink@0.3.0's own request layer groups multipart replies as if only one could be open at a
// time and reports errors without their errno, so this module frames, matches and decodes
// messages itself and uses the package only for the socket. What it adds:
//  - many requests in flight on one socket, replies matched by sequence number, with a bounded
//    window so the ACKs never overrun the socket's receive buffer;
//  - requests issued in the same tick go out as one sendmsg(2): the kernel processes every
//    message of a datagram in order, inside that sendmsg, and answers in that order. Only the
//    last request of a datagram asks for an ACK (NLM_F_ACK): the kernel sends an error reply
//    for a failed request whether asked or not, so when the last one's ACK (or error) arrives,
//    every earlier request of the datagram without an error reply has succeeded. A bulk apply
//    then receives one ACK per datagram instead of one per request (10,000 services x 4: 50,000
//    receive callbacks fewer). Errors cannot be lost to a full receive buffer unnoticed for long:
//    at most `window` requests are in flight, and dropped messages fail what is in flight;
//  - dumps, one at a time (the kernel allows only one per socket), in their own queue: requests
//    queued behind a dump do not wait for it, so a full table read (10,000 dumps) never holds
//    back a health-driven weight change; a dump still sees every request sent before it;
//  - dropped replies (the receive buffer was full; the socket has NETLINK_NO_ENOBUFS, see
//    native/netlink_options.cc, so the kernel's drop count tells, read once a second while
//    requests are in flight) or a socket error fail only the requests whose replies may be
//    lost, i.e. those in flight; queued ones carry on;
//  - no dump is ever failed with EBUSY. The kernel runs one dump per socket (af_netlink.c
//    __netlink_dump_start answers EBUSY while nlk->cb_running) and a dump runs until the kernel
//    has queued its DONE, which for IPVS comes only on a receive after the last data part. So:
//    a dump we give up on (socket error, timeout, malformed part) is an orphan the next dump
//    waits for, until its DONE or a second; a dump answered with an ENOBUFS error is not over
//    (the kernel's first netlink_dump found the receive buffer full and keeps cb_running set: it
//    sends the whole reply on a later receive, under the same sequence number), so we keep
//    collecting it; and a dump answered EBUSY (an orphan we lost track of) waits for that
//    orphan's end and goes again, for as long as its timeout allows. Reading the EBUSY answer
//    is itself a receive, which lets the kernel write the orphan's next part, so a stalled
//    orphan moves on;
//  - family resolution through the nlctrl family.
import { RawNetlinkSocket } from 'netlink';
import { align4, parseAttrs, read, str, type AttrMap } from './attrs.js';
import { NetlinkErrnoError, NetlinkSocketError } from './errors.js';
import { inNetns, native } from './native.js';

const NETLINK_GENERIC = 16;
const NLMSG_HDRLEN = 16;
const GENL_HDRLEN = 4;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300; // NLM_F_ROOT | NLM_F_MATCH
const ENOENT = 2;
const EBUSY = 16;
const ENOBUFS = 105;

// nlctrl, the family that names the others (genetlink.h).
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
const CTRL_ATTR_VERSION = 3;
const CTRL_ATTR_MAXATTR = 5;

/** One received generic netlink message: the genl header and its top-level attributes. */
export interface GenlMessage {
  cmd: number;
  version: number;
  attrs: AttrMap;
}

/** A resolved generic netlink family (CTRL_CMD_GETFAMILY reply). */
export interface GenlFamily {
  name: string;
  /** The netlink message type the kernel assigned to this family in this boot. */
  id: number;
  version: number;
  maxAttr: number;
}

/** The part of netlink@0.3.0's RawNetlinkSocket this module uses; tests substitute a fake kernel. */
export interface DatagramSocket {
  send(msg: Uint8Array[], options: undefined, callback: (error?: Error) => void): void;
  on(event: 'message', listener: (msg: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  address(): { port: number };
  ref(): void;
  unref(): void;
  close(): void;
}

export interface GenlSocketOptions {
  /** Requests sent and not yet answered, at most (default 128). */
  window?: number;
  /** SO_RCVBUF to ask for; the kernel caps it at net.core.rmem_max (default 4 MiB). */
  recvBufferSize?: number;
  /** Largest datagram to send when batching requests (default 32 KiB). */
  maxBatchBytes?: number;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
  /** Open the socket inside this network namespace (path such as /run/netns/blue). */
  netns?: string;
  /** Use this socket instead of opening one (tests). */
  socket?: DatagramSocket;
  /** Told about every socket error (after the affected requests have been failed), e.g. to log it. */
  onSocketError?: (err: NetlinkSocketError) => void;
}

/**
 * One request, from queued to answered. A single object per request, holding the message's
 * fields rather than a closure that frames it: a bulk apply has tens of thousands of these.
 */
interface Request {
  family: number;
  flags: number;
  cmd: number;
  version: number;
  attrs: readonly Buffer[];
  dump: boolean;
  resolve: (msgs: GenlMessage[]) => void;
  reject: (err: Error) => void;
  /** Replies before the ACK or DONE; created on the first one (most requests get none). */
  parts: GenlMessage[] | undefined;
  /** Sweep count after which the request is failed as timed out; set when sent. */
  deadline: number;
  /** Times the kernel refused this dump with EBUSY (another dump of this socket still ran). */
  refusals: number;
}

/** First-in first-out by a moving index, not shift(): bulk applies queue tens of thousands. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    const item = this.items[this.head];
    if (item === undefined) return undefined;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Empties the queue and returns what it held. */
  drain(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}

/** Builds one netlink message carrying a generic netlink command. */
export function genlFrame(type: number, flags: number, seq: number, port: number, cmd: number, version: number, attrs: readonly Buffer[]): Buffer {
  let len = NLMSG_HDRLEN + GENL_HDRLEN;
  for (const a of attrs) len += a.length;
  const out = Buffer.allocUnsafe(len);
  out.writeUInt32LE(len, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(flags, 6);
  out.writeUInt32LE(seq >>> 0, 8);
  out.writeUInt32LE(port >>> 0, 12);
  out.writeUInt8(cmd, 16);
  out.writeUInt8(version, 17);
  out.writeUInt16LE(0, 18);
  let off = NLMSG_HDRLEN + GENL_HDRLEN;
  for (const a of attrs) {
    a.copy(out, off);
    off += a.length;
  }
  return out;
}

/** One socket of the NETLINK_GENERIC protocol. Not safe to share between namespaces. */
export class GenlSocket {
  private readonly sock: DatagramSocket;
  /** Our netlink port id, for nlmsg_pid: read once (getsockname is a syscall). */
  private readonly port: number;
  private readonly window: number;
  private readonly maxBatchBytes: number;
  private readonly timeoutMs: number;
  /** Requests (not dumps) not yet sent, in call order. */
  private readonly requests = new Fifo<Request>();
  /** Dumps not yet sent, in call order; one runs at a time. */
  private readonly dumps = new Fifo<Request>();
  private readonly inFlight = new Map<number, Request>();
  private outbox: Buffer[] = [];
  private flushScheduled = false;
  /** Requests that asked for the ACK of their datagram -> the other requests of that datagram. */
  private readonly datagrams = new Map<number, number[]>();
  private dumpInFlight = false;
  /**
   * A dump the kernel may still run on this socket that no caller waits for: one we gave up on
   * (`seq` known), or one an EBUSY answer told of (`seq` unknown). No dump is sent until its
   * DONE arrives or `timer` fires; if it still runs then, the next dump's EBUSY brings us back.
   */
  private orphan: { seq: number | undefined; timer: NodeJS.Timeout } | undefined;
  /** The dump the kernel last refused with EBUSY: sent again, before the queued ones, once the orphan ends. */
  private refused: Request | undefined;
  private readonly onSocketError: ((err: NetlinkSocketError) => void) | undefined;
  /** The kernel's count of messages dropped for this socket, when it is a real one. */
  private readonly drops: (() => number) | undefined;
  private dropped = 0;
  /** One timer checks deadlines while requests are in flight, not one timer per request. */
  private sweeper: NodeJS.Timeout | undefined;
  /**
   * Deadlines count sweeps, not milliseconds: reading the clock for every request was a measurable
   * share of a bulk apply under emulation. A request times out after timeoutMs to one sweep more.
   */
  private sweeps = 0;
  private readonly sweepMs: number;
  private readonly timeoutSweeps: number;
  private seq = (Math.random() * 0x7fffffff) >>> 0;
  private closed = false;

  constructor(opts: GenlSocketOptions = {}) {
    this.window = opts.window ?? 128;
    this.maxBatchBytes = opts.maxBatchBytes ?? 32 * 1024;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.sweepMs = Math.min(this.timeoutMs, 1000);
    this.timeoutSweeps = Math.ceil(this.timeoutMs / this.sweepMs) + 1;
    const recvBufferSize = opts.recvBufferSize ?? 4 * 1024 * 1024;
    // netlink@0.3.0 peeks at each datagram's size and receives it into a buffer of that size.
    // Receiving into a fixed buffer instead saves that recvmsg, but each datagram then pins the
    // whole buffer until the GC collects it (8 KiB per 36-byte ACK): the 1,000-service bench
    // held 97 MiB RSS instead of 85.
    const open = (): DatagramSocket => new RawNetlinkSocket(NETLINK_GENERIC, { recvBufferSize, sendBufferSize: 1024 * 1024 });
    this.sock = opts.socket ?? (opts.netns ? inNetns(opts.netns, open) : open());
    this.port = this.sock.address().port;
    if (!opts.socket) {
      // netlink@0.3.0 aborts the process when the kernel flags ENOBUFS (native/netlink_options.cc):
      // drops stay quiet and counted instead, and sweep() fails the requests they may have hit.
      const port = this.port;
      native().netlinkNoEnobufs(port);
      this.drops = () => native().netlinkDrops(port);
    }
    this.sock.on('message', (msg) => this.receive(msg));
    this.onSocketError = opts.onSocketError;
    this.sock.on('error', (err) => this.socketError(err));
    this.sock.unref();
  }

  /** Sends `cmd` and resolves with its replies (data messages) once the kernel has processed it. */
  request(family: number, cmd: number, version: number, attrs: readonly Buffer[]): Promise<GenlMessage[]> {
    return this.enqueue(family, NLM_F_REQUEST, cmd, version, attrs);
  }

  /** Sends `cmd` as a dump request and resolves with every message of the multipart reply. */
  dump(family: number, cmd: number, version: number, attrs: readonly Buffer[] = []): Promise<GenlMessage[]> {
    return this.enqueue(family, NLM_F_REQUEST | NLM_F_DUMP, cmd, version, attrs);
  }

  /** Resolves a family by name; undefined when the kernel has no such family (ENOENT). */
  async resolveFamily(name: string): Promise<GenlFamily | undefined> {
    let replies: GenlMessage[];
    try {
      replies = await this.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, [str(CTRL_ATTR_FAMILY_NAME, name)]);
    } catch (err) {
      if (err instanceof NetlinkErrnoError && err.errno === ENOENT) return undefined;
      throw err;
    }
    const reply = replies[0];
    if (!reply) throw new Error(`nlctrl sent no reply for family ${name}`);
    return {
      name,
      id: read.u16(reply.attrs.get(CTRL_ATTR_FAMILY_ID), 'CTRL_ATTR_FAMILY_ID'),
      version: read.u32(reply.attrs.get(CTRL_ATTR_VERSION), 'CTRL_ATTR_VERSION'),
      maxAttr: read.u32(reply.attrs.get(CTRL_ATTR_MAXATTR), 'CTRL_ATTR_MAXATTR'),
    };
  }

  close(): void {
    if (this.closed) return;
    const err = new Error('generic netlink socket closed');
    this.closed = true;
    this.failInFlight(err);
    const waiting = [...this.requests.drain(), ...this.dumps.drain()];
    if (this.refused) waiting.push(this.refused);
    this.refused = undefined;
    for (const job of waiting) job.reject(err);
    if (this.orphan) clearTimeout(this.orphan.timer);
    this.orphan = undefined;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.sock.close();
  }

  private enqueue(family: number, flags: number, cmd: number, version: number, attrs: readonly Buffer[]): Promise<GenlMessage[]> {
    if (this.closed) return Promise.reject(new Error('generic netlink socket is closed'));
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    return new Promise((resolve, reject) => {
      (dump ? this.dumps : this.requests).push({ family, flags, cmd, version, attrs, dump, resolve, reject, parts: undefined, deadline: 0, refusals: 0 });
      this.pump();
    });
  }

  /**
   * Moves queued jobs into flight while the window allows: requests first, in call order, then
   * the next dump (a refused one first) when none is running or orphaned. Requests queued before
   * a dump are thus sent before it.
   */
  private pump(): void {
    const deadline = this.sweeps + this.timeoutSweeps;
    while (this.inFlight.size < this.window) {
      let job = this.requests.shift();
      if (!job && !this.dumpInFlight && !this.orphan) {
        job = this.refused ?? this.dumps.shift();
        this.refused = undefined;
        if (job) this.dumpInFlight = true;
      }
      if (!job) break;
      this.seq = (this.seq + 1) >>> 0 || 1;
      job.deadline = deadline;
      this.inFlight.set(this.seq, job);
      this.outbox.push(genlFrame(job.family, job.flags, this.seq, this.port, job.cmd, job.version, job.attrs));
    }
    if (this.inFlight.size > 0 && !this.sweeper) {
      // An open request keeps the process alive; an idle socket does not.
      this.sock.ref();
      this.sweeper = setInterval(() => this.sweep(), this.sweepMs);
    }
    if (this.outbox.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /**
   * Sends the outbox as few datagrams as possible, each at most maxBatchBytes; in each, the last
   * request (not dump: a dump ends with DONE) asks for the ACK that settles the others.
   */
  private flush(): void {
    this.flushScheduled = false;
    const frames = this.outbox;
    this.outbox = [];
    let batch: Buffer[] = [];
    let size = 0;
    const sendBatch = (): void => {
      if (batch.length === 0) return;
      const sent = batch;
      let last: Buffer | undefined;
      const others: number[] = [];
      for (const f of sent) {
        if ((f.readUInt16LE(6) & NLM_F_DUMP) === NLM_F_DUMP) continue;
        if (last) others.push(last.readUInt32LE(8));
        last = f;
      }
      if (last) {
        last.writeUInt16LE(last.readUInt16LE(6) | NLM_F_ACK, 6);
        if (others.length > 0) this.datagrams.set(last.readUInt32LE(8), others);
      }
      this.sock.send(sent, undefined, (error) => {
        if (error) for (const f of sent) this.settle(f.readUInt32LE(8), error);
      });
      batch = [];
      size = 0;
    };
    for (const f of frames) {
      if (size + f.length > this.maxBatchBytes) sendBatch();
      batch.push(f);
      size += f.length;
    }
    sendBatch();
  }

  private receive(buf: Buffer): void {
    let off = 0;
    while (off + NLMSG_HDRLEN <= buf.length) {
      const len = buf.readUInt32LE(off);
      if (len < NLMSG_HDRLEN || off + len > buf.length) break;
      const type = buf.readUInt16LE(off + 4);
      const seq = buf.readUInt32LE(off + 8);
      const at = off + NLMSG_HDRLEN;
      off += align4(len);
      const errno = (type === NLMSG_ERROR || type === NLMSG_DONE) && len >= NLMSG_HDRLEN + 4 ? -buf.readInt32LE(at) : 0;
      const req = this.inFlight.get(seq);
      if (!req) {
        // Late reply to a request that timed out, a stray notification, or part of an orphaned
        // dump. Any DONE ends the orphan: the kernel runs one dump per socket and we sent none
        // since. An error reply ends it only if it answers its request and is not ENOBUFS.
        if (this.orphan && (type === NLMSG_DONE || (type === NLMSG_ERROR && seq === this.orphan.seq && errno !== ENOBUFS))) this.orphanEnded();
        continue;
      }
      if (type === NLMSG_ERROR) {
        if (req.dump && errno === ENOBUFS) {
          // Not over: the whole reply follows on a later receive (see the header).
          req.deadline = this.sweeps + this.timeoutSweeps;
          continue;
        }
        if (req.dump && errno === EBUSY && this.refuse(seq, req)) continue;
        this.settle(seq, errno === 0 ? undefined : new NetlinkErrnoError(errno));
      } else if (type === NLMSG_DONE) {
        this.settle(seq, errno > 0 ? new NetlinkErrnoError(errno) : undefined);
      } else if (len >= NLMSG_HDRLEN + GENL_HDRLEN) {
        let attrs: AttrMap;
        try {
          attrs = parseAttrs(buf.subarray(at + GENL_HDRLEN, at + len - NLMSG_HDRLEN));
        } catch (err) {
          // A malformed reply fails its request; it must not throw out of the socket's callback.
          if (req.dump) this.orphanDump(seq);
          this.settle(seq, err instanceof Error ? err : new Error(String(err)));
          continue;
        }
        const message = { cmd: buf.readUInt8(at), version: buf.readUInt8(at + 1), attrs };
        if (req.parts) req.parts.push(message);
        else req.parts = [message];
        // A dump is alive while its parts keep coming: a big table read in a slow machine may
        // take longer than the timeout, and giving up on it mid-way would make the kernel refuse
        // the next dump with EBUSY (it allows one dump at a time per socket).
        if (req.dump) req.deadline = this.sweeps + this.timeoutSweeps;
      }
    }
  }

  /**
   * Fails the requests past their deadline (at most `window` of them to look at), or all in
   * flight when the kernel dropped messages for us since the last look (a lost ACK or dump part).
   * A dump that timed out may still run in the kernel: it becomes the orphan the next one waits for.
   */
  private sweep(): void {
    const dropped = this.drops?.() ?? 0;
    if (dropped !== this.dropped) {
      const lost = dropped - this.dropped;
      this.dropped = dropped;
      this.socketError(Object.assign(new Error(`${lost} messages dropped`), { code: 'ENOBUFS' }));
    }
    const now = ++this.sweeps;
    for (const [seq, req] of this.inFlight) {
      if (req.deadline > now) continue;
      if (req.dump) this.orphanDump(seq);
      this.settle(seq, new Error(`generic netlink request timed out after ${this.timeoutMs} ms`));
    }
  }

  private settle(seq: number, error: Error | undefined): void {
    const req = this.inFlight.get(seq);
    if (!req) return;
    this.inFlight.delete(seq);
    if (req.dump) this.dumpInFlight = false;
    if (error) req.reject(error);
    else req.resolve(req.parts ?? []);
    const others = this.datagrams.get(seq);
    if (others) {
      // The kernel got this far in the datagram: the others without an error reply succeeded.
      // A timeout, a send or socket error leaves them as unknown as this one.
      this.datagrams.delete(seq);
      const outcome = error instanceof NetlinkErrnoError ? undefined : error;
      for (const other of others) this.settle(other, outcome);
    }
    if (!this.closed) this.pump();
    if (this.inFlight.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
      if (!this.closed) this.sock.unref();
    }
  }

  /**
   * A socket error (ENOBUFS: the kernel dropped replies for lack of receive buffer) leaves the
   * outcome of every request in flight unknown: they fail (their callers retry or re-read);
   * queued ones were not sent and go out as usual.
   */
  private socketError(cause: Error): void {
    if (this.closed) return;
    const err = new NetlinkSocketError(cause, this.inFlight.size);
    for (const [seq, req] of this.inFlight) if (req.dump) this.orphanDump(seq);
    this.failInFlight(err);
    this.onSocketError?.(err);
  }

  /**
   * The kernel refused dump `seq` with EBUSY: an orphan still runs. Unless the dump has been
   * refused for about its whole timeout already, its caller is not failed: the dump leaves
   * flight and goes again once the orphan ends. Returns whether it will.
   */
  private refuse(seq: number, req: Request): boolean {
    if (++req.refusals > this.timeoutSweeps) return false;
    this.inFlight.delete(seq);
    this.dumpInFlight = false;
    this.refused = req;
    this.orphanDump(undefined);
    return true;
  }

  /**
   * Waits for an orphaned dump's end before the next dump: at most one sweep period, then the
   * next dump tries (an EBUSY answer makes a new orphan). The timer keeps the process alive that
   * long: a caller may be waiting behind it.
   */
  private orphanDump(seq: number | undefined): void {
    if (this.orphan) return;
    this.orphan = { seq, timer: setTimeout(() => this.orphanEnded(), this.sweepMs) };
  }

  private orphanEnded(): void {
    if (!this.orphan) return;
    clearTimeout(this.orphan.timer);
    this.orphan = undefined;
    if (!this.closed) this.pump();
  }

  private failInFlight(err: Error): void {
    for (const seq of [...this.inFlight.keys()]) this.settle(seq, err);
  }
}
