// TCP check: the real server accepts a connection, and when `send`/`expect` are set, answers
// `send` with bytes containing `expect`. The connection is closed with a RST so ten thousand
// checks a second leave no TIME_WAIT sockets behind on the balancer.
import net from 'node:net';
import type { Checker, ProbeResult, TcpCheck } from '../types.js';
import { dropProbeSocket, guarded, probePort, reasonFromError } from './probe.js';

/** Bytes of response kept while looking for `expect`. */
const maxExpectBytes = 64 * 1024;

export const tcpChecker: Checker<TcpCheck> = (target, spec, signal) =>
  guarded(signal, spec.timeout, (onStop) =>
    new Promise<Omit<ProbeResult, 'durationMs'>>((resolve) => {
      const socket = net.connect({
        host: target.address,
        port: probePort(target, spec),
        ...(spec.source ? { localAddress: spec.source } : {}),
      });
      let settled = false;
      const finish = (ok: boolean, reason: string): void => {
        if (settled) return;
        settled = true;
        dropProbeSocket(socket);
        resolve({ ok, reason });
      };
      onStop((reason) => finish(false, reason));
      if (settled) return;

      socket.once('error', (err) => finish(false, reasonFromError(err)));
      socket.once('connect', () => {
        if (spec.send !== undefined) socket.write(spec.send);
        if (spec.expect === undefined) return finish(true, 'connected');
        const expect = spec.expect;
        let seen = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          seen = Buffer.concat([seen, chunk]);
          if (seen.includes(expect)) return finish(true, 'expected reply');
          if (seen.length > maxExpectBytes) finish(false, 'reply mismatch');
        });
        socket.once('end', () => finish(false, 'closed before expected reply'));
      });
    }),
  );
