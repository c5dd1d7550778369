// `npm run test:kernel`: boots the lab VM once and runs the vitest "kernel" project inside it.
// Without root or QEMU the suite cannot run: under CI=true that is a failure, elsewhere a skip
// with the reason printed.
import { execFileSync } from 'node:child_process';
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
const env = { CI: process.env.CI ?? '', NO_COLOR: '1' };
const rc = await runInVm(['node', 'node_modules/vitest/vitest.mjs', 'run', '--project', 'kernel', '--reporter=verbose', ...extra], { workdir: projectRoot, env });
console.log(`kernel suite: VM exited with status ${rc} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(rc);
