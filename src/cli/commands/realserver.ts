// `lvsd realserver setup|teardown|check`: prepares a real server for DR or TUN forwarding (VIP on
// lo / tunl0, ARP and reverse-path sysctls) or checks a NAT real server's default route. Setup is
// idempotent and records what it changed; teardown restores exactly that. Exit 0 when every check
// passes, 1 otherwise, 2 on usage errors.
import type { Command } from 'commander';
import { Option } from 'commander';
import { KernelHost } from '../realserver/kernel-host.js';
import { persistSnippets } from '../realserver/persist.js';
import { checkSetup, setupRealServer, teardownRealServer } from '../realserver/procedures.js';
import { DEFAULT_STATE_FILE, emptyRecord } from '../realserver/record.js';
import { allOk, formatChecks, formatHeader, formatSteps } from '../realserver/report.js';
import { parseSpec, UsageError, type RawSpecOptions, type RealServerSpec } from '../realserver/spec.js';
import { readStateFile, removeStateFile, writeStateFile } from '../realserver/state-file.js';
import type { Output } from './check.js';

export type RealServerAction = 'setup' | 'teardown' | 'check';

export interface RealServerOptions extends RawSpecOptions {
  state: string;
  printPersist?: boolean;
}

const stdio: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const EXIT_OK = 0;
const EXIT_FAIL = 1;
const EXIT_USAGE = 2;

async function withHost<T>(fn: (host: KernelHost) => Promise<T>): Promise<T> {
  const host = KernelHost.open();
  try {
    return await fn(host);
  } finally {
    host.close();
  }
}

async function runSetup(spec: RealServerSpec, options: RealServerOptions, io: Output): Promise<number> {
  if (options.printPersist) {
    const { wanted } = await withHost((host) => checkSetup(host, spec));
    io.out(persistSnippets(spec, wanted));
    return EXIT_OK;
  }
  const record = readStateFile(options.state) ?? emptyRecord();
  const outcome = await withHost((host) => setupRealServer(host, spec, record, (r) => writeStateFile(options.state, r)));
  io.out(formatHeader(spec, outcome.wanted));
  for (const line of formatSteps('setup', outcome.applied)) io.out(line);
  if (outcome.applied.length > 0) io.out(`recorded in ${options.state} (teardown restores from it)`);
  io.out('check:');
  for (const line of formatChecks(outcome.results)) io.out(line);
  return allOk(outcome.results) ? EXIT_OK : EXIT_FAIL;
}

async function runCheck(spec: RealServerSpec, io: Output): Promise<number> {
  const { wanted, results } = await withHost((host) => checkSetup(host, spec));
  io.out(formatHeader(spec, wanted));
  for (const line of formatChecks(results)) io.out(line);
  return allOk(results) ? EXIT_OK : EXIT_FAIL;
}

async function runTeardown(options: RealServerOptions, io: Output): Promise<number> {
  const record = readStateFile(options.state);
  if (!record && !options.mode) {
    throw new UsageError(`no state file at ${options.state}: name what to remove with --mode and --vip (only addresses carrying the lvsd label are removed)`);
  }
  // With a record the spec is optional: teardown undoes whatever the record lists.
  const spec = record && !options.mode ? undefined : parseSpec(options);
  const outcome = await withHost((host) => teardownRealServer(host, record, spec, options.state, (r) => writeStateFile(options.state, r)));
  for (const line of formatSteps('teardown', outcome.applied)) io.out(line);
  for (const note of outcome.notes) io.out(`  note: ${note}`);
  if (record) {
    removeStateFile(options.state);
    io.out(`removed ${options.state}`);
  }
  return EXIT_OK;
}

/** Runs one action and returns the exit code; usage errors and failures are printed to `io.err`. */
export async function runRealServer(action: RealServerAction, options: RealServerOptions, io: Output = stdio): Promise<number> {
  try {
    const changes = action === 'teardown' || (action === 'setup' && !options.printPersist);
    if (changes && process.getuid?.() !== 0) {
      io.err(`lvsd realserver ${action} needs root (it changes addresses and /proc/sys)`);
      return EXIT_FAIL;
    }
    if (action === 'teardown') return await runTeardown(options, io);
    const spec = parseSpec(options);
    return action === 'setup' ? await runSetup(spec, options, io) : await runCheck(spec, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`lvsd realserver ${action}: ${err.message}`);
      return EXIT_USAGE;
    }
    io.err(`lvsd realserver ${action}: ${(err as Error).message}`);
    return EXIT_FAIL;
  }
}

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
      process.exitCode = await runRealServer(action, options);
    });
  }
}
