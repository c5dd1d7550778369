// A throw-away network namespace for a kernel test: each one has its own IPVS table, so a test
// file neither sees nor disturbs anything else in the VM. Named lvsd-ipvs-<pid>-<random>.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface TestNetns {
  name: string;
  /** /run/netns/<name>, for IpvsClient.open({ netns }). */
  path: string;
  /** Runs a command inside the namespace (with `input` on stdin) and returns its stdout. */
  run(cmd: string, args: readonly string[], input?: string): string;
  /**
   * Opens a TCP connection from inside the namespace and gives up after `seconds`: enough for
   * IPVS to schedule the SYN. Its stdio is detached: in the lab VM the SYN never reached IPVS
   * when the probe's stderr was a pipe to this process (observed, not understood).
   */
  connectTcp(address: string, port: number, seconds: number): void;
  /** Deletes the namespace (and with it its IPVS table and interfaces). */
  remove(): void;
}

export function createNetns(area: string): TestNetns {
  const name = `lvsd-${area}-${process.pid}-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name]);
  const run = (cmd: string, args: readonly string[], input?: string): string =>
    execFileSync('ip', ['netns', 'exec', name, cmd, ...args], { encoding: 'utf8', timeout: 30_000, input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
  // IPVS refuses real servers ("address not unicast") until loopback is up.
  run('ip', ['link', 'set', 'lo', 'up']);
  return {
    name,
    path: `/run/netns/${name}`,
    run,
    connectTcp: (address, port, seconds) => {
      spawnSync('ip', ['netns', 'exec', name, 'timeout', String(seconds), 'bash', '-c', `exec 3<>/dev/tcp/${address}/${port}`], { stdio: 'ignore', timeout: (seconds + 5) * 1000 });
    },
    remove: () => execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' }),
  };
}
