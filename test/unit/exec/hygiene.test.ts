// Executable hygiene (src/exec/hygiene.ts, issue 10 §5): lvsd refuses to run a hook, track
// script or exec check that a non-root user could replace, like keepalived's
// enable_script_security, and each consumer turns the refusal into a failed run.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkExecutable } from '../../../src/exec/hygiene.js';
import { runCommand } from '../../../src/exec/run.js';
import { execChecker } from '../../../src/health/checkers/exec.js';
import { runScript } from '../../../src/vrrp/track-script.js';
import { describeWith } from '../../support/needs.js';

// mkdtemp makes a 0700 directory owned by us inside the sticky /tmp: a safe place to start from.
const base = mkdtempSync(join(tmpdir(), 'lvsd-hygiene-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

/** A fresh directory (mode `dirMode`) holding an executable script (mode `fileMode`). */
function script(dirMode = 0o755, fileMode = 0o755): string {
  const dir = join(base, `d${n++}`);
  mkdirSync(dir);
  chmodSync(dir, dirMode);
  const file = join(dir, 'hook.sh');
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, fileMode);
  return file;
}

describe('checkExecutable', () => {
  it('accepts system binaries, bare names on PATH and a script in a private directory', () => {
    expect(checkExecutable('/bin/sh')).toMatchObject({ ok: true });
    expect(checkExecutable('true')).toMatchObject({ ok: true });
    expect(checkExecutable(process.execPath)).toMatchObject({ ok: true });
    const file = script();
    expect(checkExecutable(file)).toEqual({ ok: true, file });
  });

  it('accepts a root-owned script in a sticky world-writable directory (/tmp style)', () => {
    expect(checkExecutable(script(0o1777))).toMatchObject({ ok: true });
  });

  it('refuses a file any user can write', () => {
    const file = script(0o755, 0o757);
    expect(checkExecutable(file)).toEqual({ ok: false, code: 'EUNSAFE', reason: `refusing to run ${file}: ${file} is writable by any user` });
  });

  it('refuses a file in a directory any user can write (they could replace it)', () => {
    const file = script(0o777);
    const dir = file.slice(0, file.lastIndexOf('/'));
    expect(checkExecutable(file)).toEqual({ ok: false, code: 'EUNSAFE', reason: `refusing to run ${file}: ${dir} is a directory writable by any user` });
  });

  it('refuses a symlink that leads into an unsafe directory', () => {
    const target = script(0o777);
    const link = join(base, `link${n++}`);
    symlinkSync(target, link);
    expect(checkExecutable(link)).toMatchObject({ ok: false, code: 'EUNSAFE' });
  });

  it('refuses what is not a regular file', () => {
    expect(checkExecutable(base)).toMatchObject({ ok: false, code: 'EUNSAFE', reason: expect.stringContaining('is not a regular file') });
  });
});

describeWith(['root'], 'checkExecutable: ownership', () => {
  it('refuses a file owned by another user, or writable by a group other than root', () => {
    const owned = script();
    chownSync(owned, 65534, 0);
    expect(checkExecutable(owned)).toMatchObject({ ok: false, reason: `refusing to run ${owned}: ${owned} is owned by uid 65534` });
    const grouped = script(0o755, 0o775);
    chownSync(grouped, 0, 65534);
    expect(checkExecutable(grouped)).toMatchObject({ ok: false, reason: `refusing to run ${grouped}: ${grouped} is writable by group 65534` });
  });

  it('refuses a file in a directory another user owns', () => {
    const file = script();
    const dir = file.slice(0, file.lastIndexOf('/'));
    chownSync(dir, 65534, 65534);
    expect(checkExecutable(file)).toMatchObject({ ok: false, reason: `refusing to run ${file}: ${dir} is owned by uid 65534` });
  });
});

describe('every consumer refuses an unsafe file and reports a failed run', () => {
  it('the runner, a track script and an exec check', async () => {
    const file = script(0o777);
    expect(await runCommand({ argv: [file] }, { timeoutMs: 5000, output: { mode: 'ignore' } })).toMatchObject({ ok: false, error: 'EUNSAFE' });
    expect(await runScript([file], 5000)).toEqual({ success: false, detail: expect.stringMatching(/^refusing to run .* is a directory writable by any user$/) });
    const target = { service: 'web', address: '198.18.1.10', port: 80 };
    const r = await execChecker(target, { type: 'exec', command: [file], interval: 1000, timeout: 2000, rise: 1, fall: 1, warmup: 0 }, new AbortController().signal);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/^refusing to run /) });
  });
});
