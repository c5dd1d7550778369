// Exec check: run an argv (no shell) with the real server named in the environment; exit 0 is
// up. A line `weight=N` on stdout sets the real server's dynamic weight. The command runs in
// its own process group, and the whole group is killed at the timeout and after the command
// exits, so a hung script or a child it left behind never outlives its probe. How many run at
// once is the scheduler's `exec` pool limit.
import { spawn } from 'node:child_process';
import type { Checker, ExecCheck, ProbeResult } from '../types.js';
import { guarded, probePort, reasonFromError } from './probe.js';

/** Stdout bytes kept for the `weight=N` scan. */
const maxStdoutBytes = 64 * 1024;
const maxWeight = 65535;

export const execChecker: Checker<ExecCheck> = (target, spec, signal) =>
  guarded(signal, spec.timeout, (onStop) =>
    new Promise<Omit<ProbeResult, 'durationMs'>>((resolve) => {
      const [file, ...args] = spec.command;
      if (file === undefined) return resolve({ ok: false, reason: 'empty command' });
      const child = spawn(file, args, {
        detached: true,
        stdio: ['ignore', 'pipe', 'ignore'],
        env: {
          ...process.env,
          LVSD_SERVICE: target.service,
          LVSD_ADDRESS: target.address,
          LVSD_PORT: String(target.port),
          LVSD_CHECK_PORT: String(probePort(target, spec)),
        },
      });
      let stdout = '';
      let settled = false;
      const killGroup = (): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // ESRCH: the group is already gone.
        }
      };
      const finish = (result: Omit<ProbeResult, 'durationMs'>): void => {
        if (settled) return;
        settled = true;
        killGroup();
        resolve(result);
      };
      child.stdout.on('data', (chunk: Buffer) => {
        if (stdout.length < maxStdoutBytes) stdout += chunk.toString('utf8');
      });
      child.once('error', (err) => finish({ ok: false, reason: reasonFromError(err) }));
      // Children the command left behind would hold stdout open and delay 'close'.
      child.once('exit', killGroup);
      child.once('close', (code, sig) => {
        if (code !== 0) return finish({ ok: false, reason: sig ? `killed by ${sig}` : `exit ${String(code)}` });
        const weight = parseWeight(stdout);
        finish(weight === undefined ? { ok: true, reason: 'exit 0' } : { ok: true, reason: 'exit 0', weight });
      });
      onStop((reason) => finish({ ok: false, reason: reason === 'timeout' ? 'killed at timeout' : reason }));
    }),
  );

/** The last `weight=N` line of the output, N clamped to the IPVS range 0-65535. */
export function parseWeight(stdout: string): number | undefined {
  let weight: number | undefined;
  for (const m of stdout.matchAll(/^weight=(\d+)\s*$/gm)) weight = Math.min(maxWeight, Number(m[1]));
  return weight;
}
