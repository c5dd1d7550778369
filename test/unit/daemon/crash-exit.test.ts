// lvsd run's crash handlers (daemon/crash-exit.ts) in a child process, from dist/: an uncaught
// exception or an unhandled rejection is logged, what holds VIPs is released first, and the
// process exits 1. (The netns crash tests show the same with real VIPs and adverts.)
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = (file: string): string => pathToFileURL(resolve(import.meta.dirname, '..', '..', '..', 'dist', 'daemon', file)).href;

function crash(how: string): { status: number | null; stdout: string; stderr: string } {
  const script = `
    import { exitOnCrash, releaseOnCrash } from '${dist('crash-exit.js')}';
    import { createLogger } from '${dist('log.js')}';
    exitOnCrash(createLogger({ level: 'info', pretty: false }));
    releaseOnCrash(() => new Promise((done) => setTimeout(() => { process.stdout.write('released\\n'); done(); }, 50)));
    const forgotten = releaseOnCrash(async () => { process.stdout.write('forgotten one ran\\n'); });
    forgotten();
    setInterval(() => {}, 1000);
    setTimeout(() => { ${how} }, 10);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('exitOnCrash', () => {
  it('an uncaught exception: logged, released, exit 1', () => {
    const r = crash("throw new Error('boom');");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('released\n');
    expect(r.stderr).toMatch(/"level":60,.*"message":"boom".*"msg":"uncaught exception: releasing the VIPs and exiting"/);
  });

  it('an unhandled rejection: logged, released, exit 1', () => {
    const r = crash("void Promise.reject(new Error('lost'));");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('released\n');
    expect(r.stderr).toMatch(/"message":"lost".*"msg":"unhandled rejection: releasing the VIPs and exiting"/);
  });
});
