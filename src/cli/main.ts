#!/usr/bin/env node
// The one lvsd executable. Each subcommand lives in src/cli/commands/ and registers itself here.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('lvsd')
    .description('Layer-4 load balancer: kernel IPVS, health checks and VRRP from one YAML file.')
    .version(packageVersion(), '-V, --version', 'print the lvsd version')
    .showHelpAfterError('(run "lvsd --help" for usage)');
  return program;
}

await buildProgram().parseAsync(process.argv);
