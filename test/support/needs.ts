// Tests that need root, network namespaces, QEMU, keepalived or kernel IPVS declare it here.
// Under CI=true an unmet need fails the suite loudly; elsewhere it is skipped with the reason
// printed. It never passes silently.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';

export type Need = 'root' | 'netns' | 'keepalived' | 'ipvs' | 'ipvsadm' | 'dnsmasq' | 'tcpdump' | 'qemu' | 'asan' | 'arping' | 'systemd-analyze' | 'python3' | 'strace';

const onPath = (bin: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const checks: Record<Need, () => string | undefined> = {
  root: () => (process.getuid?.() === 0 ? undefined : 'needs root'),
  netns: () => {
    if (!onPath('ip')) return 'needs iproute2 (ip)';
    try {
      execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
      return undefined;
    } catch {
      return 'cannot use network namespaces (ip netns list failed)';
    }
  },
  keepalived: () => (onPath('keepalived') ? undefined : 'needs keepalived (apt-get install keepalived)'),
  ipvsadm: () => (onPath('ipvsadm') ? undefined : 'needs ipvsadm (apt-get install ipvsadm)'),
  dnsmasq: () => (onPath('dnsmasq') ? undefined : 'needs dnsmasq (apt-get install dnsmasq)'),
  tcpdump: () => (onPath('tcpdump') ? undefined : 'needs tcpdump (apt-get install tcpdump)'),
  qemu: () => (onPath('qemu-system-x86_64') ? undefined : 'needs qemu-system-x86 (apt-get install qemu-system-x86)'),
  arping: () => (onPath('arping') ? undefined : 'needs arping (apt-get install iputils-arping)'),
  'systemd-analyze': () => (onPath('systemd-analyze') ? undefined : 'needs systemd-analyze (apt-get install systemd)'),
  python3: () => (onPath('python3') ? undefined : 'needs python3 (apt-get install python3)'),
  strace: () => (onPath('strace') ? undefined : 'needs strace (apt-get install strace)'),
  asan: () => {
    // A C++ compiler with AddressSanitizer, to build the native addon instrumented.
    if (!onPath('g++')) return 'needs g++ (apt-get install g++)';
    try {
      const lib = execFileSync('g++', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
      return lib.startsWith('/') && existsSync(lib) ? undefined : 'needs libasan (apt-get install libasan8)';
    } catch {
      return 'needs libasan (apt-get install libasan8)';
    }
  },
  ipvs: () => (existsSync('/proc/net/ip_vs') ? undefined : 'needs a kernel with IPVS (run inside the lab VM: npm run test:kernel)'),
};

/** The first unmet need as a sentence, or undefined when all are met. */
export function unmet(needs: readonly Need[]): string | undefined {
  for (const n of needs) {
    const why = checks[n]();
    if (why) return why;
  }
  return undefined;
}

/**
 * `describe` for a block that needs privileges or tools. Unmet: under CI=true a failing test
 * names the reason; elsewhere the block is skipped and the reason printed once.
 */
export function describeWith(needs: readonly Need[], name: string, body: () => void): void {
  const why = unmet(needs);
  if (!why) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`requirement: ${why}`, () => {
        throw new Error(`${name}: ${why} (CI=true: a suite that cannot run fails)`);
      });
    });
    return;
  }
  console.warn(`SKIP ${name}: ${why}`);
  describe.skip(name, body);
}
