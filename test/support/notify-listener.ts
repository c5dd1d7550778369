// A NOTIFY_SOCKET for tests: a python3 child bound to an AF_UNIX datagram socket (Node has none),
// printing each datagram it receives as a JSON line, the way systemd would receive sd_notify
// messages. `@name` binds an abstract socket (per network namespace).
import { spawn, type ChildProcess } from 'node:child_process';

const script = `
import json, socket, sys
name = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(('\\0' + name[1:]) if name.startswith('@') else name)
print('ready', flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;

export interface NotifyListener {
  /** Every datagram received so far, in order. */
  readonly messages: string[];
  /** Resolves once a message matching `pattern` arrived; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** Listens on `socket` (a path or @abstract); `spawnIn` runs the child elsewhere (a netns). */
export async function listenNotify(socket: string, spawnIn: (cmd: string, args: string[]) => ChildProcess = (c, a) => spawn(c, a)): Promise<NotifyListener> {
  const child = spawnIn('python3', ['-c', script, socket]);
  const messages: string[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  let ready: () => void = () => {};
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line === 'ready') ready();
      else messages.push(JSON.parse(line) as string);
    }
    for (const w of waiters) w();
  });
  const stopAt = setTimeout(() => child.kill('SIGKILL'), 120_000);
  await Promise.race([isReady, new Promise((_r, reject) => setTimeout(() => reject(new Error(`notify listener on ${socket} did not start`)), 10_000))]);
  return {
    messages,
    waitFor(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = messages.find((m) => pattern.test(m));
          if (hit === undefined) return;
          cleanup();
          resolve(hit);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} on ${socket} within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      clearTimeout(stopAt);
      child.kill('SIGKILL');
    },
  };
}
