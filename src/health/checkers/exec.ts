// Exec check: run an argv (no shell) with the real server named in the environment; exit 0 is
// up. A line `weight=N` on stdout sets the real server's dynamic weight. The shared runner
// (src/exec) gives the command its own process group and kills the whole group at the timeout
// and after the command exits, so a hung script or a child it left behind never outlives its
// probe; it also refuses files that a non-root user could replace. How many run at once is the
// scheduler's `exec` pool limit.
import { startCommand } from '../../exec/run.js';
import type { Checker, ExecCheck } from '../types.js';
import { guarded, probePort, reasonFromError } from './probe.js';

/** Stdout bytes kept for the `weight=N` scan. */
const maxStdoutBytes = 64 * 1024;
const maxWeight = 65535;

export const execChecker: Checker<ExecCheck> = (target, spec, signal) =>
  guarded(signal, spec.timeout, async (onStop) => {
    const run = startCommand(
      {
        argv: spec.command,
        env: {
          LVSD_SERVICE: target.service,
          LVSD_ADDRESS: target.address,
          LVSD_PORT: String(target.port),
          LVSD_CHECK_PORT: String(probePort(target, spec)),
        },
      },
      // guarded() stops the run at spec.timeout; the runner's own timer is only a backstop.
      { timeoutMs: spec.timeout * 2, output: { mode: 'capture' }, maxOutputBytes: maxStdoutBytes },
    );
    onStop((reason) => run.kill(reason === 'timeout' ? 'killed at timeout' : reason));
    const outcome = await run.done;
    if (outcome.error !== undefined) return { ok: false, reason: outcome.error === 'EUNSAFE' ? outcome.detail : reasonFromError({ code: outcome.error }) };
    if (outcome.stopped !== undefined) return { ok: false, reason: outcome.stopped };
    if (!outcome.ok) return { ok: false, reason: outcome.signal ? `killed by ${outcome.signal}` : `exit ${String(outcome.code)}` };
    const weight = parseWeight(outcome.stdout);
    return weight === undefined ? { ok: true, reason: 'exit 0' } : { ok: true, reason: 'exit 0', weight };
  });

/** The last `weight=N` line of the output, N clamped to the IPVS range 0-65535. */
export function parseWeight(stdout: string): number | undefined {
  let weight: number | undefined;
  for (const m of stdout.matchAll(/^weight=(\d+)\s*$/gm)) weight = Math.min(maxWeight, Number(m[1]));
  return weight;
}
