// `lvsd plan` and `lvsd apply`: the IPVS part of a config against the kernel, without the daemon.
// Every real server counts as healthy at its configured weight (no checks run here). Real servers
// added or removed at runtime (lvsd add-server / remove-server, saved in the state dir) count as
// the daemon counts them, and are listed as differences from the file. One given by DNS name is
// at the address one lookup gives now.
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../config/paths.js';
import type { Config } from '../../config/types.js';
import type { IpvsClient } from '../../ipvs/client.js';
import type { Plan } from '../../ipvs/plan.js';
import { addNodeOption, chooseNode } from '../node-option.js';

interface PlanOptions {
  config: string;
  node?: string;
}

async function loadOrExit(opts: PlanOptions): Promise<Config | undefined> {
  const file = opts.config;
  const { formatIssue, loadConfigFile } = await import('../../config/load.js');
  const result = await loadConfigFile(file, chooseNode(opts.node, 'host name'));
  for (const w of result.warnings) process.stderr.write(`${formatIssue(w)}\n`);
  if (result.ok) return result.config;
  for (const e of result.errors) process.stderr.write(`${formatIssue(e)}\n`);
  process.stderr.write(`${file}: configuration rejected, the kernel was not touched\n`);
  process.exitCode = 1;
  return undefined;
}

/** The file's config with the runtime real-server changes the daemon saved, and those changes as lines. */
async function withRuntimeServers(file: Config): Promise<{ config: Config; lines: string[] }> {
  const [{ readOverrideState }, { effectiveConfig, formatRuntimeServers }] = await Promise.all([import('../../daemon/override-state.js'), import('../../daemon/runtime-servers.js')]);
  try {
    const records = (await readOverrideState(file.ipvs.state_dir, file.node.name)).filter((r) => r.value !== 'clear');
    return { config: effectiveConfig(file, records), lines: formatRuntimeServers(records) };
  } catch (err) {
    process.stderr.write(`cannot read the runtime changes in ${file.ipvs.state_dir}: ${err instanceof Error ? err.message : String(err)}; planning the file alone\n`);
    return { config: file, lines: [] };
  }
}

/** Real servers given by DNS name, at the addresses one lookup gives now (none when it fails). */
async function resolveNames(config: Config): Promise<Config> {
  if (!config.services.some((s) => s.real_servers.some((rs) => rs.host !== undefined))) return config;
  const { NameFollower } = await import('../../resolve/follower.js');
  const warn = (_: object, msg: string): void => void process.stderr.write(`${msg}\n`);
  const names = new NameFollower({ log: { info: () => undefined, warn, error: warn }, isUp: () => true, onChange: () => undefined });
  names.configure(config);
  await names.firstLookups();
  names.stop();
  return names.materialize(config).config;
}

async function withPlan(opts: PlanOptions, act: (client: IpvsClient, plan: Plan) => Promise<void>): Promise<void> {
  const file = await loadOrExit(opts);
  if (!file) return;
  const runtime = await withRuntimeServers(file);
  const config = await resolveNames(runtime.config);
  const lines = runtime.lines;
  for (const line of lines) process.stdout.write(`${line}\n`);
  const [{ IpvsClient }, { configuredIpvs }, { planChanges }] = await Promise.all([
    import('../../ipvs/client.js'),
    import('../../ipvs/desired.js'),
    import('../../ipvs/plan.js'),
  ]);
  let client: IpvsClient | undefined;
  try {
    client = await IpvsClient.open();
    const plan = planChanges(configuredIpvs(config.services), await client.read(), { purgeUnmanaged: config.ipvs.purge_unmanaged });
    await act(client, plan);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  } finally {
    client?.close();
  }
}

export function registerPlanCommands(program: Command): void {
  addNodeOption(program
    .command('plan')
    .summary('show the IPVS changes a config would make, without making them')
    .description('Compare the services in the config with the kernel and print the operations as a diff (+ add, ~ edit, - delete). Real servers count as healthy at their configured weight.')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG_PATH), 'the host name')
    .action((opts: PlanOptions) =>
      withPlan(opts, async (_client, plan) => {
        const { formatPlan } = await import('../../ipvs/plan.js');
        process.stdout.write(plan.operations.length === 0 && plan.unmanaged.length === 0 ? 'no changes: the kernel matches the config\n' : `${formatPlan(plan)}\n`);
      }),
    );

  addNodeOption(program
    .command('apply')
    .summary('apply the IPVS part of a config once and print what was done')
    .description('Make the kernel match the services in the config with the fewest operations (edits in place, new real servers before old ones go). Without a running daemon no checks run: real servers get their configured weight.')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG_PATH), 'the host name')
    .action((opts: PlanOptions) =>
      withPlan(opts, async (client, plan) => {
        const { applyPlan, describeOperation } = await import('../../ipvs/apply.js');
        const result = await applyPlan(client, plan);
        for (const op of result.applied) process.stdout.write(`done: ${describeOperation(op)}\n`);
        for (const s of result.skipped) process.stdout.write(`skipped: ${describeOperation(s.operation)} (${s.reason})\n`);
        for (const f of result.failed) process.stderr.write(`failed: ${describeOperation(f.operation)}: ${f.error.message}\n`);
        process.stdout.write(`${result.applied.length} operation(s) in ${result.elapsedMs.toFixed(1)} ms${plan.unmanaged.length ? `, ${plan.unmanaged.length} unmanaged service(s) left alone` : ''}\n`);
        if (result.failed.length > 0) process.exitCode = 1;
      }),
    );
}
