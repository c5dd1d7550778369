// `lvsd add-server` / `lvsd remove-server`: real servers changed at runtime, without a reload.
// The daemon records them like overrides (saved, shared with the peer node) and reports them as
// differences from the config file in `lvsd status` and `lvsd plan` until the file agrees.
import type { Command } from 'commander';
import { call, json, socketOption, type SocketOption } from './control.js';

export function registerServerCommands(program: Command): void {
  socketOption(
    program
      .command('add-server <service> <realServer>')
      .summary('add a real server to a service at runtime (no reload)')
      .description(
        'Add a real server (address or address:port; the port defaults to the service\'s) to a running service. It is health-checked like a configured one and gets traffic once its check passes. ' +
          'Kept across restarts and shared with the peer node until the config file has it.',
      )
      .option('--weight <n>', 'weight of the new real server (0-65535)', '1'),
  ).action((service: string, realServer: string, opts: SocketOption & { weight: string }) => {
    const weight = /^\d+$/.test(opts.weight) ? Number(opts.weight) : Number.NaN;
    if (!Number.isInteger(weight) || weight > 65535) {
      process.stderr.write(`lvsd add-server: --weight ${opts.weight} is not an integer 0-65535\n`);
      process.exitCode = 1;
      return undefined;
    }
    return call(opts, 'add-server', { service, realServer, weight }, json);
  });

  socketOption(
    program
      .command('remove-server <service> <realServer>')
      .summary('remove a real server from a service at runtime (it drains first)')
      .description(
        'Remove a real server at runtime: weight 0 until its connections end or the service\'s drain_timeout passes, then deleted. ' +
          'Works for configured and runtime-added servers; kept across restarts and shared with the peer node until the config file agrees.',
      ),
  ).action((service: string, realServer: string, opts: SocketOption) => call(opts, 'remove-server', { service, realServer }, json));
}
