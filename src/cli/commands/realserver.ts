// `lvsd realserver setup|teardown|check` on the command line; the work is in ../realserver/run.ts,
// loaded only when the command runs.
import type { Command } from 'commander';
import { Option } from 'commander';
import { DEFAULT_STATE_FILE, EXIT_OK, EXIT_USAGE } from '../realserver/constants.js';
import type { RealServerAction, RealServerOptions } from '../realserver/run.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function addSpecOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--mode <mode>', 'forwarding mode the director uses for this server').choices(['dr', 'tun', 'nat']))
    .option('--vip <addr[,addr]>', 'virtual IP(s) this server accepts traffic for (repeatable)', collect)
    .option('--uplink <iface[,iface]>', 'interface(s) facing the director (default: from the IPv4 default route)', collect)
    .option('--gateway <addr>', 'NAT: the director address the default route must point at')
    .option('--state <file>', 'where setup records what it changed', DEFAULT_STATE_FILE)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_USAGE));
}

export function registerRealServerCommand(program: Command): void {
  const realserver = program
    .command('realserver')
    .summary('prepare a real server for DR, TUN or NAT forwarding')
    .description(
      'Prepare this host as a real server behind lvsd (root). DR: VIP on lo, arp_ignore=1, arp_announce=2. TUN: ipip loaded, VIP on tunl0, rp_filter loose. NAT: the default route must point at the director; setup only checks it and prints the fix, since changing a default route remotely can cut you off. Exit 0 when every check passes, 1 otherwise, 2 on usage errors.',
    );
  const actions: Array<[RealServerAction, string]> = [
    ['setup', 'make the changes (idempotent) and record them, then check'],
    ['teardown', 'restore what setup recorded, and nothing else'],
    ['check', 'verify the effective state and print the fix for each failure'],
  ];
  for (const [action, summary] of actions) {
    const cmd = addSpecOptions(realserver.command(action).summary(summary).description(summary));
    if (action === 'setup') cmd.option('--print-persist', 'print sysctl.d, networkd, ifupdown and ip snippets that redo setup at boot, and change nothing');
    cmd.action(async (options: RealServerOptions) => {
      const { runRealServer } = await import('../realserver/run.js');
      process.exitCode = await runRealServer(action, options);
    });
  }
}
