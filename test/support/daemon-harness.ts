// A whole Daemon on the in-memory IPVS kernel and in-process VRRP, from a services list, in a
// directory of its own (config, control socket, state dir). For unit tests of what the daemon
// wires together; the caller stops it (or registers `stop` for after the test).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Daemon } from '../../src/daemon/daemon.js';
import { inProcessVrrp, logSink } from '../unit/daemon/vrrp-fakes.js';
import { FakeIpvsKernel } from './fake-ipvs-kernel.js';

/** `more`: YAML put before the services (a `vrrp:` block, say); `ipvs`: more keys of the ipvs block (", sync_daemon: {…}"). */
export async function daemonIn(dir: string, services: string, more = '', ipvs = ''): Promise<{ kernel: FakeIpvsKernel; daemon: Daemon; lines: string[] }> {
  const configPath = join(dir, 'lvsd.yaml');
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  writeFileSync(configPath, `node: { name: lb1 }\ncontrol: { socket: ${dir}/lvsd.sock }\nmetrics: { listen: 127.0.0.1:${port} }\nipvs: { state_dir: ${dir}/state${ipvs} }\n${more}services:\n${services}`);
  const kernel = new FakeIpvsKernel();
  const sink = logSink();
  const daemon = await Daemon.start({ configPath, log: sink.logger, openIpvs: async () => kernel.open(), startVrrp: inProcessVrrp() });
  return { kernel, daemon, lines: sink.lines };
}
