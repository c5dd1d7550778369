// The lab VM: runs a command inside Debian's stock kernel (which has IPVS) under QEMU, with the
// host's root filesystem shared read-only and the project directory read-write.
//
// Why: the development and CI machines' kernel has no IPVS. Debian's kernel has it as modules.
// The kernel package is fetched with apt-get download and unpacked into a cache outside the repo
// (nothing is installed on the host); the host's busybox-static builds the initramfs.
//
//   node test/lab/vm.mjs [--timeout S] [--mem MB] [--env NAME ...] -- command [args...]
//   node test/lab/vm.mjs --prepare
//
// Exit status: the command's, or 125 when the VM itself failed.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, readdirSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { homedir, tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const projectRoot = join(here, '..', '..');

/** Modules loaded in the initramfs, before the root filesystem exists. */
const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];
/**
 * Modules loaded before the command. Schedulers and tunnel drivers are not listed: busybox is the
 * guest's modprobe, so the kernel loads ip_vs_<scheduler>, ipip and friends on first use.
 */
const LAB_MODULES = ['ip_vs', 'veth', 'bridge', 'nf_conntrack', 'dummy'];

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...opts }).trim();

export function cacheRoot() {
  return process.env.LVSD_LAB_CACHE ?? join(homedir(), '.cache', 'lvsd-lab');
}

/** The kernel package Debian's linux-image-amd64 currently points at, e.g. linux-image-6.1.0-56-amd64. */
function kernelPackage() {
  if (process.env.LVSD_LAB_KERNEL_PKG) return process.env.LVSD_LAB_KERNEL_PKG;
  const out = sh('apt-cache', ['depends', 'linux-image-amd64']);
  const m = /Depends: (linux-image-\d\S*)/.exec(out);
  if (!m) throw new Error('cannot resolve the kernel package (run apt-get update first)');
  return m[1];
}

function busybox() {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) {
    if (!existsSync(p)) continue;
    // The initramfs has no libc: only a static busybox works there (ldd fails on static binaries).
    try {
      execFileSync('ldd', [p], { stdio: 'ignore' });
    } catch {
      return p;
    }
  }
  throw new Error('needs busybox-static (apt-get install busybox-static)');
}

/** Offset of the first occurrence of `needle` in a file, reading it in chunks. */
function findBytes(path, needle) {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let pos = 0;
    let carry = Buffer.alloc(0);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) return -1;
      const hay = Buffer.concat([carry, chunk.subarray(0, n)]);
      const i = hay.indexOf(needle);
      if (i >= 0) return pos - carry.length + i;
      carry = hay.subarray(Math.max(0, hay.length - needle.length));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Fetches and unpacks the kernel once, and builds the initramfs. Returns the paths the VM needs.
 * The uncompressed vmlinux is booted directly (PVH) because decompressing the bzImage inside a
 * TCG guest costs seconds on every boot.
 */
