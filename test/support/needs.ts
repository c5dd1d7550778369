// Tests that need root, network namespaces, QEMU, keepalived or kernel IPVS declare it here.
// Under CI=true an unmet need fails the suite loudly; elsewhere it is skipped with the reason
// printed. It never passes silently.
//
// Every program a suite starts is covered by a need (test/unit/support-needs.test.ts scans the
// suites for it): `toolNeeds` says which programs a need stands for and which Debian package
// brings them, and that package is in .ci/setup's list, so the README's setup is the one tested.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';

/** Needs that are a program on PATH: the programs and the Debian package that ships them. */
export const toolNeeds = {
  // Network namespaces are driven with ip (and bridge for VLAN-aware bridges), sysctl per namespace.
  netns: { programs: ['ip', 'bridge', 'sysctl'], pkg: 'iproute2 procps' },
  keepalived: { programs: ['keepalived'], pkg: 'keepalived' },
  ipvsadm: { programs: ['ipvsadm'], pkg: 'ipvsadm' },
  dnsmasq: { programs: ['dnsmasq'], pkg: 'dnsmasq' },
  tcpdump: { programs: ['tcpdump'], pkg: 'tcpdump' },
  qemu: { programs: ['qemu-system-x86_64'], pkg: 'qemu-system-x86' },
  arping: { programs: ['arping'], pkg: 'iputils-arping' },
  ping: { programs: ['ping'], pkg: 'iputils-ping' },
  busybox: { programs: ['busybox'], pkg: 'busybox-static' },
  pgrep: { programs: ['pgrep'], pkg: 'procps' },
  'systemd-analyze': { programs: ['systemd-analyze'], pkg: 'systemd' },
  python3: { programs: ['python3'], pkg: 'python3' },
  strace: { programs: ['strace'], pkg: 'strace' },
  'dpkg-deb': { programs: ['dpkg-deb', 'dpkg', 'dpkg-query'], pkg: 'dpkg' },
  lintian: { programs: ['lintian'], pkg: 'lintian' },
  openssl: { programs: ['openssl'], pkg: 'openssl' },
  chromium: { programs: ['chromium'], pkg: 'chromium' },
  bird: { programs: ['bird', 'birdc'], pkg: 'bird2' },
} as const satisfies Record<string, { programs: readonly string[]; pkg: string }>;

export type ToolNeed = keyof typeof toolNeeds;
export type Need = ToolNeed | 'root' | 'ipvs' | 'asan';

const onPath = (bin: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

function toolCheck(need: ToolNeed): string | undefined {
  const { programs, pkg } = toolNeeds[need];
  const missing = programs.filter((p) => !onPath(p));
  return missing.length === 0 ? undefined : `needs ${missing.join(', ')} (apt-get install ${pkg})`;
}

const checks: Record<Exclude<Need, ToolNeed>, () => string | undefined> = {
  root: () => (process.getuid?.() === 0 ? undefined : 'needs root'),
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

function check(need: Need): string | undefined {
  if (need in toolNeeds) {
    const why = toolCheck(need as ToolNeed);
    if (why || need !== 'netns') return why;
    try {
      execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
      return undefined;
    } catch {
      return 'cannot use network namespaces (ip netns list failed)';
    }
  }
  return checks[need as Exclude<Need, ToolNeed>]();
}

/** The first unmet need as a sentence, or undefined when all are met. */
export function unmet(needs: readonly Need[]): string | undefined {
  for (const n of needs) {
    const why = check(n);
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
