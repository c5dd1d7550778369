// keepalived (VRRP only, -P) as a peer in a network namespace: config text from a small model,
// started in the foreground (-n) with its log on stdout (-l), stopped by PID.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Netns, NetnsProcess } from '../../support/netns.mjs';
import { waitFor } from '../../support/netns.mjs';

export interface KeepalivedInstance {
  name: string;
  interface: string;
  vrid: number;
  priority: number;
  version: 2 | 3;
  /** Seconds; fractions (0.1) only with version 3. */
  advertInt: number;
  /** address/prefix */
  vips: string[];
  unicastSource?: string;
  unicastPeers?: string[];
  /** keepalived's pre-1.3.6 unicast VRRPv3 checksum (224.0.0.18 in the pseudo-header). */
  oldUnicastChecksum?: boolean;
  /** use_vmac: the VIPs go on keepalived's macvlan (vrrp.VRID), so they name no dev. */
  useVmac?: boolean;
}

export function keepalivedConf(instances: readonly KeepalivedInstance[]): string {
  const blocks = instances.map((i) => {
    const lines = [
      `vrrp_instance ${i.name} {`,
      '  state BACKUP',
      `  interface ${i.interface}`,
      `  virtual_router_id ${i.vrid}`,
      `  priority ${i.priority}`,
      `  version ${i.version}`,
      `  advert_int ${i.advertInt}`,
      ...(i.unicastSource ? [`  unicast_src_ip ${i.unicastSource}`] : []),
      ...(i.unicastPeers ? ['  unicast_peer {', ...i.unicastPeers.map((p) => `    ${p}`), '  }'] : []),
      ...(i.oldUnicastChecksum ? ['  old_unicast_checksum'] : []),
      ...(i.useVmac ? ['  use_vmac'] : []),
      '  virtual_ipaddress {',
      ...i.vips.map((v) => (i.useVmac ? `    ${v}` : `    ${v} dev ${i.interface}`)),
      '  }',
      '}',
    ];
    return lines.join('\n');
  });
  // One gratuitous ARP burst, no second one after 5 s: like the lvsd side of the tests.
  return ['global_defs {', '  router_id lvsd-interop', '  vrrp_garp_master_delay 0', '}', ...blocks, ''].join('\n');
}

/** A running keepalived: the parent (which we started) and its VRRP child. */
export class Keepalived {
  private constructor(
    readonly proc: NetnsProcess,
    private readonly dir: string,
  ) {}

  /** `configId` is keepalived's -i: which `@id` lines of the file apply. */
  static async start(ns: Netns, conf: string, configId?: string): Promise<Keepalived> {
    const dir = mkdtempSync(path.join(tmpdir(), 'lvsd-vrrp-keepalived-'));
    const file = path.join(dir, 'keepalived.conf');
    writeFileSync(file, conf);
    const proc = ns.spawn('keepalived', ['-P', '-n', '-l', '-D', '-f', file, '-p', path.join(dir, 'keepalived.pid'), '-r', path.join(dir, 'vrrp.pid'), ...(configId ? ['-i', configId] : [])]);
    const k = new Keepalived(proc, dir);
    await waitFor('keepalived to start its VRRP child', () => {
      if (!proc.running) throw new Error(`keepalived exited: ${proc.output.slice(-2000)}`);
      return k.childPid !== undefined;
    }, { timeoutMs: 5_000 });
    return k;
  }

  /** The VRRP child's PID, from its pid file. */
  get childPid(): number | undefined {
    try {
      const pid = Number(readFileSync(path.join(this.dir, 'vrrp.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  get log(): string {
    return this.proc.output;
  }

  /** Graceful: keepalived sends priority 0 and removes its VIPs. */
  async stop(): Promise<void> {
    await this.proc.stop(3_000);
  }

  /**
   * A crash: SIGKILL to the VRRP child and the parent at once (the parent alone would respawn
   * the child, and a child whose parent dies is told to shut down gracefully).
   */
  async kill(): Promise<void> {
    const child = this.childPid;
    for (const pid of [child, this.proc.pid]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.proc.waitForExit(3_000);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
