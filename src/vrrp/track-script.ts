// Runs one track script (argv, no shell) every interval and reports its status after
// rise/fall hysteresis. A run that outlives its timeout is killed and counts as a failure.
// Runs never overlap: the next one is scheduled when the previous one has ended.
import { spawn } from 'node:child_process';
import type { TrackScriptSettings } from './settings.js';
import { RiseFall } from './tracking.js';

export interface ScriptRun {
  success: boolean;
  /** Exit code, the signal that ended it, or "timeout" / a spawn error message. */
  detail: string;
}

/** Runs argv once; resolves (never rejects) with the outcome. */
export function runScript(command: readonly string[], timeoutMs: number): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const [file, ...args] = command;
    if (file === undefined) {
      resolve({ success: false, detail: 'empty command' });
      return;
    }
    const child = spawn(file, args, { stdio: 'ignore' });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ success: false, detail: err.message });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ success: false, detail: 'timeout' });
      else resolve({ success: code === 0, detail: code !== null ? `exit ${code}` : `signal ${signal}` });
    });
  });
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
