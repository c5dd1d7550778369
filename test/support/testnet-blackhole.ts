// Global setup of the unit and netns projects: while the run lasts, the host's own network
// namespace drops everything to 198.18.0.0/15 and 2001:2::/48 (blackhole routes), so no test,
// child process or native socket can send test traffic out of the machine through the default
// route. Connected routes of interfaces a test gives those addresses are more specific and
// still win; namespaces have their own tables and are not touched.
//
// Each run adds its own pair of routes with a metric of its own (several runs may overlap on a
// shared machine: one run's teardown never opens the hole under another) and removes exactly
// those at the end. Without root (a laptop running the unit suite as a user) nothing is added:
// the unit suite's in-process guard (testnet-guard.ts) still refuses and fails such a test.
import { execFileSync } from 'node:child_process';
import { TEST_NETS } from './test-net.js';

/** Below the kernel's default metric for IPv6 (1024) and unique per run; never 0, the default of IPv4 routes. */
const metric = 1 + (process.pid % 1000);

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

const routeArgs = (n: (typeof TEST_NETS)[number]): string[] => [n.family === 'ipv6' ? '-6' : '-4', 'route', '%', 'blackhole', n.prefix, 'metric', String(metric)];

export default function setup(): (() => void) | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const added: string[][] = [];
  for (const n of TEST_NETS) {
    const args = routeArgs(n);
    try {
      ip(args.map((a) => (a === '%' ? 'add' : a)));
      added.push(args);
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? err).trim();
      // Already there (a run with the same metric): that one keeps the range closed.
      if (!stderr.includes('File exists')) {
        throw new Error(`cannot add the blackhole route for ${n.prefix} that keeps test traffic on this machine (ip ${args.join(' ').replace('%', 'add')}): ${stderr}`);
      }
    }
  }
  return () => {
    for (const args of added) {
      try {
        ip(args.map((a) => (a === '%' ? 'del' : a)));
      } catch {
        // Already gone (someone removed it by hand): nothing left to undo.
      }
    }
  };
}
