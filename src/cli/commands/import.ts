// `lvsd import keepalived FILE`: converts a keepalived.conf into lvsd YAML; the work is in
// ../../import/, loaded only when the command runs.
import type { Command } from 'commander';

interface ImportCliOptions {
  output?: string;
  configId?: string[];
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function registerImportCommand(program: Command): void {
  const imports = program.command('import').summary('convert another load balancer\'s configuration to lvsd YAML');
  imports
    .command('keepalived')
    .argument('<files...>', 'keepalived.conf to convert (its include files are read too); the two of a pair make one file with nodes:')
    .summary('convert a keepalived.conf to lvsd YAML')
    .description('Convert a keepalived.conf (with include, $VARIABLES, @node conditionals and virtual_server_group) into lvsd YAML. Each block carries the keepalived file:line it came from; every setting that could not be imported, or only approximately, is printed to stderr as file:line: keyword: why, what to do instead. Exits 0 when the conversion is complete, 1 when something was left out or lvsd check would refuse the result.')
    .option('-o, --output <file>', 'write the YAML here instead of to stdout')
    .option('-i, --config-id <id>', 'keepalived config id selecting @id lines (keepalived -i); default the first label of the host name. Given twice or more for one file: one file with nodes:, a node per id', collect)
    .addHelpText('after', `
Examples:
  lvsd import keepalived /etc/keepalived/keepalived.conf -o lvsd.yaml
  lvsd import keepalived keepalived.conf -i lb2 -o lb2.yaml     the view of node lb2
  lvsd import keepalived keepalived.conf -i lb1 -i lb2 -o lvsd.yaml
                                          both nodes of a file with @lb1/@lb2 lines: one file with nodes:
  lvsd import keepalived lb1.conf lb2.conf -o lvsd.yaml
                                          the two files of a pair: one file with nodes:`)
    .action(async (files: string[], options: ImportCliOptions) => {
      const { runImport } = await import('../../import/run.js');
      process.exitCode = await runImport(files, options);
    });
}