export function prepare({ log = (m) => process.stderr.write(`[lab] ${m}\n`) } = {}) {
  const pkg = kernelPackage();
  const kver = pkg.replace(/^linux-image-/, '');
  const dir = join(cacheRoot(), pkg);
  const root = join(dir, 'root');
  if (!existsSync(join(dir, '.complete'))) {
    log(`fetching ${pkg} into ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'deb'), { recursive: true });
    sh('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', pkg], { cwd: join(dir, 'deb') });
    const deb = readdirSync(join(dir, 'deb')).find((f) => f.endsWith('.deb'));
    sh('dpkg-deb', ['-x', join(dir, 'deb', deb), root]);
    sh(busybox(), ['depmod', '-b', root, kver]);
    const vmlinuz = join(root, 'boot', `vmlinuz-${kver}`);
    const off = findBytes(vmlinuz, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
    if (off >= 0) {
      try {
        sh('sh', ['-c', `tail -c +${off + 1} "$1" | xz -dc > "$2" 2>/dev/null; true`, '-', vmlinuz, join(dir, 'vmlinux')]);
      } catch {
        /* xz reports trailing garbage after the stream; the ELF check below decides */
      }
    }
    const vmlinux = join(dir, 'vmlinux');
    if (existsSync(vmlinux) && readFileSync(vmlinux).subarray(0, 4).toString('latin1') !== '\x7fELF') rmSync(vmlinux);
    rmSync(join(dir, 'deb'), { recursive: true, force: true });
    writeFileSync(join(dir, '.complete'), `${pkg}\n`);
  }
  const modules = join(root, 'lib', 'modules');
  const initrd = join(dir, 'initrd.cpio');
  const init = join(here, 'guest-init.sh');
  if (!existsSync(initrd) || statSync(init).mtimeMs > statSync(initrd).mtimeMs) {
    log('building the initramfs');
    buildInitramfs({ initrd, init, modules: join(modules, kver) });
  }
  const vmlinux = join(dir, 'vmlinux');
  const kernel = existsSync(vmlinux) ? vmlinux : join(root, 'boot', `vmlinuz-${kver}`);
  return { pkg, kver, kernel, initrd, modules };
}

function buildInitramfs({ initrd, init, modules }) {
  const t = mkdtempSync(join(tmpdir(), 'lvsd-initrd-'));
  try {
    for (const d of ['bin', 'sbin', 'proc', 'sys', 'dev', 'ctl', 'lower', 'rw', 'newroot']) mkdirSync(join(t, d));
    copyFileSync(busybox(), join(t, 'bin', 'busybox'));
    sh('chmod', ['755', join(t, 'bin', 'busybox')]);
    sh('ln', ['-s', 'busybox', join(t, 'bin', 'sh')]);
    // The kernel calls /sbin/modprobe to load modules on demand (schedulers, ipip …).
    sh('ln', ['-s', '../bin/busybox', join(t, 'sbin', 'modprobe')]);
    copyFileSync(init, join(t, 'init'));
    sh('chmod', ['755', join(t, 'init')]);
    writeFileSync(join(t, 'boot-modules'), BOOT_MODULES.join(' '));
    const kver = modules.split('/').pop();
    const target = join(t, 'lib', 'modules', kver);
    mkdirSync(target, { recursive: true });
    for (const f of ['modules.dep', 'modules.alias', 'modules.builtin']) copyFileSync(join(modules, f), join(target, f));
    const dep = readFileSync(join(modules, 'modules.dep'), 'utf8');
    const files = new Set();
    for (const m of BOOT_MODULES) {
      const line = dep.split('\n').find((l) => l.split(':')[0].endsWith(`/${m}.ko`));
      if (!line) continue;
      for (const f of line.replace(':', '').split(/\s+/).filter(Boolean)) files.add(f);
    }
    for (const f of files) {
      mkdirSync(dirname(join(target, f)), { recursive: true });
      copyFileSync(join(modules, f), join(target, f));
    }
    sh('sh', ['-c', `cd "$1" && find . | "$2" cpio -o -H newc > "$3.tmp" 2>/dev/null && mv "$3.tmp" "$3"`, '-', t, busybox(), initrd]);
  } finally {
    rmSync(t, { recursive: true, force: true });
  }
}

const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * Boots the VM, runs `command` (argv) as root in `workdir` and resolves with its exit status.
 * `env` is passed into the guest (the guest starts from an empty environment).
 * The guest console goes to `output` (default: this process's stdout).
 */
export async function runInVm(command, { workdir = projectRoot, timeoutS = 900, memMb = 2048, env = {}, output = process.stdout } = {}) {
  const lab = prepare();
  const ctl = mkdtempSync(join(tmpdir(), 'lvsd-lab-ctl-'));
  try {
    const envLines = Object.entries({
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/root',
      TERM: 'dumb',
      LVSD_LAB: '1',
      ...env,
    }).map(([k, v]) => `${k}=${quote(v)}`);
    writeFileSync(join(ctl, 'command'), `cd ${quote(workdir)} || exit 125\nexec env -i ${envLines.join(' ')} ${command.map(quote).join(' ')}\n`);
    writeFileSync(
      join(ctl, 'guest.env'),
      [`LAB_WORKDIR=${quote(workdir)}`, `LAB_MODULES=${quote(LAB_MODULES.join(' '))}`, `LAB_WORKCACHE=${process.env.LVSD_LAB_WORKCACHE ?? 'loose'}`].join('\n') + '\n',
    );
    const smp = Math.min(4, cpus().length);
    const fsOpts = 'security_model=none,multidevs=remap';
    const shares = [
      ['hostroot', '/', true],
      ['modules', lab.modules, true],
      ['ctl', ctl, false],
      ['work', workdir, false],
    ];
    // TCG keeps translated code in a buffer (1 GiB by default) and, when it is full, throws it
    // all away with every vCPU stopped, then translates everything again: in a kernel-suite run
    // that happened every 3-4 minutes (`info jit`: 5 flushes), and such a stall is the likely
    // cause of every BFD session of the BGP lab dropping at once (CI, twice). A node process maps
    // its 100 MB binary at a random address, and TCG keys code by virtual address, so each of the
    // suite's hundreds of node starts translated node afresh. Without address randomization (norandmaps) they share
    // the translations, and with the largest buffer (2 GiB) the suite ran without one flush
    // and 10% faster (926 s against about 1,040).
    const args = [
      '-M', 'pc', '-accel', 'tcg,thread=multi,tb-size=2048', '-cpu', 'max', '-smp', String(smp), '-m', String(memMb),
      '-kernel', lab.kernel, '-initrd', lab.initrd,
      '-append', 'console=ttyS0 panic=-1 oops=panic rdinit=/init quiet loglevel=1 norandmaps',
      '-display', 'none', '-nodefaults', '-no-user-config', '-serial', 'stdio', '-no-reboot',
      ...shares.flatMap(([tag, path, ro]) => ['-virtfs', `local,path=${path},mount_tag=${tag},${fsOpts}${ro ? ',readonly=on' : ''}`]),
    ];
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    qemu.stdout.pipe(output, { end: false });
    qemu.stderr.pipe(process.stderr, { end: false });
    const killer = setTimeout(() => {
      process.stderr.write(`[lab] VM still running after ${timeoutS}s: killing it\n`);
      qemu.kill('SIGKILL');
    }, timeoutS * 1000);
    const forward = (sig) => () => qemu.kill('SIGKILL') && process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    const qemuStatus = await new Promise((resolve) => qemu.on('close', (code) => resolve(code)));
    clearTimeout(killer);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    const rcFile = join(ctl, 'rc');
    if (existsSync(rcFile)) return Number(readFileSync(rcFile, 'utf8').trim());
    process.stderr.write(`[lab] the VM ended without a result (qemu exit ${qemuStatus})\n`);
    return 125;
  } finally {
    rmSync(ctl, { recursive: true, force: true });
  }
}

async function main(argv) {
  if (argv[0] === '--prepare') {
    const lab = prepare();
    process.stderr.write(`[lab] ready: ${lab.pkg}, kernel ${lab.kernel}\n`);
    return 0;
  }
  const opts = { env: {} };
  while (argv.length && argv[0] !== '--') {
    const flag = argv.shift();
    if (flag === '--timeout') opts.timeoutS = Number(argv.shift());
    else if (flag === '--mem') opts.memMb = Number(argv.shift());
    else if (flag === '--env') {
      const name = argv.shift();
      if (process.env[name] !== undefined) opts.env[name] = process.env[name];
    } else throw new Error(`unknown option ${flag}`);
  }
  argv.shift();
  if (!argv.length) throw new Error('usage: vm.mjs [--timeout S] [--mem MB] [--env NAME] -- command [args...]');
  return runInVm(argv, opts);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (rc) => process.exit(rc),
    (err) => {
      process.stderr.write(`[lab] ${err.message}\n`);
      process.exit(125);
    },
  );
}
