// Every rtnetlink socket lvsd opens (VIPs and link lookups, link and address watches, routes,
// link admin) is one of these, so that none can take the process down. When the kernel drops
// messages for a full receive buffer (a burst of link changes, a slow event loop) it flags the
// socket with ENOBUFS, and netlink@0.3.0 aborts the process on that flag (native/
// netlink_options.cc says how), so every socket is opened with NETLINK_NO_ENOBUFS: the kernel
// drops quietly and counts; drops() reads the count so the watches can re-sync. Any error that
// still reaches netlink@0.3.0's 'error' event (which crashes Node when nobody listens) is
// handled where it happens:
//  - requests in flight fail at once with NetlinkSocketError (their replies may be the dropped
//    messages; netlink@0.3.0 would otherwise wait for them forever), and every request also
//    times out, so a lost reply never hangs its caller; new requests wait until the abandoned
//    ones have ended in the kernel (a second dump while one runs is refused with EBUSY);
//  - the owner is told (to log it and re-sync what it tracks: a watch re-dumps);
//  - the socket stays open and usable.
import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import { NetlinkSocketError } from './errors.js';
import { native } from './native.js';

/** A reply that has not come after this long is not coming (the kernel answers in microseconds). */
export const RT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Requests in flight on one socket at most; the rest wait their turn. Replies wait in the
 * socket's receive buffer until read, each costing a few KiB of it (an error ack carries the
 * request back), and the kernel drops what does not fit, quietly (NETLINK_NO_ENOBUFS): with
 * ~64 at once in the default buffer, a start removing 80 leftover VIPs waited out the timeout.
 */
export const RT_WINDOW = 16;

/** What the owner of a socket hears about its errors; the default prints a process warning. */
export type SocketErrorHandler = (err: NetlinkSocketError) => void;

export const warnSocketError: SocketErrorHandler = (err) => process.emitWarning(err.message, 'NetlinkSocketError');

export interface RtSocketOptions {
  onError?: SocketErrorHandler;
  /** SO_RCVBUF to ask for (the kernel caps it at net.core.rmem_max); watches want room for bursts. */
  recvBufferSize?: number;
}

export class RtSocket {
  /** The wrapped socket: send requests through request(), never directly. */
  readonly rt: RtNetlinkSocket;
  /** Requests in flight: how to fail each, and the underlying netlink@0.3.0 request. */
  private readonly pending = new Map<(err: Error) => void, Promise<unknown>>();
  /** Settles when the requests abandoned at socket errors have ended; undefined when none are left. */
  private abandoned: Promise<unknown> | undefined;
  private readonly onError: SocketErrorHandler;
  private readonly port: number;
  private closed = false;
  /** Requests sent and not yet settled, at most RT_WINDOW; `waiting` holds the turns of the rest, in order. */
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  /** Opens the socket in the current network namespace (synchronous, so inNetns() works). */
  constructor(opts: RtSocketOptions = {}) {
    // netlink@0.3.0 sets only the sizes that are truthy: 0 leaves the kernel's default.
    this.rt = createRtNetlink({ recvBufferSize: opts.recvBufferSize ?? 0, sendBufferSize: 0 });
    this.onError = opts.onError ?? warnSocketError;
    this.rt.socket.on('error', (cause: Error) => this.failed(cause));
    this.port = this.rt.socket.address().port;
    try {
      native().netlinkNoEnobufs(this.port);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Messages the kernel dropped for this socket since it was opened (its receive buffer was full). */
  drops(): number {
    return native().netlinkDrops(this.port);
  }

  /**
   * Runs one request. It fails with NetlinkSocketError when the socket reports an error while it
   * is in flight, and with a timeout when no reply comes. The timer is ours, not netlink@0.3.0's
   * (which is not unref'd and would hold a stopping process for the whole timeout).
   */
  request<T>(send: () => Promise<T>): Promise<T> {
    if (this.abandoned) return this.abandoned.then(() => this.request(send));
    if (this.closed) return Promise.reject(new Error('rtnetlink socket is closed'));
    if (this.inFlight >= RT_WINDOW) return new Promise<void>((turn) => this.waiting.push(turn)).then(() => this.request(send));
    this.inFlight++;
    return new Promise<T>((resolve, reject) => {
      const underlying = send();
      const timer = setTimeout(() => reject(new Error(`rtnetlink request timed out after ${RT_REQUEST_TIMEOUT_MS} ms`)), RT_REQUEST_TIMEOUT_MS);
      timer.unref();
      this.pending.set(reject, underlying);
      underlying.then(resolve, reject).finally(() => {
        clearTimeout(timer);
        this.pending.delete(reject);
        this.inFlight--;
        this.waiting.shift()?.();
      });
    });
  }

  /** Closes the socket; requests still in flight fail (their replies can no longer come). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const waiting = [...this.pending.keys()];
    this.pending.clear();
    this.rt.socket.close();
    for (const fail of waiting) fail(new Error('rtnetlink socket closed'));
    // Requests waiting for a turn take it now and find the socket closed.
    for (const turn of this.waiting.splice(0)) turn();
  }

  /** Handles a socket error as if netlink@0.3.0 had reported it (dropped messages seen by drops()). */
  failed(cause: Error): void {
    const err = new NetlinkSocketError(cause, this.pending.size);
    const waiting = [...this.pending];
    this.pending.clear();
    if (waiting.length > 0) {
      // A lost reply never comes: wait for the others at most as long as a request may take.
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, RT_REQUEST_TIMEOUT_MS).unref());
      const ended = Promise.allSettled([this.abandoned, ...waiting.map(([, underlying]) => underlying)]);
      const abandoned = Promise.race([ended, timeout]).then(() => {
        if (this.abandoned === abandoned) this.abandoned = undefined;
      });
      this.abandoned = abandoned;
    }
    for (const [fail] of waiting) fail(err);
    this.onError(err);
  }
}
