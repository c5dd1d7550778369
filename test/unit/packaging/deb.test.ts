// The Debian package (packaging/build-deb.mjs, `npm run package`): built once into a scratch
// directory, then its control data, its file list and its contents are checked, the shipped
// configuration is checked with the packaged CLI, and lintian must report no error or warning.
// Installing it and starting the daemon is test/kernel/package.test.ts (inside the lab VM).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../support/needs.js';

const root = resolve(import.meta.dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

describeWith(['dpkg-deb', 'lintian'], 'Debian package', () => {
  let dir = '';
  let deb = '';
  let tree = '';
  const field = (name: string): string => execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).trim();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lvsd-deb-test-'));
    // gzip: the test checks contents, and xz is most of the build time (lintian rejects no compression).
    deb = execFileSync(process.execPath, [join(root, 'packaging', 'build-deb.mjs'), '--out', dir, '--compress', 'gzip'], { encoding: 'utf8' }).trim();
    tree = join(dir, 'root');
    execFileSync('dpkg-deb', ['-x', deb, tree]);
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is named lvsd_VERSION_amd64.deb and depends on node >= 20 (package.json engines)', () => {
    expect(deb).toBe(join(dir, `lvsd_${pkg.version}_amd64.deb`));
    expect(field('Package')).toBe('lvsd');
    expect(field('Version')).toBe(pkg.version);
    expect(field('Architecture')).toBe('amd64');
    expect(field('Depends')).toMatch(/^nodejs \(>= 20\)/);
  });

  it('ships the program, the unit, the config as a conffile, man pages and completions', () => {
    const files = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' });
    for (const p of [
      './usr/bin/lvsd',
      './usr/lib/lvsd/dist/cli/main.js',
      './usr/lib/lvsd/build/Release/lvsd_native.node',
      './usr/lib/lvsd/node_modules/commander/package.json',
      './usr/lib/lvsd/node_modules/netlink/prebuilds/linux-x64/node.napi.node',
      './usr/lib/systemd/system/lvsd.service',
      './etc/lvsd/lvsd.yaml',
      './usr/share/man/man8/lvsd.8.gz',
      './usr/share/man/man5/lvsd.yaml.5.gz',
      './usr/share/bash-completion/completions/lvsd',
      './usr/share/zsh/vendor-completions/_lvsd',
      './usr/share/doc/lvsd/copyright',
    ]) {
      expect(files).toContain(` ${p}\n`);
    }
    // Development-only dependencies stay out.
    for (const dev of ['vitest', 'typescript', 'node-addon-api', '@types']) expect(files).not.toContain(`/node_modules/${dev}/`);
    const control = join(dir, 'control');
    execFileSync('dpkg-deb', ['-e', deb, control]);
    expect(readFileSync(join(control, 'conffiles'), 'utf8').split('\n')).toContain('/etc/lvsd/lvsd.yaml');
    expect(readFileSync(join(tree, 'usr/lib/systemd/system/lvsd.service'), 'utf8')).toMatch(/^ExecStart=\/usr\/bin\/lvsd run -c \/etc\/lvsd\/lvsd\.yaml$/m);
  });

  it('the shipped configuration is accepted by the packaged lvsd check', () => {
    const r = spawnSync(process.execPath, [join(tree, 'usr/lib/lvsd/dist/cli/main.js'), 'check', '-c', join(tree, 'etc/lvsd/lvsd.yaml')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('lvsd(8) covers every command and option of the CLI, lvsd.yaml(5) every key of the schema', () => {
    const man8 = gunzipSync(readFileSync(join(tree, 'usr/share/man/man8/lvsd.8.gz'))).toString();
    const help = execFileSync(process.execPath, [join(root, 'dist/cli/main.js'), '--help'], { encoding: 'utf8' });
    const commands = [...help.split('Commands:')[1]!.matchAll(/^ {2}(\w[\w-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThan(8);
    // roff escapes a hyphen: bgp-config is ".SS lvsd bgp\-config".
    for (const c of commands) expect(man8).toContain(`.SS lvsd ${c.replaceAll('-', '\\-')}`);
    expect(man8).toContain('\\-\\-config <file>');
    const man5 = gunzipSync(readFileSync(join(tree, 'usr/share/man/man5/lvsd.yaml.5.gz'))).toString();
    const schema = JSON.parse(execFileSync(process.execPath, [join(root, 'dist/cli/main.js'), 'schema'], { encoding: 'utf8' })) as { properties: Record<string, unknown> };
    for (const key of Object.keys(schema.properties)) expect(man5).toMatch(new RegExp(`^\\.B ${key}(\\[\\])?$`, 'm'));
  });

  it('the bash completion parses and offers the commands', () => {
    const script = join(tree, 'usr/share/bash-completion/completions/lvsd');
    const out = execFileSync('bash', ['-c', `source '${script}'; COMP_WORDS=(lvsd re); COMP_CWORD=1; _lvsd; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
    expect(out.split('\n').filter(Boolean).sort()).toEqual(['realserver', 'reload', 'remove-server']);
  });

  it('lintian reports no error and no warning (overrides are justified in packaging/debian/lintian-overrides)', () => {
    const r = spawnSync('lintian', ['--fail-on', 'error,warning', deb], { encoding: 'utf8' });
    expect(r.stdout.split('\n').filter((l) => /^[EW]:/.test(l))).toEqual([]);
    expect(r.status).toBe(0);
  }, 120_000);
});
