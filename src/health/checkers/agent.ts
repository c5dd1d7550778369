// Agent check: connect to the agent port, send `send` when set, read one line (up to
// MAX_AGENT_REPLY bytes, or what arrived before the agent closed) and parse it. Like the TCP
// check, the connection ends with a RST so frequent queries leave no TIME_WAIT behind.
import net from 'node:net';
import { MAX_AGENT_REPLY, parseAgentReply } from '../agent.js';
import type { AgentSpec, ProbeResult, ProbeTarget } from '../types.js';
import { dropProbeSocket, guarded, reasonFromError } from './probe.js';

export function agentChecker(target: ProbeTarget, spec: AgentSpec, signal: AbortSignal): Promise<ProbeResult> {
  return guarded(signal, spec.timeout, (onStop) =>
    new Promise<Omit<ProbeResult, 'durationMs'>>((resolve) => {
      const socket = net.connect({ host: target.address, port: spec.port, ...(spec.source ? { localAddress: spec.source } : {}) });
      let settled = false;
      let seen = Buffer.alloc(0);
      const finish = (result: Omit<ProbeResult, 'durationMs'>): void => {
        if (settled) return;
        settled = true;
        dropProbeSocket(socket);
        resolve(result);
      };
      const answer = (): void => {
        const newline = seen.indexOf(10);
        const line = seen.subarray(0, newline < 0 ? Math.min(seen.length, MAX_AGENT_REPLY) : newline).toString('latin1').replace(/\r$/, '');
        finish({ ok: true, reason: 'agent answered', agentReply: parseAgentReply(line) });
      };
      onStop((reason) => finish({ ok: false, reason }));
      if (settled) return;
      socket.once('error', (err) => finish({ ok: false, reason: reasonFromError(err) }));
      socket.once('connect', () => {
        if (spec.send !== undefined) socket.write(spec.send);
      });
      socket.on('data', (chunk: Buffer) => {
        seen = Buffer.concat([seen, chunk]);
        if (seen.includes(10) || seen.length >= MAX_AGENT_REPLY) answer();
      });
      socket.once('end', () => (seen.length > 0 ? answer() : finish({ ok: false, reason: 'closed without a reply' })));
    }),
  );
}
