// UDP check: send a payload on a connected socket. With `expect`, a reply containing it must
// arrive within the timeout. Without, any reply or silence until the timeout is success, and
// only an ICMP error takes the server down (port unreachable surfaces as ECONNREFUSED on a
// connected UDP socket).
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Checker, ProbeResult, UdpCheck } from '../types.js';
import { guarded, probePort, reasonFromError } from './probe.js';

export const udpChecker: Checker<UdpCheck> = (target, spec, signal) =>
  guarded(signal, spec.timeout, (onStop) =>
    new Promise<Omit<ProbeResult, 'durationMs'>>((resolve) => {
      const socket = dgram.createSocket(isIPv6(target.address) ? 'udp6' : 'udp4');
      let settled = false;
      const finish = (ok: boolean, reason: string): void => {
        if (settled) return;
        settled = true;
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.close();
        resolve({ ok, reason });
      };
      socket.on('error', (err) => finish(false, reasonFromError(err)));
      socket.on('message', (msg) => {
        if (spec.expect === undefined) return finish(true, 'reply');
        if (msg.includes(spec.expect)) finish(true, 'expected reply');
        else finish(false, 'reply mismatch');
      });
      onStop((reason) => {
        if (reason === 'timeout' && spec.expect === undefined) return finish(true, 'no ICMP error within timeout');
        finish(false, reason === 'timeout' ? 'no reply' : reason);
      });
      if (settled) return;
      // No callbacks on bind/connect: without one, their failures (a source address that is not
      // local, say) arrive as 'error' events and fail the probe like any other socket error.
      socket.once('listening', () => socket.connect(probePort(target, spec), target.address));
      socket.once('connect', () => {
        if (!settled) socket.send(spec.send);
      });
      socket.bind({ address: spec.source ?? (isIPv6(target.address) ? '::' : '0.0.0.0'), port: 0 });
    }),
  );
