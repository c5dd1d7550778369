// What every checker shares: its own timeout next to the scheduler's AbortSignal, and turning
// socket errors into the short reasons operators read in `lvsd status` ("refused", "timeout").
import type { Socket } from 'node:net';
import { ProbeTimeout } from '../schedule.js';
import type { CheckSpec, ProbeResult, ProbeTarget } from '../types.js';

/** Where a check connects: the check port when set, else the real server's port. */
export function probePort(target: ProbeTarget, spec: Exclude<CheckSpec, { type: 'ping' }>): number {
  return spec.port ?? target.port;
}

/** Registers the one listener told why a probe must stop: "timeout" or "aborted". */
export type OnStop = (listener: (reason: string) => void) => void;

/**
 * Runs `body` with a stop notice armed for both the caller's signal and the check's own
 * timeout, so a checker used without the scheduler still cannot hang. `body` must settle
 * promptly once its stop listener is called. (A callback rather than a second AbortSignal:
 * this runs ten thousand times a second.)
 */
export async function guarded(
  signal: AbortSignal,
  timeoutMs: number,
  body: (onStop: OnStop) => Promise<Omit<ProbeResult, 'durationMs'>>,
): Promise<ProbeResult> {
  const startedAt = performance.now();
  let listener: ((reason: string) => void) | undefined;
  let stopped: string | undefined;
  const stop = (reason: string): void => {
    if (stopped !== undefined) return;
    stopped = reason;
    listener?.(reason);
  };
  const onAbort = (): void => stop(signal.reason instanceof ProbeTimeout ? 'timeout' : 'aborted');
  // setImmediate: after a stall, timers run before the socket poll; the check phase comes after
  // it, so a reply already waiting in the kernel is read before the probe is called timed out.
  const timer = setTimeout(() => setImmediate(stop, 'timeout'), timeoutMs);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    const result = await body((l) => {
      listener = l;
      if (stopped !== undefined) l(stopped);
    });
    return { ...result, durationMs: performance.now() - startedAt };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

const reasonByCode: Record<string, string> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'source address not available',
  EHOSTDOWN: 'host down',
  ENOENT: 'command not found',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** "refused", "reset", "tls: DEPTH_ZERO_SELF_SIGNED_CERT", or the error's own code/message. */
export function reasonFromError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const known = reasonByCode[code];
    if (known) return known;
    if (isTlsCode(code)) return `tls: ${code}`;
    return code.toLowerCase();
  }
  return err instanceof Error ? err.message : String(err);
}

function isTlsCode(code: string): boolean {
  return code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO|DEPTH_ZERO/.test(code);
}

/**
 * Ends a probe's TCP socket for good: no more events, and a RST rather than a FIN once connected,
 * so ten thousand probes a second leave no TIME_WAIT sockets behind on the balancer.
 */
export function dropProbeSocket(socket: Socket): void {
  socket.removeAllListeners();
  socket.on('error', () => undefined);
  if (socket.readyState === 'open') socket.resetAndDestroy();
  else socket.destroy();
}
