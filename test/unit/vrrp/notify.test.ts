// Notify hooks: the commands a transition calls for (pure, notify.ts) and the runner that runs
// them in order through src/exec (notify-spawn.ts). The end-to-end ordering through the VRRP
// manager is in test/unit/daemon/vrrp-manager.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecLog } from '../../../src/exec/run.js';
import { instanceNotifyEvent, notifyCommands, notifyState, type NotifyEvent } from '../../../src/vrrp/notify.js';
import { NotifyRunner } from '../../../src/vrrp/notify-spawn.js';

const dir = mkdtempSync(join(tmpdir(), 'lvsd-notify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = (state: NotifyEvent['state'], previous: NotifyEvent['previous']): NotifyEvent => ({
  kind: 'instance', name: 'vi1', state, previous, reason: 'master-down', vrid: 10, interface: 'eth0', priority: 100,
});

function logSink(): ExecLog & { warnings: string[]; infos: Array<Record<string, unknown>> } {
  const warnings: string[] = [];
  const infos: Array<Record<string, unknown>> = [];
  return { warnings, infos, info: (obj) => infos.push(obj as Record<string, unknown>), warn: (_obj, msg) => warnings.push(msg) };
}

describe('notify commands', () => {
  const hooks = { master: ['/usr/local/bin/on-master', 'lb'], any: ['/usr/local/bin/log-state'] };

  it('state-specific first, then `any` with the name and the new state appended; the facts in the environment', () => {
    const cmds = notifyCommands(hooks, event('master', 'backup'));
    expect(cmds.map((c) => c.argv)).toEqual([['/usr/local/bin/on-master', 'lb'], ['/usr/local/bin/log-state', 'vi1', 'master']]);
    expect(cmds[0]?.env).toEqual({
      LVSD_VRRP_KIND: 'instance',
      LVSD_VRRP_NAME: 'vi1',
      LVSD_VRRP_STATE: 'master',
      LVSD_VRRP_PREVIOUS_STATE: 'backup',
      LVSD_VRRP_REASON: 'master-down',
      LVSD_VRRP_VRID: '10',
      LVSD_VRRP_INTERFACE: 'eth0',
      LVSD_VRRP_PRIORITY: '100',
    });
  });

  it('runs only `any` for states without a hook, nothing without hooks', () => {
    const group: NotifyEvent = { kind: 'group', name: 'g', state: 'fault', previous: 'master', reason: 'fault' };
    expect(notifyCommands(hooks, group).map((c) => c.argv)).toEqual([['/usr/local/bin/log-state', 'g', 'fault']]);
    expect(notifyCommands(undefined, group)).toEqual([]);
  });

  it('describes an instance transition, and calls a shut-down instance "stop"', () => {
    expect(instanceNotifyEvent({ name: 'vi1', vrid: 10, interface: 'eth0' }, { from: 'master', to: 'initialize', reason: 'shutdown' }, 100)).toEqual({
      kind: 'instance', name: 'vi1', state: 'stop', previous: 'master', reason: 'shutdown', vrid: 10, interface: 'eth0', priority: 100,
    });
    expect(notifyState('initialize')).toBe('stop');
    expect(notifyState('master')).toBe('master');
  });

  it('the example hook reads the variables the code sets', () => {
    const hook = readFileSync(join(import.meta.dirname, '../../../examples/notify/log-transition.sh'), 'utf8');
    const used = new Set([...hook.matchAll(/\$\{?(LVSD_[A-Z_]+)/g)].map((m) => m[1]));
    const set = new Set(Object.keys(notifyCommands({ any: ['x'] }, event('master', 'backup'))[0]?.env ?? {}));
    expect([...used].filter((v) => !set.has(v as string))).toEqual([]);
    expect(used.size).toBeGreaterThan(3);
  });
});

describe('NotifyRunner', () => {
  it('runs without a shell, passes the environment and logs the output', async () => {
    const out = join(dir, 'env');
    const log = logSink();
    const runner = new NotifyRunner(log, { timeoutMs: 5000, concurrency: 4, maxWaiting: 8 });
    const script = `require('fs').writeFileSync(${JSON.stringify(out)}, process.env.LVSD_VRRP_STATE + ' ' + process.argv.slice(1).join(' ')); console.log('said hello')`;
    runner.notify({ any: [process.execPath, '-e', script, '; echo injected'] }, event('master', 'backup'));
    await runner.drain(5000);
    expect(readFileSync(out, 'utf8')).toBe('master ; echo injected vi1 master');
    expect(log.warnings).toEqual([]);
    expect(log.infos).toEqual([expect.objectContaining({ hook: 'instance vi1', stream: 'stdout', output: 'said hello\n' })]);
  });

  it('logs and counts a failing hook', async () => {
    const log = logSink();
    const runner = new NotifyRunner(log, { timeoutMs: 5000, concurrency: 4, maxWaiting: 8 });
    runner.notify({ fault: ['/bin/false'], master: ['/nonexistent/hook'] }, event('fault', 'master'));
    runner.notify({ fault: ['/bin/false'], master: ['/nonexistent/hook'] }, event('master', 'fault'));
    await runner.drain(5000);
    expect(log.warnings).toEqual(['notify hook failed: exit 1', 'notify hook failed: /nonexistent/hook: no such file']);
    expect(runner.stats()).toMatchObject({ finished: 2, failed: 2 });
  });

  it('a hook that outlives its timeout is killed, and the next one of the instance runs', async () => {
    const file = join(dir, 'after-timeout');
    const log = logSink();
    const runner = new NotifyRunner(log, { timeoutMs: 200, concurrency: 4, maxWaiting: 8 });
    runner.notify({ master: ['/bin/sleep', '30'] }, event('master', 'backup'));
    runner.notify({ backup: ['/bin/sh', '-c', `echo "$LVSD_VRRP_STATE" > ${file}`] }, event('backup', 'master'));
    await runner.drain(5000);
    expect(log.warnings).toEqual(['notify hook failed: timeout']);
    expect(readFileSync(file, 'utf8')).toBe('backup\n');
  });
});
