#!/usr/bin/env node
// Builds lvsd_VERSION_amd64.deb with dpkg-deb from the built tree (npm run build first; `npm run
// package` does both). Only Debian's dpkg-deb and node are used: no debhelper, no fpm.
//
//   node packaging/build-deb.mjs [--out DIR] [--compress xz|gzip|none]
//
// Layout: /usr/lib/lvsd (dist/, production node_modules, the compiled addon, package.json),
// /usr/bin/lvsd (a two-line wrapper), the systemd unit, /etc/lvsd/lvsd.yaml and /etc/default/lvsd
// as conffiles, lvsd(8) and lvsd.yaml(5) rendered from the CLI's help and the schema, bash and
// zsh completion rendered from the CLI's help. Prints the path of the .deb.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { commandTree } from './cli-help.mjs';
import { bashCompletion, zshCompletion } from './completion.mjs';
import { configManPage, lvsdManPage } from './man.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values: args } = parseArgs({ options: { out: { type: 'string', default: root }, compress: { type: 'string', default: 'xz' } } });

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const cli = join(root, 'dist', 'cli', 'main.js');
const addon = join(root, 'build', 'Release', 'lvsd_native.node');
for (const f of [cli, addon]) if (!existsSync(f)) throw new Error(`${relative(root, f)} is missing: run npm run build first`);

/**
 * The changelog's date (and the man pages' and the archive's): SOURCE_DATE_EPOCH, else the last
 * commit's, else package.json's mtime (a tree without git, e.g. inside the lab VM), so a rebuild
 * of the same tree gives the same dates.
 */
