// The exec checker runs local processes only (no network), so it is a unit test.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execChecker, parseWeight } from '../../../src/health/checkers/exec.js';
import type { ExecCheck, ProbeTarget } from '../../../src/health/types.js';
import { alive } from '../../support/process-alive.js';

const target: ProbeTarget = { service: 'web', address: '198.18.1.10', port: 80 };
const spec = (command: string[], timeout = 2000): ExecCheck => ({ type: 'exec', command, interval: 1000, timeout, rise: 1, fall: 1, warmup: 0, port: 8080 });
const never = new AbortController().signal;
const dir = mkdtempSync(join(tmpdir(), 'lvsd-health-exec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exec checker', () => {
  it('exit 0 is up, and the environment names the real server', async () => {
    const out = join(dir, 'env');
    const r = await execChecker(target, spec(['/bin/sh', '-c', `env | grep ^LVSD_ | sort > ${out}`]), never);
    expect(r).toMatchObject({ ok: true, reason: 'exit 0' });
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual([
      'LVSD_ADDRESS=198.18.1.10',
      'LVSD_CHECK_PORT=8080',
      'LVSD_PORT=80',
      'LVSD_SERVICE=web',
    ]);
  });

  it('a non-zero exit is down with the exit code as reason', async () => {
    expect(await execChecker(target, spec(['/bin/sh', '-c', 'exit 3']), never)).toMatchObject({ ok: false, reason: 'exit 3' });
  });

  it('runs argv without a shell', async () => {
    const r = await execChecker(target, spec(['/bin/echo', 'weight=7; exit 1']), never);
    expect(r).toMatchObject({ ok: true, reason: 'exit 0' });
    expect(r.weight).toBeUndefined();
  });

  it('a missing program is down with a readable reason', async () => {
    expect(await execChecker(target, spec(['/nonexistent/lvsd-check']), never)).toMatchObject({ ok: false, reason: 'command not found' });
  });

  it('a command that cannot be spawned (E2BIG, a NUL byte) is a failed probe, never a rejection', async () => {
    expect(await execChecker(target, spec(['/bin/true', 'x'.repeat(200_000)]), never)).toMatchObject({ ok: false, reason: 'e2big' });
    expect(await execChecker(target, spec(['/bin/true', 'a\0b']), never)).toMatchObject({ ok: false, reason: 'err_invalid_arg_value' });
  });

  it('weight=N on stdout sets a dynamic weight', async () => {
    const r = await execChecker(target, spec(['/bin/sh', '-c', 'echo starting; echo weight=42']), never);
    expect(r).toMatchObject({ ok: true, weight: 42 });
  });

  it('kills a hung command and its whole process group at the timeout', async () => {
    const pidFile = join(dir, 'pids');
    const started = performance.now();
    const r = await execChecker(target, spec(['/bin/sh', '-c', `sleep 30 & echo $! > ${pidFile}; sleep 30`], 300), never);
    const elapsed = performance.now() - started;
    expect(r).toMatchObject({ ok: false, reason: 'killed at timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1000);
    const orphan = Number(readFileSync(pidFile, 'utf8').trim());
    await new Promise((res) => setTimeout(res, 50));
    expect(alive(orphan)).toBe(false);
  });

  it('stops on the caller’s abort signal', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(new Error('removed')), 100);
    const r = await execChecker(target, spec(['/bin/sleep', '30'], 5000), ctl.signal);
    expect(r).toMatchObject({ ok: false, reason: 'aborted' });
    expect(r.durationMs).toBeLessThan(1000);
  });

  it('parseWeight takes the last weight line and clamps to 65535', () => {
    expect(parseWeight('weight=1\nweight=99999\n')).toBe(65535);
    expect(parseWeight('weight=5\nnoise\n')).toBe(5);
    expect(parseWeight('myweight=5\nweight=x\n')).toBeUndefined();
  });
});
