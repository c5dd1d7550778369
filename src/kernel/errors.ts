// netlink@0.3.0 rejects requests with `Error("Request rejected: ENOENT")` (or a bare number for
// errnos node has no name for) and never attaches the errno. Everything in lvsd that talks to the
// kernel goes through here so callers see a real errno and a sentence naming the object.
import { constants } from 'node:os';

const errnoByName = constants.errno as Record<string, number>;
const nameByErrno = new Map<number, string>(Object.entries(errnoByName).map(([k, v]) => [v, k]));

/** A kernel refusal: `errno` is positive (EEXIST = 17), `code` its symbolic name. */
export class KernelError extends Error {
  override readonly name = 'KernelError';
  constructor(
    message: string,
    readonly errno: number,
    readonly code: string,
    readonly operation: string,
  ) {
    super(message);
  }
}

/** A netlink request the kernel answered with a negative errno (our own transport, src/kernel/genl.ts). */
export class NetlinkErrnoError extends Error {
  override readonly name = 'NetlinkErrnoError';
  constructor(readonly errno: number) {
    super(`Request rejected: ${errnoName(errno)}`);
  }
}

/**
 * The socket itself reported an error, most often ENOBUFS: the kernel dropped messages for this
 * socket because its receive buffer was full (a burst of notifications, or of ACKs). The replies
 * to the requests in flight may be among them, so those requests fail with this error and their
 * callers re-read or retry; the socket stays usable.
 */
export class NetlinkSocketError extends Error {
  override readonly name = 'NetlinkSocketError';
  readonly code: string;
  constructor(
    override readonly cause: Error,
    /** Requests that were in flight and failed because of it. */
    readonly failedRequests = 0,
  ) {
    const e = cause as Error & { code?: unknown };
    const code = typeof e.code === 'string' ? e.code : 'socket error';
    super(`netlink socket: ${code === 'ENOBUFS' ? `ENOBUFS (receive buffer overrun: ${cause.message})` : cause.message}`);
    this.code = code;
  }
}

export function errnoName(errno: number): string {
  return nameByErrno.get(errno) ?? `errno ${errno}`;
}

/** Extracts the errno from a netlink@0.3.0 rejection message, or undefined when it is not one. */
export function errnoFromMessage(message: string): number | undefined {
  const m = /^Request rejected: (-?\w+)$/.exec(message);
  if (!m || m[1] === undefined) return undefined;
  const token = m[1];
  if (/^-?\d+$/.test(token)) return Math.abs(Number(token));
  return errnoByName[token];
}

/**
 * Wraps whatever a netlink call threw into a KernelError. `describe` turns the errno into the
 * sentence the operator reads, e.g. "service tcp 198.18.0.100:80: scheduler 'foo' not available".
 */
export function toKernelError(err: unknown, operation: string, describe?: (errno: number) => string | undefined): Error {
  if (err instanceof KernelError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const errno = err instanceof NetlinkErrnoError ? err.errno : errnoFromMessage(message);
  if (errno === undefined) return err instanceof Error ? err : new Error(message);
  const detail = describe?.(errno) ?? errnoDescription(errno);
  return new KernelError(`${operation}: ${detail} (${errnoName(errno)})`, errno, errnoName(errno), operation);
}

function errnoDescription(errno: number): string {
  switch (errnoName(errno)) {
    case 'EEXIST': return 'already exists';
    case 'ENOENT': return 'does not exist';
    case 'ESRCH': return 'no such object';
    case 'EINVAL': return 'invalid argument';
    case 'EPERM': return 'operation not permitted (lvsd needs CAP_NET_ADMIN)';
    case 'EADDRNOTAVAIL': return 'address not available';
    case 'ENODEV': return 'no such device';
    case 'EBUSY': return 'busy';
    default: return 'rejected by the kernel';
  }
}

/**
 * Wraps an error thrown by the native addon (which names the syscall and carries `errno` and
 * `syscall`) into a KernelError whose message starts with `context`, e.g.
 * "VRRP IPv4 socket on eth0: setsockopt(IP_ADD_MEMBERSHIP 224.0.0.18 eth0): ENODEV (No such device)".
 */
export function fromSyscallError(err: unknown, context: string): Error {
  if (!(err instanceof Error)) return new Error(`${context}: ${String(err)}`);
  const e = err as Error & { errno?: unknown; syscall?: unknown };
  if (typeof e.errno !== 'number') return err;
  return new KernelError(`${context}: ${err.message}`, e.errno, errnoName(e.errno), typeof e.syscall === 'string' ? e.syscall : context);
}
