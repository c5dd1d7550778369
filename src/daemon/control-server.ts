// The daemon's control socket: a unix socket only root can open. Access control is the file's
// mode (0600, owned by root, in a root-owned directory): connect(2) needs write permission on
// the socket file, so the kernel refuses every other user before lvsd sees a byte. Nothing
// listens on the network for control.
import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { LineSplitter, parseRequest, type ControlResponse } from './control-protocol.js';

export type ControlHandler = (method: string, params: Record<string, unknown>) => Promise<unknown>;

export class ControlServer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  /**
   * Listens on `path`. A leftover socket file from a crashed daemon is replaced, but a live daemon
   * answering on it is an error: two daemons must never fight over one kernel.
   */
  static async listen(path: string, handle: ControlHandler): Promise<ControlServer> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    await removeStaleSocket(path);
    const server = createServer();
    const control = new ControlServer(server, path);
    server.on('connection', (socket) => control.serve(socket, handle));
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    chmodSync(path, 0o600);
    if (process.getuid?.() === 0) chownSync(path, 0, 0);
    return control;
  }

  private serve(socket: Socket, handle: ControlHandler): void {
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    const lines = new LineSplitter();
    const reply = (r: ControlResponse): void => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(r)}\n`);
    };
    socket.on('data', (chunk: string) => {
      let received: string[];
      try {
        received = lines.push(chunk);
      } catch (err) {
        reply({ id: -1, ok: false, error: (err as Error).message });
        socket.destroy();
        return;
      }
      for (const line of received) {
        const req = parseRequest(line);
        if (!req) {
          reply({ id: -1, ok: false, error: 'malformed request: expected {"id": <int>, "method": <string>, "params"?: {...}}' });
          continue;
        }
        handle(req.method, req.params ?? {}).then(
          (result) => reply({ id: req.id, ok: true, result: result ?? null }),
          (err: unknown) => reply({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
        );
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      // already gone: nothing to clean
    }
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new Error(`control socket path ${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another lvsd is already running (it answers on ${path})`);
  unlinkSync(path);
}
