// A real server and its neighbour on one link, for the realserver netns and kernel suites:
//
//   rs (eth0 198.18.0.2/24, 2001:2::2/64, default via 198.18.0.1) <-veth-> nb (eth0 198.18.0.1/24, 2001:2::1/64)
//
// `lvsd` and `script` run `lvsd realserver ...` (the built dist/) and examples/realserver-arp.sh
// inside rs, each with its own state file in a temporary directory removed by cleanup().
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab, veth, type Netns, type RunResult } from '../support/netns.mjs';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const SCRIPT = fileURLToPath(new URL('../../examples/realserver-arp.sh', import.meta.url));

export interface RealServerLab {
  rs: Netns;
  nb: Netns;
  /** State files live here. */
  dir: string;
  lvsd(args: readonly string[]): RunResult;
  script(args: readonly string[]): RunResult;
  /** Every arp_ignore, arp_announce and rp_filter value in rs, as "path:value" lines. */
  sysctls(): string;
  cleanup(): Promise<void>;
}

export async function realServerLab(area: string): Promise<RealServerLab> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  const lab = new NetnsLab(area);
  const dir = mkdtempSync(join(tmpdir(), `lvsd-${area}-`));
  const cleanup = async (): Promise<void> => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const rs = lab.ns('rs');
    const nb = lab.ns('nb');
    veth(rs, 'eth0', nb, 'eth0');
    rs.addr('eth0', '198.18.0.2/24');
    nb.addr('eth0', '198.18.0.1/24');
    rs.addr('eth0', '2001:2::2/64');
    nb.addr('eth0', '2001:2::1/64');
    rs.ip('route', 'add', 'default', 'via', '198.18.0.1');
    return {
      rs,
      nb,
      dir,
      lvsd: (args) => rs.execResult('node', [CLI, 'realserver', ...args], { allowFailure: true, timeoutMs: 20_000 }),
      script: (args) => rs.execResult('sh', [SCRIPT, ...args], { allowFailure: true, timeoutMs: 20_000 }),
      sysctls: () =>
        rs.exec('sh', ['-c', 'grep -H . /proc/sys/net/ipv4/conf/*/arp_ignore /proc/sys/net/ipv4/conf/*/arp_announce /proc/sys/net/ipv4/conf/*/rp_filter']),
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
