// Runs one track script (argv, no shell, through the shared runner in src/exec) every interval
// and reports its status after rise/fall hysteresis. A run that outlives its timeout is killed
// with its process group and counts as a failure, as does one that cannot start (missing,
// unsafe, EMFILE...). Runs never overlap: the next one is scheduled when the previous one ended.
import { runCommand } from '../exec/run.js';
import type { TrackScriptSettings } from './settings.js';
import { RiseFall } from './tracking.js';

export interface ScriptRun {
  success: boolean;
  /** "exit 0", "exit 1", "killed by SIGTERM", "timeout", or why it could not start. */
  detail: string;
}

/** Runs argv once; resolves (never rejects) with the outcome. */
export async function runScript(command: readonly string[], timeoutMs: number): Promise<ScriptRun> {
  const outcome = await runCommand({ argv: command }, { timeoutMs, output: { mode: 'ignore' } });
  return { success: outcome.ok, detail: outcome.detail };
}

export class ScriptTracker {
  private readonly hysteresis: RiseFall;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    readonly settings: TrackScriptSettings,
    /** Called when the status flips, with the run that flipped it. */
    private readonly onChange: (up: boolean, run: ScriptRun) => void,
  ) {
    this.hysteresis = new RiseFall(settings.rise, settings.fall);
  }

  get up(): boolean {
    return this.hysteresis.up;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.runOnce();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async runOnce(): Promise<void> {
    const run = await runScript(this.settings.command, this.settings.timeoutMs);
    if (this.stopped) return;
    if (this.hysteresis.record(run.success)) this.onChange(this.hysteresis.up, run);
    this.timer = setTimeout(() => void this.runOnce(), this.settings.intervalMs);
  }
}
