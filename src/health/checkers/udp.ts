// UDP check: send a payload on a connected socket. With `expect`, a reply containing it must
// arrive within the timeout. Without, any reply or silence until the timeout is success, and
// only an ICMP error takes the server down (port unreachable surfaces as ECONNREFUSED on a
// connected UDP socket).
import type { Checker, ProbeResult, UdpCheck } from '../types.js';
import { guarded, probePort } from './probe.js';
import { startUdpExchange } from './udp-exchange.js';

export const udpChecker: Checker<UdpCheck> = (target, spec, signal) =>
  guarded(signal, spec.timeout, (onStop) =>
    new Promise<Omit<ProbeResult, 'durationMs'>>((resolve) => {
      const finish = startUdpExchange({
        target,
        port: probePort(target, spec),
        source: spec.source,
        payload: () => spec.send,
        onMessage: (msg, done) => {
          if (spec.expect === undefined) done(true, 'reply');
          else if (msg.includes(spec.expect)) done(true, 'expected reply');
          else done(false, 'reply mismatch');
        },
        resolve,
      });
      onStop((reason) => {
        if (reason === 'timeout' && spec.expect === undefined) finish(true, 'no ICMP error within timeout');
        else finish(false, reason === 'timeout' ? 'no reply' : reason);
      });
    }),
  );
