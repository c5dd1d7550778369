// The Debian package installed the way an admin installs it, inside the lab VM (Debian's kernel
// with IPVS; the host root is mounted read-only under a tmpfs overlay, so dpkg writes /usr, /etc
// and /var/lib/dpkg there and everything vanishes with the VM): `dpkg -i`, `lvsd check` on the
// shipped configuration, `/usr/bin/lvsd run` from it until it reports running and answers
// `lvsd status`, then `dpkg -r` removes everything but the configuration.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NetnsLab, run, type NetnsProcess } from '../support/netns.mjs';
import { describeWith } from '../support/needs.js';

const root = resolve(import.meta.dirname, '..', '..');
// man-db's trigger re-indexes every man page: minutes under TCG, and not what this test is about.
const DPKG = ['--no-triggers'];
const status = (): string => run('dpkg-query', ['-W', '-f=${Status}', 'lvsd'], { allowFailure: true }).stdout.trim();

describeWith(['root', 'ipvs', 'netns', 'dpkg-deb'], 'Debian package installed in the lab VM', () => {
  const lab = new NetnsLab('pkg');
  let dir = '';
  let deb = '';
  let daemon: NetnsProcess | undefined;

  beforeAll(() => {
    expect(status(), 'the VM starts without lvsd installed').not.toBe('install ok installed');
    dir = mkdtempSync(join(tmpdir(), 'lvsd-pkg-'));
    // `npm run test:kernel` builds it on the host (test/lab/run-kernel-suite.mjs); run by hand, build it here.
    deb = process.env.LVSD_LAB_DEB || run(process.execPath, [join(root, 'packaging', 'build-deb.mjs'), '--out', dir, '--compress', 'gzip'], { timeoutMs: 280_000 }).stdout.trim();
  });
  afterAll(async () => {
    await daemon?.stop(10_000);
    await lab.cleanup();
    run('dpkg', [...DPKG, '--purge', 'lvsd'], { allowFailure: true, timeoutMs: 120_000 });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('dpkg -i installs it with its dependencies met (nodejs >= 20)', () => {
    run('dpkg', [...DPKG, '-i', deb], { timeoutMs: 240_000 });
    expect(status()).toBe('install ok installed');
    for (const f of ['/usr/bin/lvsd', '/usr/lib/lvsd/dist/cli/main.js', '/usr/lib/systemd/system/lvsd.service', '/etc/lvsd/lvsd.yaml', '/usr/share/man/man8/lvsd.8.gz']) {
      expect(existsSync(f), f).toBe(true);
    }
  });

  it('lvsd check accepts the shipped /etc/lvsd/lvsd.yaml', () => {
    const r = run('/usr/bin/lvsd', ['check', '-c', '/etc/lvsd/lvsd.yaml'], { timeoutMs: 60_000, allowFailure: true });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('/usr/bin/lvsd run starts from it, answers lvsd status and stops on SIGTERM', async () => {
    const ns = lab.ns('run');
    daemon = ns.spawn('/usr/bin/lvsd', ['run', '-c', '/etc/lvsd/lvsd.yaml']);
    await daemon.waitForOutput(/lvsd running/, 120_000);
    const st = ns.execResult('/usr/bin/lvsd', ['status', '--json'], { timeoutMs: 60_000, allowFailure: true });
    expect(st.status, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ vrrp: [], services: [] });
    await daemon.stop(30_000);
    expect(await daemon.waitForExit(1_000)).toEqual({ code: 0, signal: null });
  });

  it('dpkg -r removes everything but the configuration', () => {
    run('dpkg', [...DPKG, '-r', 'lvsd'], { timeoutMs: 120_000 });
    expect(status()).toBe('deinstall ok config-files');
    for (const f of ['/usr/bin/lvsd', '/usr/lib/lvsd', '/usr/lib/systemd/system/lvsd.service', '/usr/share/man/man8/lvsd.8.gz']) expect(existsSync(f), f).toBe(false);
    expect(existsSync('/etc/lvsd/lvsd.yaml')).toBe(true);
  });
});
