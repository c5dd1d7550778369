// Runs one argv (no shell) for lvsd: notify hooks, track scripts and exec health checks all come
// through here. The command gets a process group of its own (setsid), and the whole group is
// killed (SIGKILL) at the timeout, on an explicit kill, and when the command itself exits, so
// neither a hung script nor a child it left behind outlives its run or holds a pipe open.
// Output is read through pipes up to a byte bound and then discarded, so a chatty script
// cannot grow lvsd's memory; what was kept goes to the log or back to the caller.
//
// Nothing here throws: a refused file (hygiene.ts), a spawn the kernel rejects (ENOENT, EACCES,
// EMFILE, E2BIG...) or an argument Node refuses (a NUL byte) all end as a failed outcome, so a
// bad hook can never throw into the VRRP state machine or the health scheduler. It works the
// same from a worker thread. Children inherit the scheduling of the thread that forks them; the
// VRRP thread (SCHED_RR or nice -10, daemon/vrrp-thread-scheduling.ts) carries
// SCHED_RESET_ON_FORK, so the kernel starts its commands at SCHED_OTHER, nice 0, from their
// first instruction, and a busy hook cannot compete with the adverts.
import { spawn, type ChildProcess } from 'node:child_process';
import { checkExecutable } from './hygiene.js';

export interface ExecCommand {
  argv: readonly string[];
  /** Added to lvsd's own environment. */
  env?: Readonly<Record<string, string>>;
}

/** The least of a logger that output goes to (a pino Logger fits). */
export interface ExecLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ExecOptions {
  timeoutMs: number;
  /**
   * `log`: stdout and stderr go to `log` when the run ends (one line per stream, at most
   * `maxOutputBytes` each). `capture`: stdout comes back in the outcome (at most
   * `maxOutputBytes`), stderr is discarded. `ignore`: both are discarded.
   */
  output: { mode: 'log'; log: ExecLog } | { mode: 'capture' } | { mode: 'ignore' };
  maxOutputBytes?: number;
  /** Extra fields for the output log lines (e.g. which instance the hook belongs to). */
  context?: object;
}

export interface ExecOutcome {
  /** Exit status 0. */
  ok: boolean;
  /** Short text for logs and status: "exit 0", "exit 3", "killed by SIGTERM", "timeout", "refusing to run ...". */
  detail: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command never ran: errno code (ENOENT, EACCES, EMFILE...) or EUNSAFE (hygiene.ts). */
  error?: string;
  /** Why lvsd stopped it: "timeout" or the reason given to kill(). */
  stopped?: string;
  /** Captured stdout (`output.mode` "capture"). */
  stdout: string;
  durationMs: number;
}

export interface RunningCommand {
  readonly done: Promise<ExecOutcome>;
  /** Kills the whole process group; the outcome says `stopped: reason`. Idempotent. */
  kill(reason: string): void;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 4096;

/** Starts `command`; see the file header. */
export function startCommand(command: ExecCommand, options: ExecOptions): RunningCommand {
  const startedAt = performance.now();
  const fail = (error: string, detail: string): RunningCommand => ({
    done: Promise.resolve({ ok: false, detail, code: null, signal: null, error, stdout: '', durationMs: performance.now() - startedAt }),
    kill: () => {},
  });
  const [argv0, ...args] = command.argv;
  if (argv0 === undefined) return fail('EINVAL', 'empty command');
  const env = { ...process.env, ...command.env };
  const verdict = checkExecutable(argv0, env);
  if (!verdict.ok) return fail(verdict.code, verdict.reason);
  let child: ChildProcess;
  try {
    child = spawn(verdict.file, args, { argv0, env, detached: true, stdio: ['ignore', options.output.mode === 'ignore' ? 'ignore' : 'pipe', options.output.mode === 'log' ? 'pipe' : 'ignore'] });
  } catch (err) {
    // Node throws for what it cannot pass to execve (NUL bytes, E2BIG...), and libuv errors
    // other than ENOENT/EACCES/EAGAIN/EMFILE/ENFILE surface here too.
    const code = (err as NodeJS.ErrnoException).code ?? 'EINVAL';
    return fail(code, `cannot run ${argv0}: ${(err as Error).message}`);
  }
  return watch(child, options, startedAt);
}

/** Runs `command` to the end. Never rejects. */
export function runCommand(command: ExecCommand, options: ExecOptions): Promise<ExecOutcome> {
  return startCommand(command, options).done;
}

function watch(child: ChildProcess, options: ExecOptions, startedAt: number): RunningCommand {
  const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const stdout = new BoundedText(limit);
  const stderr = new BoundedText(limit);
  child.stdout?.on('data', (chunk: Buffer) => stdout.add(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.add(chunk));
  let stopped: string | undefined;
  let settle: (outcome: ExecOutcome) => void = () => {};
  const done = new Promise<ExecOutcome>((resolve) => (settle = resolve));
  const killGroup = (): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  const kill = (reason: string): void => {
    if (stopped !== undefined) return;
    stopped = reason;
    killGroup();
  };
  const timer = setTimeout(kill, options.timeoutMs, 'timeout');
  let finished = false;
  const finish = (outcome: Omit<ExecOutcome, 'durationMs' | 'stdout'>): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    killGroup();
    if (options.output.mode === 'log') {
      const context = { ...options.context, argv: child.spawnargs };
      for (const [stream, text] of [['stdout', stdout], ['stderr', stderr]] as const) {
        if (text.bytes > 0) options.output.log.info({ ...context, stream, output: text.text(), bytes: text.bytes }, `${stream} of ${child.spawnfile}`);
      }
    }
    settle({ ...outcome, stdout: options.output.mode === 'capture' ? stdout.text() : '', durationMs: performance.now() - startedAt });
  };
  // EMFILE and friends arrive here, asynchronously, with no process started.
  child.once('error', (err: NodeJS.ErrnoException) => {
    finish({ ok: false, detail: `cannot run ${child.spawnfile}: ${err.message}`, code: null, signal: null, error: err.code ?? 'EIO' });
  });
  // Children the command left behind would hold the pipes open and delay 'close'.
  child.once('exit', killGroup);
  child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
    const base = { code, signal, ...(stopped !== undefined ? { stopped } : {}) };
    if (stopped === 'timeout') return finish({ ...base, ok: false, detail: 'timeout' });
    if (stopped !== undefined) return finish({ ...base, ok: false, detail: `killed: ${stopped}` });
    finish({ ...base, ok: code === 0, detail: code !== null ? `exit ${code}` : `killed by ${String(signal)}` });
  });
  return { done, kill };
}

/** The first `limit` bytes of a stream, and how many there were in all. */
class BoundedText {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  bytes = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.kept >= this.limit) return;
    const part = chunk.subarray(0, this.limit - this.kept);
    this.chunks.push(part);
    this.kept += part.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
