// The shared child-process runner (src/exec/run.ts) with real processes: argv without a shell,
// the whole process group killed at the timeout, bounded output to the log, and every way a
// spawn can fail ending as a failed outcome instead of an exception.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand, startCommand, type ExecLog } from '../../../src/exec/run.js';
import { scheduleThisThread } from '../../../src/kernel/thread-scheduling.js';
import { describeWith } from '../../support/needs.js';
import { alive } from '../../support/process-alive.js';

const dir = mkdtempSync(join(tmpdir(), 'lvsd-exec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function logSink(): ExecLog & { lines: Array<{ obj: Record<string, unknown>; msg: string }> } {
  const lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }),
    warn: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }),
  };
}

const ignore = { mode: 'ignore' } as const;

describe('runCommand', () => {
  it('runs argv without a shell and reports the exit status', async () => {
    expect(await runCommand({ argv: ['/bin/echo', '$(reboot)', ';'] }, { timeoutMs: 5000, output: { mode: 'capture' } })).toMatchObject({
      ok: true,
      detail: 'exit 0',
      stdout: '$(reboot) ;\n',
    });
    expect(await runCommand({ argv: ['/bin/sh', '-c', 'exit 3'] }, { timeoutMs: 5000, output: ignore })).toMatchObject({ ok: false, detail: 'exit 3', code: 3 });
  });

  it('resolves a bare name through PATH and adds the environment', async () => {
    const r = await runCommand({ argv: ['sh', '-c', 'echo "$LVSD_X"'], env: { LVSD_X: 'hello' } }, { timeoutMs: 5000, output: { mode: 'capture' } });
    expect(r).toMatchObject({ ok: true, stdout: 'hello\n' });
  });

  it('kills the whole process group at the timeout, children included', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const r = await runCommand({ argv: ['/bin/sh', '-c', `sleep 30 & echo $! > ${pidFile}; sleep 30`] }, { timeoutMs: 300, output: ignore });
    expect(r).toMatchObject({ ok: false, detail: 'timeout', stopped: 'timeout', signal: 'SIGKILL' });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((res) => setTimeout(res, 10));
    expect(alive(pid)).toBe(false);
  });

  it('kills what the command left behind when it exits', async () => {
    const pidFile = join(dir, 'orphan.pid');
    const r = await runCommand({ argv: ['/bin/sh', '-c', `sleep 30 & echo $! > ${pidFile}`] }, { timeoutMs: 5000, output: ignore });
    expect(r.ok).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((res) => setTimeout(res, 10));
    expect(alive(pid)).toBe(false);
  });

  it('kill() stops a run early and says why', async () => {
    const run = startCommand({ argv: ['/bin/sleep', '30'] }, { timeoutMs: 10_000, output: ignore });
    run.kill('aborted');
    expect(await run.done).toMatchObject({ ok: false, detail: 'killed: aborted', stopped: 'aborted' });
  });

  it('sends stdout and stderr to the log, bounded, with the byte count', async () => {
    const log = logSink();
    const r = await runCommand(
      { argv: ['/bin/sh', '-c', 'head -c 100000 /dev/zero | tr "\\0" x; echo oops >&2'] },
      { timeoutMs: 5000, output: { mode: 'log', log }, maxOutputBytes: 1000, context: { hook: 'instance web' } },
    );
    expect(r.ok).toBe(true);
    const out = log.lines.find((l) => l.obj.stream === 'stdout');
    expect(out?.obj).toMatchObject({ hook: 'instance web', bytes: 100_000 });
    expect(out?.obj.output).toBe('x'.repeat(1000));
    expect(log.lines.find((l) => l.obj.stream === 'stderr')?.obj).toMatchObject({ output: 'oops\n', bytes: 5 });
  });
});

describe('a command that cannot start is a failed run, never an exception', () => {
  const cases: Array<[string, () => string[], string]> = [
    ['missing file (ENOENT)', () => ['/nonexistent/lvsd-hook'], 'ENOENT'],
    ['bare name not on PATH (ENOENT)', () => ['lvsd-no-such-command'], 'ENOENT'],
    [
      'not executable (EACCES)',
      () => {
        const file = join(dir, 'not-executable');
        writeFileSync(file, '#!/bin/sh\n');
        chmodSync(file, 0o644);
        return [file];
      },
      'EACCES',
    ],
    // Node throws these synchronously from spawn(): execve's E2BIG (one argument above
    // MAX_ARG_STRLEN, 128 KiB) and a NUL byte it cannot pass at all.
    ['argument too long (E2BIG)', () => ['/bin/true', 'x'.repeat(200_000)], 'E2BIG'],
    ['NUL byte in an argument', () => ['/bin/true', 'a\0b'], 'ERR_INVALID_ARG_VALUE'],
    ['empty argv', () => [], 'EINVAL'],
  ];
  it.each(cases)('%s', async (_name, argv, code) => {
    let outcome: Awaited<ReturnType<typeof runCommand>> | undefined;
    expect(() => {
      void runCommand({ argv: argv() }, { timeoutMs: 5000, output: ignore }).then((o) => (outcome = o));
    }).not.toThrow();
    for (let i = 0; i < 200 && !outcome; i++) await new Promise((res) => setTimeout(res, 5));
    expect(outcome).toMatchObject({ ok: false, error: code });
  });
});

describeWith(['root'], 'runCommand from a thread with raised priority (the VRRP thread)', () => {
  it('runs the command at nice 0 (SCHED_RESET_ON_FORK, no window at nice -10)', async () => {
    const before = getPriority();
    // As the VRRP thread's fallback does: SCHED_OTHER at nice -10, reset for children.
    expect(scheduleThisThread({ policy: 'normal', nice: -10 })).toMatchObject({ ok: true });
    try {
      // Field 19 of /proc/self/stat is the nice value (the command is a one-word name).
      const r = await runCommand({ argv: ['/bin/sh', '-c', 'cut -d" " -f19 /proc/$$/stat'] }, { timeoutMs: 5000, output: { mode: 'capture' } });
      expect(r.stdout.trim()).toBe('0');
    } finally {
      setPriority(before);
    }
  });
});
