// Quorum hooks (keepalived's quorum_up / quorum_down): the daemon runs a service's hook when it
// gains or loses quorum, one at a time in the order of the changes, with the service, the new
// state, the healthy weight and the quorum in the environment; a failing hook is logged.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonIn } from '../../support/daemon-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Polls `done` every 50 ms, at most 200 times. */
async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!done()) throw new Error(`gave up waiting for ${what}`);
}

describe('quorum hooks', () => {
  it('run quorum_up when the service gains quorum and quorum_down when it loses it, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-quorum-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const healthy = join(dir, 'healthy');
    const out = join(dir, 'hooks.log');
    writeFileSync(healthy, '');
    // The exec check passes while the file exists: the test flips the farm without any network.
    const check = `{ type: exec, interval: 100ms, timeout: 90ms, rise: 1, fall: 1, command: [/bin/sh, -c, 'test -e ${healthy}'] }`;
    const hook = `[/bin/sh, -c, 'echo "$LVSD_QUORUM $LVSD_SERVICE $LVSD_HEALTHY_WEIGHT/$LVSD_QUORUM_NEEDED" >> ${out}']`;
    const { daemon } = await daemonIn(dir,
      `  - { name: web, vip: 198.18.0.100, port: 80, quorum: 2, check: ${check}, quorum_up: ${hook}, quorum_down: ${hook},\n` +
      `      real_servers: [{ address: 198.18.1.11, weight: 1 }, { address: 198.18.1.12, weight: 1 }] }\n`);
    cleanups.push(() => daemon.stop());
    const lines = (): string[] => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : []);

    await until('quorum_up', () => lines().length >= 1);
    expect(lines()).toEqual(['up web 2/2']);
    rmSync(healthy);
    await until('quorum_down', () => lines().length >= 2);
    writeFileSync(healthy, '');
    await until('quorum_up again', () => lines().length >= 3);
    // Quorum is lost at the first of the two failures, so the weight left then is 1 or 0.
    expect(lines()).toEqual(['up web 2/2', expect.stringMatching(/^down web [01]\/2$/), 'up web 2/2']);
  });

  it('a hook that fails is logged, and the service carries on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsd-quorum-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const check = `{ type: exec, interval: 100ms, timeout: 90ms, rise: 1, fall: 1, command: [/bin/true] }`;
    const { daemon, kernel, lines } = await daemonIn(dir, `  - { name: web, vip: 198.18.0.100, port: 80, check: ${check}, quorum_up: [/bin/false], real_servers: [{ address: 198.18.1.11 }] }\n`);
    cleanups.push(() => daemon.stop());
    await until('the failed hook in the log', () => lines.some((l) => l.includes('quorum hook failed')));
    expect(kernel.summary()).toEqual(['tcp/198.18.0.100/80 wlc 198.18.1.11:80w1']);
  });
});
