// `lvsd run` on a terminal: one readable line per event. An expected condition such as "kernel
// has no IPVS" is its message on the event's line, without a stack; the stack shows at debug.
// The pretty logger writes from a worker thread to fd 2, so it runs in a child process here.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const logModule = pathToFileURL(join(resolve(import.meta.dirname, '..', '..', '..'), 'dist', 'daemon', 'log.js')).href;

function prettyLog(level: string): string[] {
  const script = `
    const { createLogger } = await import(${JSON.stringify(logModule)});
    const log = createLogger({ pretty: true, level: ${JSON.stringify(level)} });
    log.info({ socket: '/run/lvsd/lvsd.sock' }, 'control socket ready');
    log.fatal({ err: new Error('kernel has no IPVS (modprobe ip_vs?)') }, 'lvsd could not start');
    log.warn(new Error('cannot send a status to systemd'), 'sd_notify');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 15_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

describe('lvsd run logs on a terminal', () => {
  it('prints one line per event with the error message on it and no stack', () => {
    const lines = prettyLog('info');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/INFO: control socket ready \{"socket":"\/run\/lvsd\/lvsd.sock"\}$/);
    expect(lines[1]).toMatch(/FATAL: lvsd could not start: kernel has no IPVS \(modprobe ip_vs\?\)$/);
    expect(lines[2]).toMatch(/WARN: sd_notify: cannot send a status to systemd$/);
  });

  it('shows the stack at debug level', () => {
    const text = prettyLog('debug').join('\n');
    expect(text).toContain('kernel has no IPVS (modprobe ip_vs?)');
    expect(text).toMatch(/^\s+at .*\[eval/m);
  });
});
