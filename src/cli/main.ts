#!/usr/bin/env node
// The one lvsd executable. Each subcommand lives in src/cli/commands/ and registers itself here.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerBgpConfigCommand } from './commands/bgp-config.js';
import { registerCheckCommand } from './commands/check.js';
import { registerSchemaCommand } from './commands/schema.js';
import { registerRealServerCommand } from './commands/realserver.js';
import { registerRunCommand } from './commands/run.js';
import { registerControlCommands } from './commands/control.js';
import { registerServerCommands } from './commands/servers.js';
import { registerPlanCommands } from './commands/plan.js';
import { registerImportCommand } from './commands/import.js';
import { registerConnectionsCommand } from './commands/connections.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('lvsd')
    .description('Layer-4 load balancer: kernel IPVS, health checks and VRRP from one YAML file.')
    .version(packageVersion(), '-V, --version', 'print the lvsd version')
    .showHelpAfterError('(run "lvsd --help" for usage)');
  registerCheckCommand(program);
  registerSchemaCommand(program);
  registerRunCommand(program);
  registerControlCommands(program);
  registerServerCommands(program);
  registerConnectionsCommand(program);
  registerPlanCommands(program);
  registerRealServerCommand(program);
  registerImportCommand(program);
  registerBgpConfigCommand(program);
  return program;
}

// `lvsd check | head` closes our stdout early: that ends the output, it is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

await buildProgram().parseAsync(process.argv);
