// `lvsd schema`: the JSON Schema of the config file, for editors and CI linters.
import type { Command } from 'commander';

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .summary('print the JSON Schema of the configuration file')
    .description('Print the JSON Schema of the configuration file. Point your editor at it (yaml-language-server: "# yaml-language-server: $schema=./lvsd.schema.json") for completion and inline errors.')
    .action(async () => {
      const { configJsonSchemaText } = await import('../../config/json-schema.js');
      process.stdout.write(configJsonSchemaText());
    });
}