function sourceDate() {
  if (process.env.SOURCE_DATE_EPOCH) return new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000);
  try {
    return new Date(Number(execFileSync('git', ['-C', root, 'log', '-1', '--format=%ct'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()) * 1000);
  } catch {
    return new Date(Math.floor(statSync(join(root, 'package.json')).mtimeMs / 1000) * 1000);
  }
}
const date = sourceDate();

const stage = mkdtempSync(join(tmpdir(), 'lvsd-deb-'));
const at = (p) => join(stage, p);
const write = (p, text, mode = 0o644) => {
  mkdirSync(dirname(at(p)), { recursive: true });
  writeFileSync(at(p), text);
  chmodSync(at(p), mode);
};
const gz = (p, text) => write(p, gzipSync(Buffer.from(text), { level: 9 }));

/**
 * What npm packages carry for their developers and lvsd never loads: docs (pino's index.html
 * pulls scripts from CDNs), tests, benchmarks, type declarations, lint and VCS files.
 */
const DEV_DIRS = new Set(['test', 'tests', '__tests__', 'benchmarks', 'bench', 'docs', 'doc', 'example', 'examples', '.github', '.husky', '@types', 'fixture', 'fixtures']);
const DEV_FILE = /^(?:.*\.md|.*\.d\.ts|.*\.d\.mts|.*\.d\.cts|.*\.map|index\.html|example\.html|.*\.png|\.npmignore|\.eslintrc.*|eslint\.config\..*|\.gitattributes|\.gitignore|\.editorconfig|\.taprc|\.prettierrc.*|tsconfig.*\.json|\.nycrc.*|\.travis\.yml)$/i;
function pruneModules(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (DEV_DIRS.has(e.name)) rmSync(p, { recursive: true });
      else pruneModules(p);
    } else if (DEV_FILE.test(e.name)) rmSync(p);
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

try {
  // The program: built JavaScript, the addon where src/kernel/native.ts looks for it, package.json (version, "type": "module").
  const lib = 'usr/lib/lvsd';
  cpSync(join(root, 'dist'), at(`${lib}/dist`), { recursive: true });
  mkdirSync(at(`${lib}/build/Release`), { recursive: true });
  copyFileSync(addon, at(`${lib}/build/Release/lvsd_native.node`));
  write(`${lib}/package.json`, `${JSON.stringify({ name: pkg.name, version: pkg.version, type: pkg.type, license: pkg.license }, null, 2)}\n`);

  // Production dependencies, as npm resolved them for this tree (npm ls --omit=dev). node-addon-api
  // is only headers for compiling the addon, which is already compiled; prebuilt netlink addons
  // for other architectures are left out.
  const prod = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .map((p) => relative(root, p))
    .filter((p) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(p) && p !== 'node_modules/node-addon-api');
  for (const p of prod) cpSync(join(root, p), at(`${lib}/${p}`), { recursive: true, dereference: true });
  const prebuilds = at(`${lib}/node_modules/netlink/prebuilds`);
  if (existsSync(prebuilds)) for (const d of readdirSync(prebuilds)) if (d !== 'linux-x64') rmSync(join(prebuilds, d), { recursive: true });
  pruneModules(at(`${lib}/node_modules`));
  // Debug symbols are not shipped (lintian: unstripped-binary-or-object); strip is binutils, which node-gyp needed anyway.
  for (const so of [at(`${lib}/build/Release/lvsd_native.node`), ...(existsSync(prebuilds) ? [join(prebuilds, 'linux-x64', 'node.napi.node')] : [])]) {
    if (existsSync(so)) execFileSync('strip', ['--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', so]);
  }

  // `lvsd run` gets the daemon's V8 flags (DAEMON_NODE_FLAGS in src/daemon/vrrp-thread.ts).
  write('usr/bin/lvsd', '#!/bin/sh\n[ "$1" = run ] && exec /usr/bin/node --single-threaded-gc /usr/lib/lvsd/dist/cli/main.js "$@"\nexec /usr/bin/node /usr/lib/lvsd/dist/cli/main.js "$@"\n', 0o755);

  const unit = readFileSync(join(root, 'examples', 'lvsd.service'), 'utf8')
    .replace(/^# systemd unit for lvsd\. Install as .*\n#.*\n/m, '# systemd unit for lvsd, installed by the Debian package. Start it with:\n#   systemctl enable --now lvsd\n')
    .replace(/^Documentation=.*$/m, 'Documentation=man:lvsd(8) man:lvsd.yaml(5)');
  write('usr/lib/systemd/system/lvsd.service', unit);

  write('etc/lvsd/lvsd.yaml', readFileSync(join(here, 'debian', 'lvsd.yaml')));
  write('etc/default/lvsd', readFileSync(join(here, 'debian', 'default')));

  const tree = await commandTree(cli);
  const { configReferenceMarkdown } = await import(join(root, 'dist', 'config', 'reference.js'));
  const meta = { date: date.toISOString().slice(0, 10), version: pkg.version };
  gz('usr/share/man/man8/lvsd.8.gz', lvsdManPage(tree, meta));
  gz('usr/share/man/man5/lvsd.yaml.5.gz', configManPage(configReferenceMarkdown(), meta));
  write('usr/share/bash-completion/completions/lvsd', bashCompletion(tree));
  write('usr/share/zsh/vendor-completions/_lvsd', zshCompletion(tree));

  write('usr/share/doc/lvsd/copyright', readFileSync(join(here, 'debian', 'copyright')));
  const rfc2822 = date.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1, $2 $3 $4 $5 +0000');
  gz('usr/share/doc/lvsd/changelog.gz', `lvsd (${pkg.version}) unstable; urgency=medium\n\n  * Built from the lvsd source tree (see its git log).\n\n -- lvsd maintainers <lvsd@example.org>  ${rfc2822}\n`);
  write('usr/share/lintian/overrides/lvsd', readFileSync(join(here, 'debian', 'lintian-overrides')));

  // Control files.
  for (const s of ['postinst', 'prerm', 'postrm']) write(`DEBIAN/${s}`, readFileSync(join(here, 'debian', s)), 0o755);
  const md5sums = [];
  const sum = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) sum(p);
      else if (e.isFile()) md5sums.push(`${createHash('md5').update(readFileSync(p)).digest('hex')}  ${relative(stage, p)}`);
    }
  };
  for (const top of readdirSync(stage).filter((d) => d !== 'DEBIAN' && d !== 'etc')) sum(at(top));
  write('DEBIAN/md5sums', `${md5sums.join('\n')}\n`);
  write('DEBIAN/conffiles', '/etc/default/lvsd\n/etc/lvsd/lvsd.yaml\n');
  const installedKiB = Math.ceil(execFileSync('du', ['-sk', '--exclude=DEBIAN', stage], { encoding: 'utf8' }).split('\t')[0]);
  write(
    'DEBIAN/control',
    [
      'Package: lvsd',
      `Version: ${pkg.version}`,
      'Architecture: amd64',
      'Maintainer: lvsd maintainers <lvsd@example.org>',
      `Installed-Size: ${installedKiB}`,
      // nodejs >= 20: package.json's engines. Debian 12 ships 18 (too old: NodeSource's nodejs
      // satisfies this there); Debian 13 ships 20. The addon links libc, libstdc++ and libgcc.
      'Depends: nodejs (>= 20), libc6 (>= 2.34), libstdc++6, libgcc-s1',
      'Recommends: ipvsadm',
      'Section: net',
      'Priority: optional',
      'Homepage: https://example.org/lvsd',
      `Description: ${pkg.description.split(':')[0]}`,
      ' lvsd programs kernel IPVS over generic netlink, health-checks real servers',
      ' and floats virtual addresses with its own VRRP v2/v3, all from one YAML file',
      ' (/etc/lvsd/lvsd.yaml). It is started by systemd (lvsd.service) and driven with',
      ' the lvsd command: check, status, reload, drain, failover.',
      '',
    ].join('\n'),
  );

  // Directories 755; a file is 755 when it is a script (#!), else 644 (npm tarballs mark .js,
  // LICENSE and .node files executable at random). Ownership is set in the archive
  // (--root-owner-group), so the build needs neither root nor fakeroot.
  const executable = (p) => readFileSync(p).subarray(0, 2).toString() === '#!';
  const fixModes = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        chmodSync(p, 0o755);
        fixModes(p);
      } else if (e.isFile()) chmodSync(p, executable(p) ? 0o755 : 0o644);
    }
  };
  fixModes(stage);
  chmodSync(stage, 0o755);

  mkdirSync(args.out, { recursive: true });
  const deb = join(resolve(args.out), `lvsd_${pkg.version}_amd64.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', `-Z${args.compress}`, '--build', stage, deb], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SOURCE_DATE_EPOCH: String(Math.floor(date.getTime() / 1000)) } });
  console.log(deb);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
