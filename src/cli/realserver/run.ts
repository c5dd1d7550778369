// `lvsd realserver setup|teardown|check`: prepares a real server for DR or TUN forwarding (VIP on
// lo / tunl0, ARP and reverse-path sysctls) or checks a NAT real server's default route. Setup is
// idempotent and records what it changed; teardown restores exactly that. Exit 0 when every check
// passes, 1 otherwise, 2 on usage errors.
import { KernelHost } from './kernel-host.js';
import { persistSnippets } from './persist.js';
import { checkSetup, setupRealServer, teardownRealServer } from './procedures.js';
import { DEFAULT_STATE_FILE, EXIT_FAIL, EXIT_OK, EXIT_USAGE } from './constants.js';
import { emptyRecord } from './record.js';
import { allOk, formatChecks, formatHeader, formatSteps } from './report.js';
import { parseSpec, UsageError, type RawSpecOptions, type RealServerSpec } from './spec.js';
import { readStateFile, removeStateFile, writeStateFile } from './state-file.js';
import type { Output } from '../check-report.js';

export type RealServerAction = 'setup' | 'teardown' | 'check';

export interface RealServerOptions extends RawSpecOptions {
  state: string;
  printPersist?: boolean;
}

const stdio: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};


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
