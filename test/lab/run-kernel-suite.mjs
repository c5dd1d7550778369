// `npm run test:kernel`: boots the lab VM once and runs the vitest "kernel" project inside it.
// Without root or QEMU the suite cannot run: under CI=true that is a failure, elsewhere a skip
// with the reason printed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runInVm, projectRoot } from './vm.mjs';

function missing() {
  if (process.getuid?.() !== 0) return 'needs root (QEMU shares the host root filesystem)';
  try {
    execFileSync('sh', ['-c', 'command -v qemu-system-x86_64'], { stdio: 'ignore' });
  } catch {
    return 'needs qemu-system-x86 (apt-get install qemu-system-x86)';
  }
  return undefined;
}

/**
 * The Debian package for test/kernel/package.test.ts, built here on the host: 10 s, where the
 * same build inside the VM costs minutes of emulated CPU. The guest sees the project tree, so
 * the test finds the file through LVSD_LAB_DEB; without dpkg-deb the test builds it (or skips).
 */
function labPackage() {
  try {
    execFileSync('sh', ['-c', 'command -v dpkg-deb'], { stdio: 'ignore' });
  } catch {
    return {};
  }
  const out = join(projectRoot, 'test', 'lab', '.work', 'deb');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const deb = execFileSync(process.execPath, [join(projectRoot, 'packaging', 'build-deb.mjs'), '--out', out, '--compress', 'gzip'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return { LVSD_LAB_DEB: deb };
}

const why = missing();
if (why) {
  if (process.env.CI === 'true') {
    console.error(`kernel suite: FAILED: ${why} (CI=true: a suite that cannot run fails)`);
    process.exit(1);
  }
  console.warn(`kernel suite: SKIPPED: ${why}`);
  process.exit(0);
}

const started = Date.now();
const extra = process.argv.slice(2);
const env = { CI: process.env.CI ?? '', NO_COLOR: '1', ...labPackage() };
const rc = await runInVm(['node', 'node_modules/vitest/vitest.mjs', 'run', '--project', 'kernel', '--reporter=verbose', ...extra], { workdir: projectRoot, env, timeoutS: 1800 });
console.log(`kernel suite: VM exited with status ${rc} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(rc);
