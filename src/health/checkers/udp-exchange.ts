// One datagram exchange on a connected UDP socket, shared by the UDP and DNS checks. Connecting
// makes an ICMP port unreachable surface as ECONNREFUSED ('error'), so a closed port fails the
// probe at once instead of at its timeout.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ProbeResult, ProbeTarget } from '../types.js';
import { reasonFromError } from './probe.js';

export type Finish = (ok: boolean, reason: string) => void;

export interface UdpExchange {
  target: ProbeTarget;
  port: number;
  /** Local address to send from; any when unset. */
  source: string | undefined;
  payload: () => Buffer | string;
  /** Judges each datagram that arrives; calls `finish` when it is the answer. */
  onMessage: (msg: Buffer, finish: Finish) => void;
  resolve: (result: Omit<ProbeResult, 'durationMs'>) => void;
}

/** Starts the exchange and returns `finish`, which settles it once and closes the socket. */
export function startUdpExchange(x: UdpExchange): Finish {
  const v6 = isIPv6(x.target.address);
  const socket = dgram.createSocket(v6 ? 'udp6' : 'udp4');
  let settled = false;
  const finish: Finish = (ok, reason) => {
    if (settled) return;
    settled = true;
    socket.removeAllListeners();
    socket.on('error', () => undefined);
    socket.close();
    x.resolve({ ok, reason });
  };
  socket.on('error', (err) => finish(false, reasonFromError(err)));
  socket.on('message', (msg) => x.onMessage(msg, finish));
  // No callbacks on bind/connect: without one, their failures (a source address that is not
  // local, say) arrive as 'error' events and fail the probe like any other socket error.
  socket.once('listening', () => socket.connect(x.port, x.target.address));
  socket.once('connect', () => {
    if (!settled) socket.send(x.payload());
  });
  socket.bind({ address: x.source ?? (v6 ? '::' : '0.0.0.0'), port: 0 });
  return finish;
}
