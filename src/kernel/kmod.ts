// Loading a kernel module with modprobe(8), which resolves dependencies and aliases the way the
// distribution configured them. Used for ipip / ip6_tunnel, whose fallback devices (tunl0,
// ip6tnl0) a TUN real server needs; nothing else in lvsd loads modules.
import { execFile } from 'node:child_process';

const MODPROBE_TIMEOUT_MS = 10_000;

export function loadModule(name: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return Promise.reject(new TypeError(`not a module name: ${name}`));
  return new Promise((resolve, reject) => {
    execFile('modprobe', [name], { timeout: MODPROBE_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'modprobe not found (install kmod)' : stderr.trim() || err.message;
      reject(new Error(`modprobe ${name} failed: ${why}`));
    });
  });
}
