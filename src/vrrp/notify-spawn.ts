// Runs notify commands (notify.ts) detached from lvsd's fate: no shell, stdio ignored, killed
// after a timeout so a hung hook cannot pile up, failures reported rather than thrown.
import { spawn } from 'node:child_process';
import type { NotifyCommand } from './notify.js';

export function spawnNotify(command: NotifyCommand, timeoutMs: number, onError: (message: string) => void): void {
  const [file, ...args] = command.argv;
  if (file === undefined) return;
  const child = spawn(file, args, { env: { ...process.env, ...command.env }, stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.once('error', (err) => {
    clearTimeout(timer);
    onError(`notify ${file}: ${err.message}`);
  });
  child.once('exit', (code, signal) => {
    clearTimeout(timer);
    if (code !== 0) onError(`notify ${file}: ${code !== null ? `exit ${code}` : `killed by ${signal}`}`);
  });
}
