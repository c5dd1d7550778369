// Talks to a running daemon over its control socket, with errors an operator can act on.
// callDaemon is typed from the method table (src/daemon/control-methods.ts): a method's params
// and result are declared there once, for the daemon and for this client.
import { createConnection } from 'node:net';
import type { ControlMethod, ControlParams, ControlResult } from '../daemon/control-methods.js';
import { LineSplitter, parseResponse } from '../daemon/control-protocol.js';

export const DEFAULT_CONTROL_SOCKET = '/run/lvsd/lvsd.sock';

export class ControlError extends Error {
  override readonly name = 'ControlError';
}

function explain(path: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return `lvsd is not running: no control socket at ${path} (start it with "lvsd run -c FILE")`;
    case 'ECONNREFUSED':
      return `lvsd is not running: ${path} exists but nothing answers (stale socket from a stopped daemon)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${path}: the control socket is root-only (run as root)`;
    default:
      return `cannot reach lvsd at ${path}: ${err.message}`;
  }
}

/** One control method: its params and result as the method table declares them; rejects with a ControlError. */
export function callDaemon<M extends ControlMethod>(path: string, method: M, params?: ControlParams<M>, timeoutMs?: number): Promise<ControlResult<M>> {
  return callControl(path, method, params ?? {}, timeoutMs) as Promise<ControlResult<M>>;
}

/** Sends one request of any method and resolves with its result, unchecked; rejects with a ControlError. */
export function callControl(path: string, method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.setEncoding('utf8');
    const lines = new LineSplitter();
    const fail = (message: string): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new ControlError(message));
    };
    const timer = setTimeout(() => fail(`lvsd did not answer "${method}" within ${timeoutMs} ms (socket ${path})`), timeoutMs);
    socket.once('connect', () => socket.write(`${JSON.stringify({ id: 1, method, params })}\n`));
    socket.on('error', (err: NodeJS.ErrnoException) => fail(explain(path, err)));
    socket.on('data', (chunk: string) => {
      let received: string[];
      try {
        received = lines.push(chunk);
      } catch (err) {
        fail((err as Error).message);
        return;
      }
      for (const line of received) {
        const res = parseResponse(line);
        if (!res) {
          fail(`lvsd sent a malformed reply on ${path}`);
          return;
        }
        if (res.id !== 1) continue;
        clearTimeout(timer);
        socket.end();
        if (res.ok) resolve(res.result);
        else reject(new ControlError(res.error));
        return;
      }
    });
  });
}
