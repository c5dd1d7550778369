// `lvsd check` on the command line; the work is in ../check-report.ts, loaded only when it runs.
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../config/paths.js';
import { addNodeOption, chooseNode } from '../node-option.js';

export function registerCheckCommand(program: Command): void {
  const command = program
    .command('check')
    .summary('validate a configuration file')
    .description('Validate a configuration file without changing anything. Prints a summary and exits 0 when it is valid; prints each problem as file:line:col to stderr and exits 1 when it is not.')
    .option('-c, --config <file>', 'configuration file to check', DEFAULT_CONFIG_PATH)
    .option('--json', 'print the loaded configuration as JSON (durations in ms, defaults filled in) instead of the summary')
    .option('--strict', 'treat warnings as errors (exit 1 when there are any)')
    .addHelpText('after', `
Examples:
  lvsd check -c /etc/lvsd/lvsd.yaml          validate before restarting the daemon
  lvsd check -c lvsd.yaml --strict           in CI: fail on warnings too
  lvsd check -c lvsd.yaml --json | jq .vrrp  see the configuration as lvsd reads it
  lvsd check -c pair.yaml --node lb2         one node of a file with nodes: (without --node: every node)`);
  addNodeOption(command, 'every node').action(async (options: { config: string; json?: boolean; strict?: boolean; node?: string }) => {
    const { runCheck } = await import('../check-report.js');
    process.exitCode = await runCheck({ ...options, node: chooseNode(options.node, 'all') });
  });
}
